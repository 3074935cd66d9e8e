"""Content API: RSS, Atom and JSON feeds, and the Google News sitemap."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Path, Request
from sqlmodel import Session, col, select
from starlette.responses import Response

from app.articles import presenters, public_reads, queries
from app.articles.models import Article
from app.articles.router import LanguageQ
from app.authors.models import Author
from app.core.config import get_settings
from app.core.db import ReadSessionDep
from app.core.errors import NotFound, problem_responses
from app.core.http import Representation, respond
from app.core.listing import NowDep
from app.core.timestamps import utc_iso
from app.feeds.render import MEDIA_TYPES, FeedItem, FeedMeta, render, summary_of, xml_text
from app.feeds.urls import ascii_url, item_id
from app.i18n import translations
from app.i18n.names import localized
from app.media.images import feed_image
from app.taxonomy.models import Section, Tag

router = APIRouter(prefix="/v1", tags=["Content"])
FEED_SIZE = 50
SITEMAP_MAX = 1000
FeedKind = Literal["rss", "atom", "json"]
FEED_RESPONSES: dict[int | str, dict[str, Any]] = {
    # JSON first: tools that check a response against "the" schema (schemathesis 3) take the
    # first media type's, and only the JSON Feed has one worth checking.
    200: {"description": "The feed", "content": {
        "application/feed+json": {"schema": {"type": "object"}, "example": {
            "version": "https://jsonfeed.org/version/1.1", "title": "Khabar", "items": []}},
        "application/rss+xml": {"schema": {"type": "string"},
                                "example": "<rss version=\"2.0\">…</rss>"},
        "application/atom+xml": {"schema": {"type": "string"}, "example": "<feed>…</feed>"},
    }},
}


def feed_items(session: Session, now: datetime, ids: list[str], *,
               full_text: bool) -> list[FeedItem]:
    """The entries of these articles (chosen and ordered by the caller), rendered from rows
    as every other surface renders articles; `full_text` adds the HTML body (partners)."""
    formats = ("text", "html") if full_text else ("text",)
    return [
        FeedItem(
            id=item_id(a["id"], a["created_at"]), url=a["canonical_url"], title=a["title"],
            summary=summary_of(a["excerpt"], a["body_text"]),
            published=a["published_at"] or a["created_at"], updated=a["updated_at"],
            authors=[au["name"] for au in a["authors"]], tags=[t["name"] for t in a["tags"]],
            language=a["language"], content_html=a["body_html"] if full_text else None,
            image=feed_image(a["stored_image"]),
        )
        for a in public_reads.feed_articles(session.connection(), now, ids, formats)
    ]


def feed_representation(request: Request, kind: str, title: str, description: str,
                        items: list[FeedItem], keys: list[str], now: datetime, *,
                        last_change: datetime | None, public: bool = True,
                        language: str | None = None) -> Representation:
    """`last_change` is when the content behind the feed last changed (see
    `queries.last_change`), which the newest item alone cannot tell."""
    settings = get_settings()
    updated = last_change or now
    meta = FeedMeta(title=title, home_url=settings.site_url, feed_url=str(request.url),
                    description=description, language=language or settings.languages[0],
                    updated=updated)
    return Representation(render(kind, meta, items), media_type=MEDIA_TYPES[kind],
                          last_modified=updated, surrogate_keys=keys, public=public)


def _latest(session: Session, now: datetime, section: str | None,
            language: str | None = None,
            filters: queries.ArticleFilters | None = None) -> list[str]:
    filters = filters or queries.ArticleFilters(section=section, language=language)
    ids, _ = queries.page_ids(session, filters, now=now, sort="-published_at", limit=FEED_SIZE,
                              cursor=None)
    return ids


@router.get("/feeds/latest.{kind}", operation_id="getLatestFeed", response_class=Response,
            summary="Feed of the latest 50 articles", responses={**FEED_RESPONSES,
                                                                  **problem_responses(404, 422)})
def latest_feed(request: Request, kind: FeedKind, session: ReadSessionDep, now: NowDep,
                language: LanguageQ = None) -> Response:
    """The latest 50 published articles as RSS 2.0, Atom 1.0 or JSON Feed 1.1, with summaries;
    `language` keeps one language, which becomes the feed's own."""
    settings = get_settings()
    items = feed_items(session, now, _latest(session, now, None, language), full_text=False)
    return respond(request, feed_representation(
        request, kind, settings.publisher_name, f"Latest from {settings.publisher_name}", items,
        ["articles"], now, last_change=queries.last_change(session, now), language=language))


@router.get("/feeds/sections/{slug}.{kind}", operation_id="getSectionFeed", response_class=Response,
            summary="Feed of the latest 50 articles of a section",
            responses={**FEED_RESPONSES, **problem_responses(404, 422)})
def section_feed(request: Request, slug: Annotated[str, Path(max_length=100)], kind: FeedKind,
                 session: ReadSessionDep, now: NowDep, language: LanguageQ = None) -> Response:
    """The same feed for one section (`language` as for the latest feed)."""
    section = session.exec(select(Section).where(Section.slug == slug)).first()
    if section is None:
        raise NotFound(f"No section with slug {slug!r}")
    settings = get_settings()
    items = feed_items(session, now, _latest(session, now, slug, language), full_text=False)
    name = localized(section.name, section.names, language)
    return respond(request, feed_representation(
        request, kind, f"{settings.publisher_name}: {name}",
        section.description or name, items, ["articles", f"section:{slug}"], now,
        last_change=queries.last_change(session, now), language=language))


@router.get("/feeds/authors/{slug}.{kind}", operation_id="getAuthorFeed",
            response_class=Response, summary="Feed of an author's latest 50 articles",
            responses={**FEED_RESPONSES, **problem_responses(404, 422)})
def author_feed(request: Request, slug: Annotated[str, Path(max_length=200)], kind: FeedKind,
                session: ReadSessionDep, now: NowDep) -> Response:
    """The latest feed for one author (bylines that include them). As `/v1/authors/{slug}`,
    an author with no published article is unknown (404)."""
    filters = queries.ArticleFilters(author=slug)
    ids = _latest(session, now, None, filters=filters)
    author = session.exec(select(Author).where(Author.slug == slug)).first()
    if author is None or not ids:
        raise NotFound(f"No author with slug {slug!r}")
    settings = get_settings()
    return respond(request, feed_representation(
        request, kind, f"{settings.publisher_name}: {author.name}",
        author.title or author.name, feed_items(session, now, ids, full_text=False),
        ["articles", f"author:{author.id}"], now, last_change=queries.last_change(session, now)))


@router.get("/feeds/tags/{slug}.{kind}", operation_id="getTagFeed", response_class=Response,
            summary="Feed of the latest 50 articles with a tag",
            responses={**FEED_RESPONSES, **problem_responses(404, 422)})
def tag_feed(request: Request, slug: Annotated[str, Path(max_length=100)], kind: FeedKind,
             session: ReadSessionDep, now: NowDep) -> Response:
    """The latest feed for one tag; a tag on no published article is unknown (404)."""
    ids = _latest(session, now, None, filters=queries.ArticleFilters(tags=[slug]))
    tag = session.exec(select(Tag).where(Tag.slug == slug)).first()
    if tag is None or not ids:
        raise NotFound(f"No tag with slug {slug!r} on a published article")
    settings = get_settings()
    return respond(request, feed_representation(
        request, kind, f"{settings.publisher_name}: {tag.name}", tag.name,
        feed_items(session, now, ids, full_text=False), ["articles", f"tag:{slug}"], now,
        last_change=queries.last_change(session, now)))


NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
SITEMAP_WINDOW = timedelta(days=2)
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"


@router.get("/sitemaps/news.xml", operation_id="getNewsSitemap", response_class=Response,
            summary="Google News sitemap of the last two days",
            responses={200: {"description": "The sitemap", "content": {"application/xml": {
                "schema": {"type": "string"}, "example": "<urlset>…</urlset>"}}},
                       **problem_responses(422)})
def news_sitemap(request: Request, session: ReadSessionDep, now: NowDep,
                 language: LanguageQ = None) -> Response:
    """Articles published in the last 48 hours, at most 1,000, as Google News asks; `language`
    keeps one language. An article with published translations lists every one of them
    (itself included) as `xhtml:link rel="alternate" hreflang`, plus `x-default`."""
    settings = get_settings()
    filters = queries.ArticleFilters(published_after=now - SITEMAP_WINDOW, language=language)
    stmt = (queries.filtered(filters, now).order_by(col(Article.published_at).desc())
            .limit(SITEMAP_MAX))
    articles = list(session.exec(stmt).all())
    ET.register_namespace("", SITEMAP_NS)
    ET.register_namespace("news", NEWS_NS)
    ET.register_namespace("xhtml", XHTML_NS)
    urlset = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    alternates = translations.groups(session, articles, now)
    for a in articles:
        url = ET.SubElement(urlset, f"{{{SITEMAP_NS}}}url")
        ET.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = ascii_url(presenters.canonical_url(a))
        members = alternates.get(a.id, [])
        # x-default: the version in the publisher's main language, else the first.
        default = next((u for lang, u in members if lang == settings.languages[0]),
                       members[0][1] if members else None)
        for lang, href in [*members, *([("x-default", default)] if default else [])]:
            ET.SubElement(url, f"{{{XHTML_NS}}}link", rel="alternate", hreflang=lang,
                          href=ascii_url(href))
        news = ET.SubElement(url, f"{{{NEWS_NS}}}news")
        pub = ET.SubElement(news, f"{{{NEWS_NS}}}publication")
        ET.SubElement(pub, f"{{{NEWS_NS}}}name").text = xml_text(settings.publisher_name)
        ET.SubElement(pub, f"{{{NEWS_NS}}}language").text = a.language
        ET.SubElement(news, f"{{{NEWS_NS}}}publication_date").text = utc_iso(
            a.published_at or a.created_at, "seconds")
        ET.SubElement(news, f"{{{NEWS_NS}}}title").text = xml_text(a.title)
    body = ET.tostring(urlset, encoding="utf-8", xml_declaration=True)
    # The oldest article leaves the two-day window at a known time: cached copies end there.
    leaves = [a.published_at + SITEMAP_WINDOW for a in articles if a.published_at]
    return respond(request, Representation(
        body, media_type="application/xml", surrogate_keys=["articles"],
        last_modified=queries.last_change(session, now), expires=min(leaves, default=None)))
