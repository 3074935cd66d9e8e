"""The one visibility rule of the public surfaces.

An article is public when it is published (or scheduled and its time has come) and not deleted.
Every Content API and Syndication query starts from `public_articles()`; no route repeats it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_

from app.articles.models import Article, Status

LIVE_STATUSES = (Status.published.value, Status.scheduled.value)


def is_public(now: datetime) -> ColumnElement[bool]:
    return and_(
        Article.status.in_(LIVE_STATUSES),  # type: ignore[attr-defined]
        Article.published_at <= now,  # type: ignore[operator]
        Article.deleted_at.is_(None),  # type: ignore[union-attr]
    )


def effective_status(article: Article, now: datetime) -> Status:
    """A scheduled article whose time has come reads as published, with no job runner."""
    if (article.status == Status.scheduled and article.published_at is not None
            and article.published_at <= now):
        return Status.published
    return Status(article.status)
