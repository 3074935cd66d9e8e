"""Native articles as IPTC ninjs documents: 3.1 (current), 2.2 and 1.6.

Each version is built from one neutral description of the article, then spelled the way that
version's schema wants it: 3.x camelCase (`versionCreated`, `bodies`), 2.x lowercase arrays
(`versioncreated`, `bodies`), 1.x flat names (`headline`, `body_html`, `subject`). Every document
validates against the official schema of its version (tests/syndication/test_ninjs.py).

Choices: `uri` is a stable URN (`urn:khabar:<site host>:article:<id>`), since the canonical URL
changes with the slug. Dates are UTC with `Z` (Superdesk's ninjs parser accepts nothing else), and
`versionCreated` is never before `firstCreated` (a scheduled article is edited before it goes
live). Authors are `people` with `rel: "author"`; section and tags are `subjects`. Rights go to
`copyrightHolder`, `copyrightNotice` and `usageTerms`; `rightsInfo` is left out because its schema
requires a link to (or an encoding of) a machine-readable rights expression, which Khabar does not
have. An article sent early to a partner with embargo access carries `embargoedUntil` (3.x) or
`embargoed` (2.x, 1.x) and `pubStatus` `usable`. The article image becomes an associated
`picture` with its `original` and every listed rendition (`w640`, `16x9`...). Articles have no
dateline, so `located` is never set.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from app.core.config import get_settings
from app.core.timestamps import modified_at, utc_iso

NinjsVersion = Literal["3.1", "2.2", "1.6"]
VERSIONS: tuple[NinjsVersion, ...] = ("3.1", "2.2", "1.6")
SCHEMA_URI = "http://www.iptc.org/std/ninjs/ninjs-schema_{}.json#"
# A native article as partners receive it (`SyndicatedArticle` dumped, `present.native`).
Native = dict[str, Any]


def article_uri(article_id: str) -> str:
    host = urlsplit(get_settings().site_url).hostname or "localhost"
    return f"urn:khabar:{host}:article:{article_id}"


def _when(value: datetime) -> str:
    return utc_iso(value, "seconds")


def _absolute(url: str | None) -> bool:
    return bool(url) and urlsplit(url or "").scheme in ("http", "https")


def _holder(article: Native) -> str:
    return article["rights"]["copyright_holder"] or get_settings().publisher_name


def _notice(article: Native) -> str:
    year = (article["published_at"] or article["updated_at"]).astimezone(get_settings().tz).year
    return f"Copyright {year} {_holder(article)}"


def _byline(article: Native) -> str | None:
    names: list[str] = [a["name"] for a in article["authors"]]
    if not names:
        return None
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _dates(article: Native) -> tuple[str, str]:
    first = article["published_at"] or article["updated_at"]
    return _when(first), _when(modified_at(article["updated_at"], first))


def to_ninjs(article: Native, version: NinjsVersion = "3.1") -> dict[str, Any]:
    if version == "3.1":
        return _v3(article)
    if version == "2.2":
        return _v2(article)
    return _v1(article)


def _drop_empty(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if v not in (None, [], {}, "")}


def _v3(a: Native) -> dict[str, Any]:
    first, version = _dates(a)
    image = a["image"] if a["image"] and _absolute(a["image"]["url"]) else None
    doc: dict[str, Any] = {
        "uri": article_uri(a["id"]),
        "type": "text",
        "representationType": "full",
        "profile": "text-photo" if image else "text-only",
        "version": str(a["revision"]),
        "firstCreated": first,
        "versionCreated": version,
        "pubStatus": "usable",
        "embargoedUntil": _when(a["embargoed_until"]) if a.get("embargoed_until") else None,
        "copyrightHolder": _holder(a),
        "copyrightNotice": _notice(a),
        "usageTerms": a["rights"]["usage_terms"],
        "language": a["language"],
        "headlines": [{"role": "main", "value": a["title"]},
                      *([{"role": "sub", "value": a["subtitle"]}] if a["subtitle"] else [])],
        "descriptions": [*([{"role": "summary", "value": a["excerpt"]}] if a["excerpt"] else []),
                         *({"role": "correction", "value": text} for text in _corrections(a))],
        "bodies": [
            {"role": "main", "contentType": "text/html", "wordCount": a["word_count"],
             "value": a["body_html"] or ""},
            {"role": "plain", "contentType": "text/plain", "wordCount": a["word_count"],
             "charCount": len(a["body_text"] or ""), "value": a["body_text"] or ""},
        ],
        "by": _byline(a),
        "people": [{"name": au["name"], "rel": "author", "literal": au["slug"]}
                   for au in a["authors"]],
        "subjects": _subjects(a),
        "infoSources": [_info_source(a)] if a["source"] else [],
        "slugline": a["slug"],
        "altIds": [{"role": "slug", "value": a["slug"]},
                   *([{"role": "url", "value": a["canonical_url"]}]
                     if a["canonical_url"] else [])],
        "standard": {"name": "ninjs", "version": "3.1", "schema": SCHEMA_URI.format("3.1")},
    }
    if image:
        renditions = [_drop_empty({"name": name, "href": href, "contentType": ctype,
                                   "width": width, "height": height})
                      for name, href, ctype, width, height in _renditions(image)]
        doc["associations"] = [_drop_empty({
            "name": "featureimage", "rel": "featureimage", "uri": image["url"], "type": "picture",
            "by": image["credit"], "renditions": renditions,
            "descriptions": ([{"role": "caption", "value": image["caption"]}]
                             if image["caption"] else []),
        })]
    return _drop_empty(doc)


def _v2(a: Native) -> dict[str, Any]:
    """2.2 has the 3.x structure with lowercase names (and no `rel` on associations)."""
    doc = _v3(a)
    doc["standard"] = {"name": "ninjs", "version": "2.2", "schema": SCHEMA_URI.format("2.2")}
    for association in doc.get("associations", []):
        association.pop("rel", None)
    if "embargoedUntil" in doc:  # 2.x names it `embargoed`
        doc["embargoed"] = doc.pop("embargoedUntil")
    lowered: dict[str, Any] = _lower(doc)
    return lowered


def _lower(value: Any) -> Any:
    if isinstance(value, dict):
        return {k.lower(): _lower(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower(v) for v in value]
    return value


def _v1(a: Native) -> dict[str, Any]:
    first, version = _dates(a)
    image = a["image"] if a["image"] and _absolute(a["image"]["url"]) else None
    doc: dict[str, Any] = {
        "uri": article_uri(a["id"]),
        "type": "text",
        "representationtype": "complete",
        "profile": "text-photo" if image else "text-only",
        "version": str(a["revision"]),
        "firstcreated": first,
        "versioncreated": version,
        "pubstatus": "usable",
        "embargoed": _when(a["embargoed_until"]) if a.get("embargoed_until") else None,
        "copyrightholder": _holder(a),
        "copyrightnotice": _notice(a),
        "usageterms": a["rights"]["usage_terms"],
        "language": a["language"],
        "headline": a["title"],
        "headline_sub": a["subtitle"],
        "description_text": a["excerpt"],
        "description_correction": "\n\n".join(_corrections(a)),
        "body_html": a["body_html"] or "",
        "body_text": a["body_text"] or "",
        "byline": _byline(a),
        "person": [{"name": au["name"], "rel": "author", "code": au["slug"]}
                   for au in a["authors"]],
        "subject": [{k if k != "literal" else "code": v for k, v in s.items()}
                    for s in _subjects(a)],
        "infosource": [{"name": a["source"]["name"], "rel": "originator"}] if a["source"] else [],
        "slugline": a["slug"],
        "wordcount": a["word_count"],
        "charcount": len(a["body_text"] or ""),
        "altids": {"slug": a["slug"],
                   **({"url": a["canonical_url"]} if a["canonical_url"] else {})},
        "$standard": {"name": "ninjs", "version": "1.6", "schema": SCHEMA_URI.format("1.6")},
    }
    if image:
        renditions = {name: _drop_empty({"href": href, "mimetype": ctype, "width": width,
                                         "height": height})
                      for name, href, ctype, width, height in _renditions(image)}
        doc["associations"] = {"featureimage": _drop_empty({
            "uri": image["url"], "type": "picture", "byline": image["credit"],
            "description_text": image["caption"], "renditions": renditions,
        })}
    return _drop_empty(doc)


def _corrections(a: Native) -> list[str]:
    """Each notice as readers see it: "Correction (2026-12-03T10:00:00+05:45): the text"."""
    return [f"{c['kind'].title()} ({_when(c['at'])}): {c['text']}" for c in a["corrections"]]


def _renditions(image: dict[str, Any]) -> list[tuple[str, str, str | None, int | None, int | None]]:
    """The original, then each rendition the API lists (ladder widths and crops), named by
    their variant (`w640`, `16x9`)."""
    out: list[tuple[str, str, str | None, int | None, int | None]] = [
        ("original", image["url"], None, image["width"], image["height"])]
    for r in image["renditions"]:
        name = r["url"].rsplit("/", 1)[1].split(".", 1)[0]
        out.append((name, r["url"], r["type"], r["width"], r["height"]))
    return out


def _subjects(a: Native) -> list[dict[str, Any]]:
    section = a["section"]
    subjects = [{"name": section["name"], "rel": "section", "literal": f"section:{section['slug']}"}
                ] if section else []
    return subjects + [{"name": t["name"], "rel": "about", "literal": f"tag:{t['slug']}"}
                       for t in a["tags"]]


def _info_source(a: Native) -> dict[str, Any]:
    assert a["source"] is not None
    out: dict[str, Any] = {"name": a["source"]["name"], "role": "originator"}
    if _absolute(a["source"]["url"]):
        out["uri"] = a["source"]["url"]
    return out


def withdrawn(article_id: str, killed: bool, at: datetime | None,
              version: NinjsVersion = "3.1") -> dict[str, Any]:
    """A change-feed tombstone as ninjs: `pubStatus` `canceled` for a killed article (it must
    never be used again), `withheld` for anything else taken down (it may come back)."""
    status = "canceled" if killed else "withheld"
    when = _when(at) if at else None
    if version == "1.6":
        return _drop_empty({"uri": article_uri(article_id), "type": "text", "pubstatus": status,
                            "versioncreated": when, "$standard": {
                                "name": "ninjs", "version": "1.6",
                                "schema": SCHEMA_URI.format("1.6")}})
    doc = _drop_empty({"uri": article_uri(article_id), "type": "text", "pubStatus": status,
                       "versionCreated": when, "standard": {
                           "name": "ninjs", "version": version,
                           "schema": SCHEMA_URI.format(version)}})
    return _lower(doc) if version == "2.2" else doc
