"""Content API: published articles and search."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from app.articles import presenters, public_reads, queries, search, search_text
from app.articles.models import ArticleCard, ArticlePublic
from app.core.db import get_read_engine
from app.core.editorial import QueryBool
from app.core.errors import NotFound, Unprocessable, problem_responses
from app.core.http import public_cache_control
from app.core.listing import (
    FieldsQ,
    ListParamsDep,
    NowDep,
    answer,
    detail_representation,
    list_representation,
    parse_fields,
    utc,
)
from app.core.pagination import Page, PageMeta

router = APIRouter(prefix="/v1", tags=["Content"])


class ArticleList(Page[ArticleCard]):
    pass


class Highlight(BaseModel):
    """Where a search result matched: HTML with matching words in `<mark>`, all else escaped."""

    title: str = Field(examples=["<mark>नेपालको</mark> राजनीति: नयाँ मोड"])
    snippet: str = Field(description="The excerpt when it matches, else about 160 characters "
                         "of the body around the first match (`…` where cut)")


class SearchHit(ArticleCard):
    highlight: Highlight


class SearchMeta(PageMeta):
    total: int = Field(description="How many published articles match, counted up to 10,000 "
                       "(then 10000, with `total_relation: gte`)")
    total_relation: Literal["eq", "gte"] = Field(
        description="`eq`: `total` is exact; `gte`: more than 10,000 match")


class SearchResults(Page[SearchHit]):
    meta: SearchMeta


def parse_formats(formats: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    if not formats:
        return default
    names = tuple(dict.fromkeys(f.strip() for f in formats.split(",") if f.strip()))
    unknown = [n for n in names if n not in presenters.BODY_FORMATS]
    if unknown or not names:
        raise Unprocessable(
            "formats takes a comma-separated subset of blocks, html, text",
            errors=[{"loc": ["query", "formats"], "msg": f"unknown format {n!r}"} for n in unknown],
        )
    return names


SectionQ = Annotated[str | None, Query(max_length=100, description="Section slug")]
TagQ = Annotated[list[str], Query(max_length=10, description=(
    "Tag slug; repeat to require several tags (all must match)"))]
AuthorQ = Annotated[str | None, Query(max_length=200, description="Author slug")]
LanguageQ = Annotated[str | None, Query(
    max_length=35, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$",
    description="BCP 47 language tag, e.g. `en`, `ne`")]
SortQ = Annotated[str, Query(max_length=20, description=(
    "`-published_at` (default), `published_at` or `-updated_at`"),
    json_schema_extra={"enum": list(queries.SORTS)})]
TimeQ = Annotated[datetime | None, Query(description="RFC 3339 timestamp (UTC if no offset)")]
IncludeQ = Annotated[Literal["body"] | None, Query(description="`body` adds bodies to list items")]
# The pattern is the contract (checked before `parse_formats`), so clients and schema-driven
# tools know which values are valid, not only the prose.
FormatsQ = Annotated[str | None, Query(
    max_length=50, pattern=r"^(blocks|html|text)(,(blocks|html|text))*$",
    description="Body forms: comma-separated subset of `blocks,html,text`",
    examples=["blocks,html"])]

FeaturedQ = Annotated[QueryBool | None, Query(description=(
    "`true`: only articles editors featured; `false`: only the others"))]


def _filters(section: str | None, tag: list[str], author: str | None, language: str | None,
             published_after: datetime | None, published_before: datetime | None,
             updated_since: datetime | None) -> queries.ArticleFilters:
    return queries.ArticleFilters(
        section=section, tags=tag, author=author, language=language,
        published_after=utc(published_after), published_before=utc(published_before),
        updated_since=utc(updated_since))


def _list_keys(articles: list[Any]) -> list[str]:  # dict rows, or models with an `id`
    return ["articles", *(f"article:{a['id'] if isinstance(a, dict) else a.id}"
                          for a in articles)]


@router.get("/articles", response_model=ArticleList, operation_id="listArticles",
            summary="List published articles, newest first",
            responses=problem_responses(400, 422, 429))
async def list_articles(
    request: Request, params: ListParamsDep, now: NowDep,
    section: SectionQ = None, tag: TagQ = [],  # noqa: B006 (FastAPI copies defaults)
    author: AuthorQ = None, language: LanguageQ = None,
    published_after: TimeQ = None, published_before: TimeQ = None, updated_since: TimeQ = None,
    sort: SortQ = "-published_at", include: IncludeQ = None, formats: FormatsQ = None,
    featured: FeaturedQ = None,
) -> Response:
    """Cards of published articles. Keyset-paginated: follow `meta.next_cursor` (or the
    `Link: rel="next"` header). Bodies are left out unless `include=body`."""
    fields = parse_fields(params.fields, ArticleCard)
    body_formats = parse_formats(formats, ("blocks", "html")) if include == "body" else ()
    filters = _filters(section, tag, author, language, published_after, published_before,
                       updated_since)
    filters.featured = featured
    # Async, with no Session: the hottest uncached read (see public_reads and core.prepared).
    page = await public_reads.card_page(
        get_read_engine(), filters, now=now, sort=sort, limit=params.limit, cursor=params.cursor,
        formats=body_formats)
    return answer(request, list_representation(
        request, page.cards, limit=params.limit, next_cursor=page.next_cursor, fields=fields,
        surrogate_keys=_list_keys(page.cards), last_modified=page.last_change))


@router.get("/articles/{slug}", response_model=ArticlePublic, operation_id="getArticleBySlug",
            summary="Get one published article by slug",
            responses={301: {"description": "An old slug: `Location` names the current one"},
                       **problem_responses(404, 422, 429)})
async def get_article(request: Request, slug: str, now: NowDep, fields: FieldsQ = None,
                      formats: FormatsQ = None) -> Response:
    """The full article: body as blocks and HTML (ask `formats=text` for plain text), rights,
    source, authors with bios, and `structured_data` (schema.org NewsArticle JSON-LD) for SEO."""
    wanted = parse_fields(fields, ArticlePublic)
    body_formats = parse_formats(formats, ("blocks", "html"))
    engine = get_read_engine()
    found = await public_reads.public_article(engine, slug, now, body_formats)
    if found is None:
        moved = await public_reads.redirect_target(engine, slug, now)
        if moved is None:
            raise NotFound(f"No published article with slug {slug!r}")
        current, article_id = moved
        target = request.url.replace(path=request.url.path.rsplit("/", 1)[0] + "/" + current)
        # Cached like the article itself, and purged with it (a new slug or an unpublish).
        return RedirectResponse(str(target), status_code=301, headers={
            "Cache-Control": public_cache_control(), "Surrogate-Key": f"article:{article_id}"})
    public, author_ids = found
    # Its section's name is keyed by `article:` too (a renamed section announces its articles),
    # so publishing another article in the section leaves this one cached; its authors' are
    # not: the byline counts their articles.
    keys = [f"article:{public['id']}", *(f"author:{a}" for a in author_ids)]
    return answer(request, detail_representation(
        public, fields=wanted, surrogate_keys=keys,
        last_modified=max(public["updated_at"], public["published_at"] or public["updated_at"])))


@router.get("/search", response_model=SearchResults, operation_id="searchArticles",
            summary="Full-text search over published articles",
            responses=problem_responses(400, 422, 429))
async def search_articles(
    request: Request, params: ListParamsDep, now: NowDep,
    q: Annotated[str, Query(min_length=1, max_length=200, description="Words to find",
                            examples=["North Korea"])],
    section: SectionQ = None, tag: TagQ = [],  # noqa: B006
    author: AuthorQ = None, language: LanguageQ = None,
    published_after: TimeQ = None, published_before: TimeQ = None,
    sort: Annotated[str, Query(max_length=20, json_schema_extra={
        "enum": ["-relevance", *queries.SORTS]})] = "-relevance",
) -> Response:
    """Full-text search over title, excerpt and body text (pull quotes excluded), in Nepali and
    English alike. Words match their stems in the article's language (`नेपाल` finds
    `नेपालको` and `नेपालमा`, `minister` finds `ministers`); every word must match, and the last
    one also as a prefix (`hydro` finds `Hydropower`), so a query in either script finds articles
    in both languages. Each result carries `highlight`; `meta.total` counts the matches (exact up
    to 10,000, then `total_relation: gte`).

    Relevance order (`sort=-relevance`, the default) ranks the **500 newest matches** (after
    the filters) by relevance, title over excerpt over body: a query that matches more is
    ranked within its newest 500, so paging ends there. Sort by `-published_at` to page
    through every match."""
    fields = parse_fields(params.fields, SearchHit)
    filters = _filters(section, tag, author, language, published_after, published_before, None)
    # Every read in one worker thread, one session opened and closed there.
    found = await run_in_threadpool(
        search.hits, get_read_engine(), search_text.parse(q), filters, now=now, sort=sort,
        limit=params.limit, cursor=params.cursor)
    return answer(request, list_representation(
        request, found.items, limit=params.limit, next_cursor=found.results.next_cursor,
        fields=fields, surrogate_keys=_list_keys(found.items), last_modified=found.last_change,
        meta={"total": found.results.total, "total_relation": found.results.total_relation}))
