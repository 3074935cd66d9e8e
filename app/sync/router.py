"""`GET /v1/sync`: a public, filtered copy of the published articles, kept exact by deltas."""

from __future__ import annotations

from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.articles.router import IncludeQ, LanguageQ, SectionQ
from app.changelog import feed
from app.changelog.feed import MAX_WAIT
from app.core.errors import BadRequest, problem_responses
from app.core.http import Representation, respond
from app.core.listing import JSON_OPTIONS, NowDep
from app.core.pagination import MAX_LIMIT
from app.sync import service
from app.sync.models import SyncPage

router = APIRouter(prefix="/v1", tags=["Content"])


@router.get("/sync", response_model=SyncPage, operation_id="syncArticles",
            summary="Keep a copy of the published articles in sync",
            responses=problem_responses(400, 410, 422, 429))
async def sync(
    request: Request, now: NowDep,
    cursor: Annotated[str | None, Query(max_length=512, description=(
        "`meta.next_cursor` of your last sync; omit for an initial sync"))] = None,
    since: Annotated[Literal["latest"] | None, Query(description=(
        "`latest` (without `cursor`: both together answer 400): no items, only the head "
        "cursor, to follow changes from now on"))] = None,
    language: LanguageQ = None,
    section: SectionQ = None,
    include: IncludeQ = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page (1-100)")] = 100,
    wait: Annotated[int, Query(ge=0, le=MAX_WAIT, description=(
        "Long-poll (seconds, 0-25): with nothing new after `cursor`, hold the request and "
        "answer as soon as a change you may see commits"))] = 0,
) -> Response:
    """Without `cursor`, an initial sync: every published article matching `language` and
    `section`, as upserts, page by page (follow `meta.next_cursor` while `meta.has_more`).
    With `cursor`, every change after it, in commit order: `upsert` (the article now, a card
    or with `include=body` the full article) or `delete` with `reason` (`unpublished`,
    `deleted`, `killed`, `out_of_scope`) and `at`. Filters apply to deletes too, and you only
    get deletes for articles you could once see. Keep the same filters for a cursor. A cursor
    older than the retained log answers 410: start again without one."""
    if since and cursor:
        raise BadRequest("Give either `cursor` (continue a sync) or `since=latest` (start at the "
                         "head), not both")
    position = None if since == "latest" else service.decode_position(cursor, language, section)
    page, data = await feed.poll_page(
        position, latest_only=since == "latest", limit=limit, now=now, wait=wait,
        viewer=lambda session: service.viewer(session, language, section),
        items=lambda session, page, at: service.items(session, page, body=include == "body",
                                                      now=at))
    next_cursor = service.encode_position(page.next, language, section)
    next_url = str(request.url.include_query_params(cursor=next_cursor).remove_query_params(
        ["since"])) if page.has_more else None
    body = orjson.dumps({
        "data": data,
        "meta": {"limit": limit, "next_cursor": next_cursor, "has_more": page.has_more},
        "links": {"self": str(request.url), "next": next_url},
    }, option=JSON_OPTIONS)
    # A page with items is the same for everyone until content changes (the response cache
    # keys on the content version; the CDN purges `articles`). An empty one is the head, which
    # moves with the next commit: never stored, so a long-poll is never answered from a cache.
    return respond(request, Representation(
        body, surrogate_keys=["articles"] if data else (), public=bool(data),
        headers={"Link": f'<{next_url}>; rel="next"'} if next_url else {}))
