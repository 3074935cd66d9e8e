"""RSS 2.0 and Atom 1.0 (feedgen) and JSON Feed 1.1 (its own small model) from article cards."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from feedgen.ext.base import BaseEntryExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from app.core.timestamps import modified_at, utc_iso
from app.feeds.urls import ascii_url
from app.media.images import FeedImage

# XML 1.0 cannot carry C0 controls other than tab and line breaks, U+FFFE/U+FFFF or lone
# surrogates: one such character in one title would make the whole feed unrenderable (a 500 for
# every reader), so they are dropped from everything that goes into XML.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    return _NOT_XML.sub("", value)


MEDIA_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json",
}
SUMMARY_CHARS = 300


@dataclass
class FeedItem:
    id: str  # permanent (`urls.item_id`), never the URL: a renamed slug is not a new item
    url: str
    title: str
    summary: str
    published: datetime
    updated: datetime
    authors: Sequence[str]
    tags: Sequence[str]
    language: str
    content_html: str | None = None  # full text, for partners
    image: FeedImage | None = None


@dataclass
class FeedMeta:
    title: str
    home_url: str
    feed_url: str
    description: str
    language: str
    updated: datetime


def summary_of(excerpt: str | None, body_text: str) -> str:
    if excerpt:
        return excerpt
    text = " ".join(body_text.split())
    return text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS].rsplit(" ", 1)[0] + "…"


def _generator(meta: FeedMeta, items: Sequence[FeedItem], kind: str) -> FeedGenerator:
    fg = FeedGenerator()
    if any(item.image is not None for item in items):
        fg.load_extension("media")  # `media:content`; only then, so other feeds stay as they were
    fg.id(ascii_url(meta.feed_url))
    fg.title(xml_text(meta.title))
    fg.subtitle(xml_text(meta.description))
    fg.link(href=ascii_url(meta.home_url), rel="alternate")
    fg.link(href=ascii_url(meta.feed_url), rel="self")
    fg.language(meta.language)
    fg.updated(meta.updated)
    fg.lastBuildDate(meta.updated)
    for item in reversed(items):  # feedgen prepends entries
        fe = fg.add_entry()
        fe.id(item.id)
        fe.guid(item.id, permalink=False)
        fe.title(xml_text(item.title))
        fe.link(href=ascii_url(item.url))
        fe.published(item.published)
        fe.updated(modified_at(item.updated, item.published))
        # The summary is plain text. RSS readers render `description` as HTML, so there it is
        # escaped once more: an article quoting `<script>` must not become one in a reader.
        # (Atom's `content` without a type is text already.)
        summary = xml_text(item.summary)
        fe.description(html.escape(summary, quote=False) if kind == "rss" else summary)
        if item.content_html is not None:
            # Atom's full text is `type="html"` (escaped markup); "CDATA" is not an Atom type.
            fe.summary(summary)
            fe.content(xml_text(item.content_html), type="html")
        for name in item.authors:
            fe.author(name=xml_text(name))
        for tag in item.tags:
            fe.category(term=xml_text(tag))
        if item.image is not None:
            _image(fe, item.image, kind)
    return fg


class _AtomEnclosure(BaseEntryExtension):  # type: ignore[misc]  # feedgen is untyped (Any)
    """Atom `link rel="enclosure"`: feedgen 1.0 writes entry links without their `rel`."""

    def __init__(self) -> None:
        self.image: FeedImage | None = None

    def extend_atom(self, entry: Any) -> Any:
        if self.image is not None:
            xml_elem("link", entry, href=ascii_url(self.image.url), rel="enclosure",
                     type=self.image.type)
        return entry


def _image(fe: Any, image: FeedImage, kind: str) -> None:
    """RSS `enclosure` and Atom `link rel="enclosure"` (length unknown: 0, as RSS allows), and
    Media RSS `media:content` with the size."""
    if kind == "rss":
        fe.enclosure(ascii_url(image.url), "0", image.type)
    else:
        fe.register_extension("khabar_enclosure", extension_class_entry=_AtomEnclosure,
                              atom=True, rss=False)
        fe.khabar_enclosure.image = image
    content = {"url": ascii_url(image.url), "type": image.type, "medium": "image"}
    content |= {k: str(v) for k, v in (("width", image.width), ("height", image.height)) if v}
    # No `media:group` (feedgen's default): a group of one is invalid Media RSS.
    fe.media.content(content, group=None)


def render(kind: str, meta: FeedMeta, items: Sequence[FeedItem]) -> bytes:
    if kind == "json":
        return json_feed(meta, items)
    fg = _generator(meta, items, kind)
    feed: bytes = fg.rss_str(pretty=False) if kind == "rss" else fg.atom_str(pretty=False)
    return feed  # (feedgen is untyped)


def json_feed(meta: FeedMeta, items: Sequence[FeedItem]) -> bytes:
    def item(i: FeedItem) -> dict[str, object]:
        out: dict[str, object] = {
            "id": i.id,
            "url": ascii_url(i.url),
            "title": i.title,
            "summary": i.summary,
            "date_published": utc_iso(i.published),
            "date_modified": utc_iso(modified_at(i.updated, i.published)),
            "authors": [{"name": n} for n in i.authors],
            "tags": list(i.tags),
            "language": i.language,
        }
        if i.content_html is not None:
            out["content_html"] = i.content_html
        else:
            out["content_text"] = i.summary
        if i.image:
            out["image"] = ascii_url(i.image.url)
        return out

    return orjson.dumps({
        "version": "https://jsonfeed.org/version/1.1",
        "title": meta.title,
        "home_page_url": ascii_url(meta.home_url),
        "feed_url": ascii_url(meta.feed_url),
        "description": meta.description,
        "language": meta.language,
        "items": [item(i) for i in items],
    })
