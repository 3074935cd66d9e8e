"""Preview links: managed in the Editorial API, opened on the public surface by token."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import orjson
from fastapi import APIRouter, Body, Depends, Path, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response as StarletteResponse

from app.articles import public_reads
from app.articles.dependencies import ReadableArticle
from app.articles.models import ArticlePublic
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.editorial import PageParamsDep, envelope
from app.core.errors import problem_responses
from app.core.http import Representation, respond
from app.core.listing import JSON_OPTIONS, NowDep
from app.core.pagination import Page
from app.core.ratelimit import add_headers, parse_limit
from app.previews import service
from app.previews.models import (
    PreviewLink,
    PreviewLinkCreate,
    PreviewLinkCreated,
    PreviewLinkPublic,
)
from app.users.dependencies import CurrentUser, no_store

editorial_router = APIRouter(prefix="/v1/editorial/articles/{article_id}/preview-links",
                             tags=["Editorial"], dependencies=[Depends(no_store)])
router = APIRouter(prefix="/v1/preview", tags=["Content"])
LinkId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The preview link's id")]


class PreviewLinkList(Page[PreviewLinkPublic]):
    pass


def _public(link: PreviewLink, now: datetime) -> PreviewLinkPublic:
    return PreviewLinkPublic(id=link.id or 0, article_id=link.article_id,
                             created_at=link.created_at, expires_at=link.expires_at,
                             revoked_at=link.revoked_at, created_by_id=link.created_by_id,
                             active=service.is_active(link, now))


def preview_url(token: str) -> str:
    return f"{get_settings().public_base_url.rstrip('/')}/v1/preview/{token}"


@editorial_router.post("", response_model=PreviewLinkCreated, status_code=201,
                       operation_id="createPreviewLink",
                       summary="Create a link that shows the current draft",
                       responses=problem_responses(401, 403, 404, 422))
def create_preview_link(article: ReadableArticle, session: SessionDep, user: CurrentUser,
                        now: NowDep,
                        data: Annotated[PreviewLinkCreate | None, Body()] = None,
                        ) -> PreviewLinkCreated:
    """A secret link anyone can open without logging in, to read the article as it is now
    (every later edit shows too) until it expires (`expires_in` seconds, 24 h by default, at
    most 7 days) or is revoked. The token is in this answer only: it is stored hashed. Anyone
    who can read the article may create one."""
    link, token = service.create_link(session, article, data or PreviewLinkCreate(), by=user,
                                      now=now)
    return PreviewLinkCreated(**_public(link, now).model_dump(), token=token,
                              url=preview_url(token))


@editorial_router.get("", response_model=PreviewLinkList, operation_id="listPreviewLinks",
                      summary="List an article's preview links",
                      responses=problem_responses(400, 401, 403, 404, 422))
def list_preview_links(article: ReadableArticle, request: Request, response: Response,
                       session: SessionDep, now: NowDep,
                       params: PageParamsDep) -> PreviewLinkList:
    """Newest first, expired and revoked ones included (`active` says which still work). Tokens
    are never shown again."""
    links, next_cursor = service.list_links(session, article, limit=params.limit,
                                            cursor=params.cursor)
    return PreviewLinkList(**envelope(request, response, [_public(x, now) for x in links],
                                      limit=params.limit, next_cursor=next_cursor))


@editorial_router.delete("/{link_id}", status_code=204, response_class=StarletteResponse,
                         operation_id="revokePreviewLink", summary="Revoke a preview link",
                         responses=problem_responses(401, 403, 404, 422))
def revoke_preview_link(article: ReadableArticle, link_id: LinkId, session: SessionDep,
                        now: NowDep) -> StarletteResponse:
    """The link stops working at once; it stays in the list, revoked."""
    service.revoke_link(session, service.get_link(session, article, link_id), now=now)
    return StarletteResponse(status_code=204)


@router.get("/{token}", response_model=ArticlePublic, operation_id="getPreview",
            summary="Open a preview link", responses=problem_responses(404, 422, 429))
async def get_preview(request: Request, token: Annotated[str, Path(max_length=100)],
                      session: SessionDep, now: NowDep) -> StarletteResponse:
    """The article as it is now, draft or not, in the shape of `/v1/articles/{slug}`. Never
    cached (`Cache-Control: private, no-store`) nor indexed (`X-Robots-Tag: noindex`), and
    rate-limited per link. An expired, revoked or unknown token is a 404 problem."""
    article, digest = await run_in_threadpool(service.previewed_article, session, token, now)
    limit = parse_limit(get_settings().rate_limit_preview)
    if limit is not None:
        decision = await request.app.state.rate_limiter.check(limit, "preview", digest)
        if decision is not None:
            add_headers(request.scope, decision)
            if not decision.allowed:
                raise decision.error("Too many requests for this preview link; slow down")
    public = await run_in_threadpool(
        lambda: public_reads.preview(session.connection(), now, article.id))
    response = respond(request, Representation(orjson.dumps(public, option=JSON_OPTIONS),
                                               public=False))
    response.headers["X-Robots-Tag"] = "noindex"
    return response
