"""The rules the W3C Feed Validator (and other real consumers) enforced on Khabar, as checks the
suite can run offline: RFC 4287's RELAX NG schema, an RSS 2.0 structure check, RFC 3986 URLs and
UTC timestamps."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from lxml import etree

FIXTURES = Path(__file__).parents[1] / "fixtures"
ATOM = "{http://www.w3.org/2005/Atom}"
# RFC 3986 characters: unreserved, reserved, and % only as the start of an escape.
URI_CHARS = re.compile(r"^(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$")
URL = re.compile(r"^https?://[^/?#\s]+(?:[/?#].*)?$")
TAG_URI = re.compile(r"^tag:[a-z0-9.\-]+,\d{4}(?:-\d\d(?:-\d\d)?)?:article:[A-Za-z0-9_\-]+$")
UTC_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")
RFC822_UTC = re.compile(r"^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d \+0000$")


def atom_schema() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(FIXTURES / "atom" / "atom.rng")))


def is_ascii_url(value: str) -> bool:
    """An absolute http(s) URL in RFC 3986 characters (no IRI, no space, no stray %)."""
    return value.isascii() and bool(URI_CHARS.match(value)) and bool(URL.match(value))


def utc_rfc3339(value: str) -> datetime:
    """An Atom date: RFC 3339 with a zero offset."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.utcoffset() == timedelta(0), value
    return parsed


def check_atom(body: bytes) -> list[dict[str, Any]]:
    """Validates an Atom document; returns its entries (id, link, content type, dates)."""
    doc = etree.fromstring(body)
    schema = atom_schema()
    assert schema.validate(doc), schema.error_log
    for link in doc.iter(f"{ATOM}link"):
        assert is_ascii_url(link.get("href")), link.get("href")
    assert doc.findtext(f"{ATOM}id")
    utc_rfc3339(doc.findtext(f"{ATOM}updated"))
    entries = []
    for entry in doc.iter(f"{ATOM}entry"):
        content = entry.find(f"{ATOM}content")
        kind = None if content is None else content.get("type", "text")
        # RFC 4287 4.1.3.1: text, html, xhtml or a MIME media type ("CDATA" is none of them)
        assert kind is None or kind in ("text", "html", "xhtml") or "/" in kind, kind
        for construct in ("title", "summary"):
            element = entry.find(f"{ATOM}{construct}")
            if element is not None:
                assert element.get("type", "text") in ("text", "html", "xhtml")
        published = utc_rfc3339(entry.findtext(f"{ATOM}published"))
        updated = utc_rfc3339(entry.findtext(f"{ATOM}updated"))
        assert updated >= published, "updated before published"
        entries.append({"id": entry.findtext(f"{ATOM}id"),
                        "link": entry.find(f"{ATOM}link").get("href"),
                        "content_type": kind, "content": None if content is None else content.text,
                        "published": published, "updated": updated})
    return entries


RSS_CHANNEL = {"title", "link", "description", "language", "copyright", "managingEditor",
               "webMaster", "pubDate", "lastBuildDate", "category", "generator", "docs", "cloud",
               "ttl", "image", "rating", "textInput", "skipHours", "skipDays", "item"}
RSS_ITEM = {"title", "link", "description", "author", "category", "comments", "enclosure",
            "guid", "pubDate", "source"}


def check_rss(body: bytes) -> list[dict[str, Any]]:
    """An RSS 2.0 structure check (the RSS 2.0 specification's elements, required children,
    URLs and RFC 822 dates); returns the items."""
    doc = etree.fromstring(body)
    assert doc.tag == "rss"
    assert doc.get("version") == "2.0"
    channels = doc.findall("channel")
    assert len(channels) == 1
    channel = channels[0]
    for required in ("title", "link", "description"):
        assert channel.find(required) is not None, required
    plain = [c for c in channel if isinstance(c.tag, str) and not c.tag.startswith("{")]
    assert {c.tag for c in plain} <= RSS_CHANNEL, {c.tag for c in plain} - RSS_CHANNEL
    assert is_ascii_url(channel.findtext("link"))
    for name in ("pubDate", "lastBuildDate"):
        if channel.find(name) is not None:
            rfc822_utc(channel.findtext(name))
    for link in channel.iter("{http://www.w3.org/2005/Atom}link"):
        assert is_ascii_url(link.get("href")), link.get("href")
    items = []
    for item in channel.findall("item"):
        children = {c.tag for c in item if isinstance(c.tag, str) and not c.tag.startswith("{")}
        assert children <= RSS_ITEM, children - RSS_ITEM
        assert "title" in children or "description" in children
        assert is_ascii_url(item.findtext("link")), item.findtext("link")
        guid = item.find("guid")
        assert guid is not None
        if guid.get("isPermaLink", "true") == "true":
            assert is_ascii_url(guid.text), guid.text
        for enclosure in item.findall("enclosure"):
            assert is_ascii_url(enclosure.get("url"))
        if item.find("author") is not None:
            assert "@" in item.findtext("author")
        items.append({"id": guid.text, "link": item.findtext("link"),
                      "published": rfc822_utc(item.findtext("pubDate"))})
    return items


def rfc822_utc(value: str) -> datetime:
    assert RFC822_UTC.match(value), value
    parsed = parsedate_to_datetime(value)
    assert parsed.utcoffset() == timedelta(0)
    return parsed.astimezone(UTC)


def timestamps(value: Any, path: str = "$") -> Iterator[tuple[str, str]]:
    """Every string in a JSON document that is a date-time, with where it is."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from timestamps(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from timestamps(item, f"{path}[{i}]")
    elif isinstance(value, str) and TIMESTAMP.match(value):
        yield path, value
