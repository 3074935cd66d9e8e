"""Content API: old URLs (an imported WordPress site's permalinks) answered with a 301."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.core.db import ReadSessionDep
from app.core.errors import NotFound, problem_responses
from app.core.http import public_cache_control
from app.core.listing import NowDep
from app.redirects import service
from app.redirects.models import RedirectArticle, RedirectPublic

router = APIRouter(prefix="/v1", tags=["Content"])

EXAMPLE = {"path": "/2012/01/04/template-password-protected", "status": 301,
           "location": "https://api.example.com/v1/articles/template-password-protected",
           "article": {"id": "0190a6c3d2e84b5f9a1c2d3e4f5a6b7c",
                       "slug": "template-password-protected"}}


@router.get("/redirects", response_model=RedirectPublic, status_code=301,
            operation_id="getRedirect", summary="Where an old URL of the site now points",
            responses={301: {"description": "`Location` is the article's Content API URL; the "
                             "body names the article, so a frontend can redirect to its own URL",
                             "content": {"application/json": {"example": EXAMPLE}}},
                       **problem_responses(404, 422, 429)})
def get_redirect(
    request: Request, session: ReadSessionDep, now: NowDep,
    path: Annotated[str, Query(min_length=1, max_length=2000, description=(
        "An old path or URL, e.g. `/2012/01/04/my-post/` or `/?p=1168`; percent-encoded or "
        "not, trailing slash optional"), examples=["/2012/01/04/template-password-protected/"])],
) -> Response:
    """A published article's old permalink (a WordPress import keeps each post's `<link>`
    path and its `?p=ID` shortlink) answers `301` to the article. A frontend looks up a path
    it does not know here and redirects to its own URL for `article.slug`. Unknown paths, and
    paths of articles that are not public, are 404."""
    found = service.target(session, path, now)
    if found is None:
        raise NotFound(f"No redirect for path {service.normalize_path(path)!r}")
    article_id, slug = found
    location = str(request.url.replace(path=f"/v1/articles/{quote(slug, safe='')}", query=""))
    body = RedirectPublic(path=service.normalize_path(path), location=location,
                          article=RedirectArticle(id=article_id, slug=slug))
    return Response(orjson.dumps(body.model_dump(mode="json")), status_code=301,
                    media_type="application/json",
                    headers={"Location": location, "Cache-Control": public_cache_control(),
                             "Surrogate-Key": f"redirects article:{article_id}"})
