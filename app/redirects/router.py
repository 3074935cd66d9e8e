"""Content API: old URLs (an imported WordPress site's permalinks) and where they now point."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.core.db import ReadSessionDep
from app.core.errors import NotFound, problem_responses
from app.core.listing import NowDep, answer, detail_representation
from app.redirects import service
from app.redirects.models import RedirectArticle, RedirectPublic

router = APIRouter(prefix="/v1", tags=["Content"])


@router.get("/redirects", response_model=RedirectPublic, operation_id="getRedirect",
            summary="Where an old URL of the site now points",
            responses=problem_responses(404, 422, 429))
def get_redirect(
    request: Request, session: ReadSessionDep, now: NowDep,
    path: Annotated[str, Query(min_length=1, max_length=2000, description=(
        "An old path or URL, e.g. `/2012/01/04/my-post/` or `/?p=1168`; percent-encoded or "
        "not, trailing slash optional"), examples=["/2012/01/04/template-password-protected/"])],
) -> Response:
    """The old permalink of a published article (a WordPress import keeps each post's `<link>`
    path and its `?p=ID` shortlink): the frontend that receives a request for a path it does
    not know asks here and answers its reader a `301` (`status`) to its own URL for
    `article.slug`; `location` is the article in this API. Unknown paths, and paths of
    articles that are not public, are 404. Cached like every Content API read (ETag,
    Surrogate-Key `article:{id}`, purged when the article changes)."""
    found = service.target(session, path, now)
    if found is None:
        raise NotFound(f"No redirect for path {service.normalize_path(path)!r}")
    article_id, slug = found
    location = str(request.url.replace(path=f"/v1/articles/{quote(slug, safe='')}", query=""))
    body = RedirectPublic(path=service.normalize_path(path), status=301, location=location,
                          article=RedirectArticle(id=article_id, slug=slug))
    return answer(request, detail_representation(
        body, fields=None, surrogate_keys=["redirects", f"article:{article_id}"],
        last_modified=None))
