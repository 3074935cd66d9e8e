"""Sitemaps for crawlers: the sitemap index, the article sitemap (paged) and `/robots.txt`.

The index (`/v1/sitemaps/index.xml`) lists the Google News sitemap (last two days) and every
page of the article sitemap (every published article, oldest first, so a page's contents only
grow at the end). Each follows the sitemaps.org schemas (tests/feeds/test_sitemaps.py validates
them with the vendored XSDs); `/robots.txt` points crawlers at the index.
"""

from __future__ import annotations

from typing import Annotated, Any
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Query, Request
from sqlalchemy import func
from sqlmodel import col, select
from starlette.responses import Response

from app.articles import queries
from app.articles.models import Article
from app.articles.presenters import site_article_url
from app.articles.visibility import is_public
from app.core.config import get_settings
from app.core.db import ReadSessionDep
from app.core.errors import NotFound, problem_responses
from app.core.http import Representation, respond
from app.core.listing import NowDep
from app.core.timestamps import modified_at, utc_iso
from app.feeds.urls import ascii_url

router = APIRouter()  # tags per route: robots.txt is not the Content API
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
# The protocol allows 50,000 URLs per file; smaller pages render quickly and cache well.
ARTICLES_PER_PAGE = 10_000
XML_RESPONSE: dict[int | str, dict[str, Any]] = {200: {
    "description": "The sitemap", "content": {"application/xml": {
        "schema": {"type": "string"}, "example": "<urlset>…</urlset>"}}}}


def _api_url(path: str) -> str:
    return get_settings().public_base_url.rstrip("/") + path


def _xml(root: ET.Element) -> bytes:
    ET.register_namespace("", SITEMAP_NS)
    xml: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)  # typed Any
    return xml


def _article_pages(count: int) -> int:
    return max(1, -(-count // ARTICLES_PER_PAGE))


@router.get("/v1/sitemaps/index.xml", operation_id="getSitemapIndex", response_class=Response,
            tags=["Content"],
            summary="Sitemap index: the news sitemap and every article sitemap page",
            responses={200: {"description": "The sitemap index", "content": {"application/xml": {
                "schema": {"type": "string"}, "example": "<sitemapindex>…</sitemapindex>"}}}})
def sitemap_index(request: Request, session: ReadSessionDep, now: NowDep) -> Response:
    """What to submit to search engines (and what `/robots.txt` names): the Google News
    sitemap and the pages of the article sitemap, each with the time the content behind it
    last changed."""
    count = session.exec(select(func.count()).select_from(Article).where(is_public(now))).one()
    changed = queries.last_change(session, now)
    root = ET.Element(f"{{{SITEMAP_NS}}}sitemapindex")
    locations = [_api_url("/v1/sitemaps/news.xml")] + [
        _api_url(f"/v1/sitemaps/articles.xml?page={page}")
        for page in range(1, _article_pages(count) + 1)]
    for location in locations:
        entry = ET.SubElement(root, f"{{{SITEMAP_NS}}}sitemap")
        ET.SubElement(entry, f"{{{SITEMAP_NS}}}loc").text = location
        if changed is not None:
            ET.SubElement(entry, f"{{{SITEMAP_NS}}}lastmod").text = utc_iso(changed, "seconds")
    return respond(request, Representation(_xml(root), media_type="application/xml",
                                           surrogate_keys=["articles"], last_modified=changed))


@router.get("/v1/sitemaps/articles.xml", operation_id="getArticleSitemap", tags=["Content"],
            response_class=Response, summary="Article sitemap: every published article, paged",
            responses={**XML_RESPONSE, **problem_responses(404, 422)})
def article_sitemap(
    request: Request, session: ReadSessionDep, now: NowDep,
    page: Annotated[int, Query(ge=1, le=100_000, description=(
        f"Page of {ARTICLES_PER_PAGE:,} articles, oldest first (the index lists them all)"))] = 1,
) -> Response:
    """Every published article's canonical URL with its last modification time. Page 1 always
    exists; a page past the last is a 404."""
    stmt = (select(Article.slug, Article.canonical_url, Article.published_at, Article.updated_at)
            .where(is_public(now))
            .order_by(col(Article.published_at), col(Article.id))
            .offset((page - 1) * ARTICLES_PER_PAGE).limit(ARTICLES_PER_PAGE))
    rows = session.exec(stmt).all()
    if not rows and page > 1:
        raise NotFound(f"The article sitemap has no page {page}")
    root = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for slug, canonical_url, published_at, updated_at in rows:
        url = ET.SubElement(root, f"{{{SITEMAP_NS}}}url")
        ET.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = ascii_url(
            canonical_url or site_article_url(slug))
        ET.SubElement(url, f"{{{SITEMAP_NS}}}lastmod").text = utc_iso(
            modified_at(updated_at, published_at), "seconds")
    return respond(request, Representation(
        _xml(root), media_type="application/xml", surrogate_keys=["articles"],
        last_modified=queries.last_change(session, now)))


@router.get("/robots.txt", operation_id="getRobots", response_class=Response, tags=["Operations"],
            summary="robots.txt naming the sitemap index",
            responses={200: {"description": "robots.txt", "content": {"text/plain": {
                "schema": {"type": "string"}, "example": "User-agent: *\nAllow: /\n"}}}})
def robots(request: Request) -> Response:
    """Crawlers may read the Content API; the Editorial and Syndication APIs are for their
    clients only. `Sitemap:` names the sitemap index."""
    body = ("User-agent: *\n"
            "Disallow: /v1/editorial/\n"
            "Disallow: /v1/syndication/\n"
            "Disallow: /v1/auth/\n"
            "Allow: /\n"
            f"Sitemap: {_api_url('/v1/sitemaps/index.xml')}\n")
    return respond(request, Representation(body.encode(), media_type="text/plain; charset=utf-8",
                                           last_modified=None, surrogate_keys=["robots"]))
