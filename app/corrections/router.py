"""Editorial API: appending a correction, clarification or update notice to an article."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from app.articles.dependencies import ManagedArticle
from app.articles.editorial_presenters import editorial
from app.articles.models import ArticleEditorial
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.listing import NowDep
from app.core.preconditions import IfMatch, expected_revision, revision_etag
from app.corrections import service
from app.corrections.models import CorrectionCreate
from app.users.dependencies import CurrentUser, no_store

router = APIRouter(prefix="/v1/editorial", tags=["Editorial"], dependencies=[Depends(no_store)])


@router.post("/articles/{article_id}/corrections", response_model=ArticleEditorial,
             status_code=201, operation_id="addArticleCorrection",
             summary="Append a public correction notice", response_model_exclude_unset=True,
             responses=problem_responses(401, 403, 404, 409, 412, 422, 428))
def add_correction(article: ManagedArticle, data: CorrectionCreate, response: Response,
                   session: SessionDep, user: CurrentUser, now: NowDep,
                   if_match: IfMatch = None) -> dict[str, Any]:
    """A notice readers see under the article (`corrections` in its details, `correction` in
    its JSON-LD, a correction description in ninjs), with the time it was made. It can never be
    edited or removed. The article must be published (else 409); send `If-Match` as for any
    change.
    Partners get the article again in the change feed. Editors and admins."""
    article = service.add_correction(session, article, data, by=user, now=now,
                                     expected_revision=expected_revision(if_match, article.id))
    response.headers["ETag"] = revision_etag(article.id, article.revision)
    return editorial(session, article, now)
