"""Reading WordPress eXtended RSS (WXR 1.1 and 1.2) exports, streamed.

An export can be gigabytes, so it is never held in memory: `lxml.etree.iterparse` hands over one
`<item>` at a time and every element is cleared (with the siblings before it) once read. The
parser is hardened: no DTD loaded, no entity resolved (internal or external), no network, and
any document type declaration is refused outright (a WXR file never has one; a billion-laughs or
external-entity file always does).

Two passes read the file: `survey` checks it is a well-formed WXR export and collects what posts
refer to (authors, attachments, the site's clock) before anything is written, so a broken or
foreign file writes nothing; `items` then yields the posts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote

from lxml import etree

from app.core.ids import ascii_int

SUPPORTED_VERSIONS = ("1.1", "1.2")
# WordPress.org writes http://wordpress.org/export/1.2/, WordPress.com https://.
_WP_NS = re.compile(r"^https?://wordpress\.org/export/(1\.\d+)/$")
_EXCERPT_NS = re.compile(r"^https?://wordpress\.org/export/1\.\d+/excerpt/$")
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
ZERO_DATE = "0000-00-00 00:00:00"
_DATE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


class NotWxr(Exception):
    """The file is not a WordPress export this importer reads (nothing was written)."""


class MalformedItem(Exception):
    """One item cannot be imported; the rest can."""


@dataclass
class Attachment:
    url: str
    alt: str
    caption: str
    credit: str = ""  # the `credit` WordPress read from the image's IPTC data, if any


@dataclass
class Survey:
    """What the first pass learned: the whole file, except the posts themselves."""

    version: str
    site_url: str
    title: str
    language: str | None
    authors: dict[str, str] = field(default_factory=dict)  # login -> display name
    categories: dict[str, str] = field(default_factory=dict)  # nicename -> name
    attachments: dict[int, Attachment] = field(default_factory=dict)
    children: dict[int, list[int]] = field(default_factory=dict)  # post id -> its attachments
    posts: int = 0
    offset: timedelta | None = None  # the site's usual offset of local time from GMT


@dataclass
class Term:
    domain: str  # "category" or "post_tag"
    slug: str  # the nicename, percent-decoded
    name: str


@dataclass
class WxrItem:
    """One `<item>` of type post, as the export has it (text fields not yet cleaned)."""

    wp_id: int
    title: str
    link: str
    creator: str
    content: str
    excerpt: str
    post_name: str
    status: str
    post_date: str
    post_date_gmt: str
    password: str
    terms: list[Term]
    meta: dict[str, str]


def _hardened_iterparse(source: Path | IO[bytes], **options: Any) -> Any:
    return etree.iterparse(
        source, events=("start", "end"), resolve_entities=False, load_dtd=False,
        no_network=True, dtd_validation=False, huge_tree=False, remove_comments=True, **options)


def _local(tag: object) -> tuple[str, str]:
    if not isinstance(tag, str):
        return "", ""  # a processing instruction or an entity reference
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def _text(element: Any) -> str:
    return element.text or ""


def _release(element: Any) -> None:
    """Free a read element and everything before it: what keeps memory flat on any size."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


class _Reader:
    """One pass over the file, checking at the root that it is WXR."""

    def __init__(self, path: Path, progress: Callable[[int], None] | None = None) -> None:
        self.path = path
        self.progress = progress
        self.version: str | None = None
        self.wp_ns = ""

    def elements(self) -> Iterator[tuple[str, str, Any]]:
        """(namespace, local name, element) of each finished child of `<channel>` (items and
        channel-level fields), after the root was checked."""
        try:
            with self.path.open("rb") as handle:
                depth = 0
                for event, element in _hardened_iterparse(handle):
                    if event == "start":
                        depth += 1
                        if depth == 1:
                            self._check_root(element)
                        elif depth == 2 and _local(element.tag) != ("", "channel"):
                            raise NotWxr("not a WordPress export: <rss> has no <channel>")
                        continue
                    depth -= 1
                    if depth == 2:
                        ns, name = _local(element.tag)
                        if name == "wxr_version" and _WP_NS.match(ns):
                            self.version = _text(element).strip()
                        elif name == "item" and self.version is None:
                            raise NotWxr("not a WordPress export: no <wp:wxr_version> before "
                                         "the first <item>")
                        yield ns, name, element
                        _release(element)
                        if self.progress is not None:
                            self.progress(handle.tell())
        except etree.XMLSyntaxError as exc:
            raise NotWxr(f"not well-formed XML: {exc}") from None
        if self.version is None:
            raise NotWxr("not a WordPress export: no <wp:wxr_version>")

    def _check_root(self, root: Any) -> None:
        docinfo = root.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
            raise NotWxr("refused: the file declares a document type (entities are not "
                         "accepted in an import)")
        if _local(root.tag) != ("", "rss"):
            raise NotWxr(f"not a WordPress export: the root element is <{_local(root.tag)[1]}>, "
                         "not <rss>")
        for ns in (root.nsmap or {}).values():
            if ns and _WP_NS.match(ns):
                self.wp_ns = ns
        if not self.wp_ns:
            raise NotWxr("not a WordPress export: no WordPress export namespace on <rss>")


def parse_local(value: str, *, what: str, wp_id: int | None = None) -> datetime | None:
    """A WordPress date (`YYYY-MM-DD HH:MM:SS`); None for the zero date or nothing."""
    value = value.strip()
    if not value or value == ZERO_DATE:
        return None
    # Sliced rather than strptime'd: strptime cost more than the rest of reading an item.
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(value)
        return datetime(int(value[0:4]), int(value[5:7]), int(value[8:10]), int(value[11:13]),
                        int(value[14:16]), int(value[17:19]))
    except ValueError:
        where = f"item {wp_id}: " if wp_id is not None else ""
        raise MalformedItem(f"{where}{what} {value!r} is not a date") from None


def survey(path: Path, progress: Callable[[int], None] | None = None) -> Survey:
    """The first pass: validity, authors, categories, attachments, post count, site offset."""
    reader = _Reader(path, progress)
    found = Survey(version="", site_url="", title="", language=None)
    offsets: Counter[int] = Counter()
    for ns, name, element in reader.elements():
        wp = reader.wp_ns
        if name == "item":
            kind = element.findtext(f"{{{wp}}}post_type") or ""
            if kind == "attachment":
                _attachment(found, element, wp)
            elif kind == "post":
                found.posts += 1
                _count_offset(offsets, element, wp)
        elif ns == wp and name == "author":
            login = (element.findtext(f"{{{wp}}}author_login") or "").strip()
            if login:
                shown = (element.findtext(f"{{{wp}}}author_display_name") or "").strip()
                found.authors[login] = shown or login
        elif ns == wp and name == "category":
            nicename = unquote(element.findtext(f"{{{wp}}}category_nicename") or "").strip()
            if nicename:
                found.categories[nicename] = (element.findtext(f"{{{wp}}}cat_name")
                                              or nicename).strip()
        elif (ns == wp and name == "base_blog_url") or (ns == "" and name == "link"
                                                          and not found.site_url):
            found.site_url = _text(element).strip()  # the blog's URL, else the channel's
        elif ns == "" and name == "title":
            found.title = _text(element).strip()
        elif ns == "" and name == "language":
            found.language = _text(element).strip() or None
    found.version = reader.version or ""
    if found.version not in SUPPORTED_VERSIONS:
        raise NotWxr(f"WXR version {found.version} is not supported (1.1 and 1.2 are)")
    for ids in found.children.values():
        ids.sort()
    if offsets:
        found.offset = timedelta(minutes=offsets.most_common(1)[0][0])
    return found


def _attachment(found: Survey, element: Any, wp: str) -> None:
    try:
        wp_id = int(element.findtext(f"{{{wp}}}post_id") or "")
    except ValueError:
        return
    url = (element.findtext(f"{{{wp}}}attachment_url") or element.findtext("guid") or "").strip()
    if not url:
        return
    alt = credit = ""
    for meta in element.iterfind(f"{{{wp}}}postmeta"):
        key = meta.findtext(f"{{{wp}}}meta_key")
        if key == "_wp_attachment_image_alt":
            alt = (meta.findtext(f"{{{wp}}}meta_value") or "").strip()
        elif key == "_wp_attachment_metadata":
            credit = php_string(meta.findtext(f"{{{wp}}}meta_value") or "", "credit")
    found.attachments[wp_id] = Attachment(url=url, alt=alt, caption=_excerpt_text(element),
                                          credit=credit)
    parent = (element.findtext(f"{{{wp}}}post_parent") or "").strip()
    if parent_id := ascii_int(parent):
        found.children.setdefault(parent_id, []).append(wp_id)


def php_string(serialized: str, key: str) -> str:
    """The string stored under `key` in PHP-serialized data (WordPress keeps an attachment's
    metadata so: `...s:6:"credit";s:8:"A. Photo";...`), or "". Lengths count UTF-8 bytes; read
    by them, never evaluated."""
    data = serialized.encode("utf-8", "surrogatepass")
    marker = f's:{len(key.encode())}:"{key}";s:'.encode()
    at = data.find(marker)
    if at < 0:
        return ""
    at += len(marker)
    length = re.match(rb'(\d{1,6}):"', data[at:at + 9])
    if length is None:
        return ""
    start = at + length.end()
    end = start + int(length[1])
    if data[end:end + 2] != b'";':
        return ""
    return data[start:end].decode("utf-8", "replace").strip()


def _count_offset(offsets: Counter[int], element: Any, wp: str) -> None:
    try:
        local = parse_local(element.findtext(f"{{{wp}}}post_date") or "", what="post_date")
        gmt = parse_local(element.findtext(f"{{{wp}}}post_date_gmt") or "", what="post_date_gmt")
    except MalformedItem:
        return  # reported when the item itself is imported
    if local is not None and gmt is not None:
        minutes = round((local - gmt).total_seconds() / 60)
        if abs(minutes) <= 14 * 60:
            offsets[minutes] += 1


def _excerpt_text(element: Any) -> str:
    for child in element:
        ns, name = _local(child.tag)
        if name == "encoded" and _EXCERPT_NS.match(ns):
            return _text(child)
    return ""


def items(path: Path, progress: Callable[[int], None] | None = None
          ) -> Iterator[WxrItem | MalformedItem]:
    """The second pass: every post, or the reason one cannot be read."""
    reader = _Reader(path, progress)
    for _ns, name, element in reader.elements():
        if name != "item":
            continue
        wp = reader.wp_ns
        if (element.findtext(f"{{{wp}}}post_type") or "") != "post":
            continue
        try:
            yield _item(element, wp)
        except MalformedItem as exc:
            yield exc


def _item(element: Any, wp: str) -> WxrItem:
    raw_id = (element.findtext(f"{{{wp}}}post_id") or "").strip()
    wp_id = ascii_int(raw_id)
    if not wp_id:
        title = (element.findtext("title") or "").strip()[:60]
        raise MalformedItem(f"item {raw_id or '(no post_id)'} ({title!r}): no valid "
                            "<wp:post_id>")
    meta: dict[str, str] = {}
    for entry in element.iterfind(f"{{{wp}}}postmeta"):
        key = entry.findtext(f"{{{wp}}}meta_key")
        if key in ("_thumbnail_id",):
            meta[key] = (entry.findtext(f"{{{wp}}}meta_value") or "").strip()
    terms = [Term(domain=c.get("domain") or "", slug=unquote(c.get("nicename") or "").strip(),
                  name=(c.text or "").strip())
             for c in element.iterfind("category")]
    return WxrItem(
        wp_id=wp_id,
        title=element.findtext("title") or "",
        link=(element.findtext("link") or "").strip(),
        creator=(element.findtext(f"{{{DC_NS}}}creator") or "").strip(),
        content=element.findtext(f"{{{CONTENT_NS}}}encoded") or "",
        excerpt=_excerpt_text(element),
        post_name=unquote((element.findtext(f"{{{wp}}}post_name") or "").strip()),
        status=(element.findtext(f"{{{wp}}}status") or "").strip(),
        post_date=element.findtext(f"{{{wp}}}post_date") or "",
        post_date_gmt=element.findtext(f"{{{wp}}}post_date_gmt") or "",
        password=element.findtext(f"{{{wp}}}post_password") or "",
        terms=terms,
        meta=meta,
    )


def published_at(item: WxrItem, site_offset: timedelta | None) -> datetime | None:
    """The post's date in UTC: `post_date_gmt`, else the local `post_date` less the site's
    offset (drafts often have a zero GMT date)."""
    gmt = parse_local(item.post_date_gmt, what="post_date_gmt", wp_id=item.wp_id)
    if gmt is not None:
        return gmt.replace(tzinfo=UTC)
    local = parse_local(item.post_date, what="post_date", wp_id=item.wp_id)
    if local is None:
        return None
    return (local - (site_offset or timedelta())).replace(tzinfo=UTC)
