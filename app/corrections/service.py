"""Appending a correction: one transaction with the article's new revision and its change."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from app.articles import service as articles_service
from app.articles.errors import ArticleStateConflict
from app.articles.models import Article, Status
from app.articles.visibility import effective_status
from app.corrections.models import ArticleCorrection, CorrectionCreate
from app.users.models import User
from app.webhooks.models import EventType


def add_correction(session: Session, article: Article, data: CorrectionCreate, *,
                   expected_revision: int, by: User | None, now: datetime) -> Article:
    """The notice is public at once and for good: there is no route to change or remove it.
    The article gets a new revision and `updated_at` (its details changed), and partners an
    upsert in the change feed."""
    articles_service.require_revision(article, expected_revision)
    if article.deleted_at is not None:
        raise ArticleStateConflict("A deleted article cannot be corrected; restore it first")
    if effective_status(article.status, article.published_at, now) != Status.published:
        raise ArticleStateConflict("Only a published article takes a correction; edit the draft")
    session.add(ArticleCorrection(article_id=article.id, kind=data.kind.value, text=data.text,
                                  created_at=now, created_by_id=by.id if by else None))
    return articles_service.new_revision(session, article, expected_revision=expected_revision,
                                         by=by, now=now, event=EventType.article_corrected)
