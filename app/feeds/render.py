"""RSS 2.0 and Atom 1.0 (feedgen) and JSON Feed 1.1 (its own small model) from article cards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson
from feedgen.feed import FeedGenerator

MEDIA_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json",
}
SUMMARY_CHARS = 300


@dataclass
class FeedItem:
    id: str
    url: str
    title: str
    summary: str
    published: datetime
    updated: datetime
    authors: Sequence[str]
    tags: Sequence[str]
    language: str
    content_html: str | None = None  # full text, for partners
    image: str | None = None


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


def _generator(meta: FeedMeta, items: Sequence[FeedItem]) -> FeedGenerator:
    fg = FeedGenerator()
    fg.id(meta.feed_url)
    fg.title(meta.title)
    fg.subtitle(meta.description)
    fg.link(href=meta.home_url, rel="alternate")
    fg.link(href=meta.feed_url, rel="self")
    fg.language(meta.language)
    fg.updated(meta.updated)
    fg.lastBuildDate(meta.updated)
    for item in reversed(items):  # feedgen prepends entries
        fe = fg.add_entry()
        fe.id(item.url)
        fe.guid(item.url, permalink=True)
        fe.title(item.title)
        fe.link(href=item.url)
        fe.published(item.published)
        fe.updated(item.updated)
        fe.description(item.summary)
        if item.content_html is not None:
            fe.content(item.content_html, type="CDATA")
        for name in item.authors:
            fe.author(name=name)
        for tag in item.tags:
            fe.category(term=tag)
    return fg


def render(kind: str, meta: FeedMeta, items: Sequence[FeedItem]) -> bytes:
    if kind == "json":
        return json_feed(meta, items)
    fg = _generator(meta, items)
    return fg.rss_str(pretty=False) if kind == "rss" else fg.atom_str(pretty=False)


def json_feed(meta: FeedMeta, items: Sequence[FeedItem]) -> bytes:
    def item(i: FeedItem) -> dict[str, object]:
        out: dict[str, object] = {
            "id": i.id,
            "url": i.url,
            "title": i.title,
            "summary": i.summary,
            "date_published": i.published.isoformat(),
            "date_modified": i.updated.isoformat(),
            "authors": [{"name": n} for n in i.authors],
            "tags": list(i.tags),
            "language": i.language,
        }
        if i.content_html is not None:
            out["content_html"] = i.content_html
        else:
            out["content_text"] = i.summary
        if i.image:
            out["image"] = i.image
        return out

    return orjson.dumps({
        "version": "https://jsonfeed.org/version/1.1",
        "title": meta.title,
        "home_page_url": meta.home_url,
        "feed_url": meta.feed_url,
        "description": meta.description,
        "language": meta.language,
        "items": [item(i) for i in items],
    })
