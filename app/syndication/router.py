"""Syndication API: full text, ninjs and an exact change feed for partners (API key)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Path, Query, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from app.articles import queries
from app.changelog import feed
from app.changelog.feed import MAX_WAIT
from app.changelog.models import Reason
from app.core.cache import Rendering, ResponseCache
from app.core.config import get_settings
from app.core.db import SessionDep, get_read_engine
from app.core.errors import NotFound, problem_responses
from app.core.http import Representation, respond
from app.core.listing import JSON_OPTIONS, NowDep, latest, utc
from app.core.pagination import MAX_LIMIT, Page
from app.core.timestamps import modified_at
from app.feeds.render import MEDIA_TYPES, FeedMeta, render
from app.feeds.router import feed_items
from app.partners import service as partners_service
from app.partners.dependencies import CurrentPartner
from app.partners.models import Partner
from app.partners.usage import meter_of
from app.syndication import ninjs, present, service
from app.syndication.entitlement import entitled
from app.syndication.models import ChangeFeed, SyndicatedArticle, UsageReport, UsageRow

router = APIRouter(prefix="/v1/syndication", tags=["Syndication"])
FEED_SIZE = 50
AUTH_ERRORS = (401, 429)


class SyndicatedArticleList(Page[SyndicatedArticle]):
    pass


class ArticleNotFound(NotFound):
    title = "Article not found"


FormatQ = Annotated[Literal["native", "ninjs"], Query(
    alias="format", description="`native` (Khabar's article JSON) or `ninjs` (IPTC ninjs)")]
NinjsVersionQ = Annotated[Literal["3.1", "2.2", "1.6"], Query(
    description="ninjs version when `format=ninjs`: 3.1 (current), 2.2 or 1.6")]
SortQ = Annotated[Literal["-published_at", "published_at", "-updated_at"], Query(
    description="Order of the pages")]
NINJS_EXAMPLE = {"description": "Native articles; with `format=ninjs` each item (or the detail) "
                 "is an IPTC ninjs document of `ninjs_version` instead"}


def _private(payload: Any, *, last_modified: datetime | None = None,
             headers: dict[str, str] | None = None) -> Representation:
    # Private: partner responses are never cached by a browser or CDN (the ETag still saves
    # bandwidth on an unchanged page).
    return Representation(orjson.dumps(payload, option=JSON_OPTIONS),
                          last_modified=last_modified, headers=headers or {}, public=False)


async def _kept_read(request: Request, partner: Partner,
                     read: Callable[[Session], Representation]) -> Response:
    """`_kept` for a page `read` from one session of the read engine, in a worker thread."""

    def run() -> Representation:
        with Session(get_read_engine(), expire_on_commit=False) as session:
            return read(session)

    async def render() -> Representation:
        return await run_in_threadpool(run)

    return await _kept(request, partner, render)


async def _kept(request: Request, partner: Partner, render: Rendering) -> Response:
    """Answer from the page kept for this partner's identical request (`ResponseCache.own`)
    while no change could alter it, else from `render`. Keyed by what the partner sees through:
    its allowlist, embargo access and name (the feeds' title), and by the exact URL (the page's
    own links). `X-Cache` says which, as on public reads."""
    cache: ResponseCache | None = request.app.state.response_cache
    if cache is None:
        return respond(request, await render())
    key = ("partner", partner.id, partner.name, tuple(partner.sections or ()),
           partner.embargo_access, str(request.url))
    representation, hit = await cache.own(key, render)
    response = respond(request, representation)
    response.headers["X-Cache"] = "HIT" if hit else "MISS"
    return response


def _items(session: Session, ids: list[str], fmt: str, version: ninjs.NinjsVersion,
           now: datetime) -> list[dict[str, Any]]:
    return _formatted(present.native(session, ids, now), fmt, version)


def _formatted(native: list[dict[str, Any]], fmt: str,
               version: ninjs.NinjsVersion) -> list[dict[str, Any]]:
    if fmt == "ninjs":
        return [ninjs.to_ninjs(a, version) for a in native]
    return native


@router.get("/articles", response_model=SyndicatedArticleList,
            operation_id="listSyndicatedArticles",
            summary="List the articles this partner may republish, in full",
            responses={200: NINJS_EXAMPLE, **problem_responses(400, *AUTH_ERRORS, 422)})
async def list_articles(
    request: Request, partner: CurrentPartner, now: NowDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size (1-100)")] = 20,
    cursor: Annotated[str | None, Query(max_length=512, description=(
        "Opaque cursor from `meta.next_cursor`"))] = None,
    updated_since: Annotated[datetime | None, Query(description=(
        "Only articles updated at or after this RFC 3339 time (UTC if no offset)"))] = None,
    sort: SortQ = "-published_at",
    fmt: FormatQ = "native",
    ninjs_version: NinjsVersionQ = "3.1",
) -> Response:
    """Published articles whose rights allow syndication and whose section is in your allowlist,
    with full bodies (blocks, HTML and plain text), newest first. For keeping a copy in sync,
    prefer `GET /v1/syndication/changes`, which also tells you what to take down."""
    filters = queries.ArticleFilters(updated_since=utc(updated_since), extra=[entitled(partner)],
                                     early=partner.embargo_access)

    def read(session: Session) -> Representation:
        ids, next_cursor = queries.page_ids(session, filters, now=now, sort=sort, limit=limit,
                                            cursor=cursor)
        native = present.native(session, ids, now)
        next_url = (str(request.url.include_query_params(cursor=next_cursor)) if next_cursor
                    else None)
        return _private({
            "data": _formatted(native, fmt, ninjs_version),
            "meta": {"limit": limit, "next_cursor": next_cursor},
            "links": {"self": str(request.url), "next": next_url},
        }, last_modified=latest(a["updated_at"] for a in native),
            headers={"Link": f'<{next_url}>; rel="next"'} if next_url else None)

    return await _kept_read(request, partner, read)


@router.get("/articles/{article_id}", response_model=SyndicatedArticle,
            operation_id="getSyndicatedArticle", summary="Get one article in full",
            responses={200: NINJS_EXAMPLE, **problem_responses(*AUTH_ERRORS, 404, 422)})
async def get_article(request: Request, partner: CurrentPartner, now: NowDep,
                      article_id: Annotated[str, Path(max_length=32)], fmt: FormatQ = "native",
                      ninjs_version: NinjsVersionQ = "3.1") -> Response:
    """One article by id. Answers 404 for an article you may not (or may no longer) republish,
    exactly as for one that does not exist."""

    def read(session: Session) -> Representation:
        article = service.get_entitled(session, partner, article_id, now)
        if article is None:
            raise ArticleNotFound(f"No article {article_id!r} is available to this partner")
        item = _items(session, [article.id], fmt, ninjs_version, now)[0]
        return _private(item, last_modified=article.updated_at)

    return await _kept_read(request, partner, read)


WaitQ = Annotated[int, Query(ge=0, le=MAX_WAIT, description=(
    "Long-poll: with nothing new, hold the request up to this many seconds (0-25) and answer "
    "as soon as a change you may see commits"))]


@router.get("/changes", response_model=ChangeFeed, operation_id="listSyndicationChanges",
            summary="Poll the change feed",
            responses={200: NINJS_EXAMPLE, **problem_responses(400, *AUTH_ERRORS, 410, 422)})
async def list_changes(
    request: Request, partner: CurrentPartner, now: NowDep,
    since: Annotated[str | None, Query(max_length=512, description=(
        "`meta.next_cursor` of your last poll; `latest` for the head (no items); omit for an "
        "initial sync"))] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Changes per page (1-100)")] = 100,
    wait: WaitQ = 0,
    fmt: FormatQ = "native",
    ninjs_version: NinjsVersionQ = "3.1",
) -> Response:
    """Without `since`, an initial sync: every article you may republish now, as upserts, page
    by page (follow `meta.next_cursor` while `meta.has_more`); its last page's cursor is where
    changes resume. With `since`, what changed after it, oldest first. Each item is the
    article's current state for you: `upsert` with the full article, or `delete` (with
    `article: null`, `reason` and `at`) when you must take it down; you only ever get deletes
    for articles you could once see. Store `meta.next_cursor` (never null) and poll with
    `since=`; `wait=` long-polls. A cursor older than the retained log answers 410: start a
    new initial sync. Reading twice from one cursor returns the same items."""
    position = (None if since == "latest" else service.decode_position(since))

    async def render() -> Representation:
        page, data = await feed.poll_page(
            position, latest_only=since == "latest", limit=limit, now=now, wait=wait,
            viewer=lambda session: service.viewer_of(session, partner),
            items=lambda session, page, at: _change_items(session, page, fmt, ninjs_version,
                                                          at))
        next_cursor = service.encode_position(page.next)
        next_url = str(request.url.include_query_params(since=next_cursor))
        return _private({
            "data": data,
            "meta": {"limit": limit, "next_cursor": next_cursor, "has_more": page.has_more},
            "links": {"self": str(request.url), "next": next_url},
        })

    # An answer that may come after a wait, under a later state, is never a kept page.
    if feed.waits(position, wait):
        return respond(request, await render())
    return await _kept(request, partner, render)


def _change_items(session: Session, page: feed.FeedPage, fmt: str,
                  version: ninjs.NinjsVersion, now: datetime) -> list[dict[str, Any]]:
    ids = [e.article_id for e in page.entries if not e.reason]
    rendered = dict(zip(ids, _items(session, ids, fmt, version, now), strict=True))
    data: list[dict[str, Any]] = []
    for e in page.entries:
        if e.reason is None:
            data.append({"seq": e.seq, "op": "upsert", "id": e.article_id,
                         "article": rendered[e.article_id]})
            continue
        item: dict[str, Any] = {"seq": e.seq, "op": "delete", "id": e.article_id,
                                "article": None, "reason": e.reason.value,
                                "at": e.at.isoformat().replace("+00:00", "Z") if e.at else None}
        if fmt == "ninjs":
            item["article"] = ninjs.withdrawn(e.article_id, e.reason == Reason.killed, e.at,
                                              version)
        data.append(item)
    return data


# JSON first, as in app/feeds: tools that check a JSON answer against one schema take the first.
FEED_RESPONSES: dict[int | str, dict[str, Any]] = {200: {
    "description": "The feed, with full text", "content": {
        "application/feed+json": {"schema": {"type": "object"}, "example": {
            "version": "https://jsonfeed.org/version/1.1", "items": []}},
        "application/atom+xml": {"schema": {"type": "string"}, "example": "<feed>…</feed>"}}}}


@router.get("/feed.{kind}", operation_id="getSyndicationFeed", response_class=Response,
            summary="Full-text feed of your latest 50 articles",
            responses={**FEED_RESPONSES, **problem_responses(*AUTH_ERRORS, 404, 422)})
async def partner_feed(request: Request, kind: Literal["atom", "json"], partner: CurrentPartner,
                       now: NowDep) -> Response:
    """Atom 1.0 (`feed.atom`) or JSON Feed 1.1 (`feed.json`) of the 50 latest articles you may
    republish, each with its full HTML body."""
    filters = queries.ArticleFilters(extra=[entitled(partner)])

    def read(session: Session) -> Representation:
        ids, _ = queries.page_ids(session, filters, now=now, sort="-published_at",
                                  limit=FEED_SIZE, cursor=None)
        items = feed_items(session, now, ids, full_text=True)
        settings = get_settings()
        updated = latest(modified_at(i.updated, i.published) for i in items) or now
        meta = FeedMeta(title=f"{settings.publisher_name} for {partner.name}",
                        home_url=settings.site_url, feed_url=str(request.url),
                        description=f"Articles {partner.name} may republish",
                        language=settings.languages[0], updated=updated)
        return Representation(render(kind, meta, items), media_type=MEDIA_TYPES[kind],
                              last_modified=updated, public=False)

    return await _kept_read(request, partner, read)


@router.get("/usage", response_model=UsageReport, operation_id="getSyndicationUsage",
            summary="Your own request counts", responses=problem_responses(*AUTH_ERRORS, 422))
def usage(request: Request, partner: CurrentPartner, session: SessionDep, now: NowDep,
          days: Annotated[int, Query(ge=1, le=366, description="How many UTC days back")] = 30,
          ) -> Response:
    """Requests made with your key, per UTC day and route, newest day first (this request
    included). Only your own counts are ever shown."""
    meter_of(request).flush()  # after this request was counted: it is included
    since = now.astimezone(UTC).date() - timedelta(days=days - 1)
    rows = partners_service.usage(session, partner, since=since)
    report = UsageReport(partner_id=partner.id or 0, since=since,
                         data=[UsageRow(day=r.day, route=r.route, count=r.count) for r in rows])
    return respond(request, _private(report.model_dump(mode="json")))
