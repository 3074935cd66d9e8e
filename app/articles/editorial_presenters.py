"""The newsroom's view of articles: the public shapes plus status, revision and bookkeeping."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.articles import presenters
from app.articles.models import (
    Article,
    ArticleEditorial,
    ArticleEditorialCard,
    ArticleRevision,
    RevisionDetail,
    RevisionSummary,
)
from app.articles.visibility import effective_status


def _bookkeeping(article: Article, now: datetime) -> dict[str, Any]:
    return {"status": effective_status(article, now), "revision": article.revision,
            "created_at": article.created_at, "deleted_at": article.deleted_at,
            "created_by_id": article.created_by_id, "featured": article.featured}


def editorial(session: Session, article: Article, now: datetime) -> ArticleEditorial:
    public = presenters.full(session, article, ("blocks", "html"), with_structured_data=False)
    return ArticleEditorial(**public.model_dump(exclude_unset=True),
                            **_bookkeeping(article, now))


def editorial_cards(session: Session, articles: Sequence[Article],
                    now: datetime) -> list[ArticleEditorialCard]:
    cards = presenters.cards(session, articles)
    return [ArticleEditorialCard(**card.model_dump(exclude_unset=True),
                                 **_bookkeeping(article, now))
            for card, article in zip(cards, articles, strict=True)]


def revision_summary(revision: ArticleRevision) -> RevisionSummary:
    return RevisionSummary(revision=revision.revision, created_at=revision.created_at,
                           created_by_id=revision.created_by_id,
                           title=str(revision.snapshot.get("title", "")))


def revision_detail(revision: ArticleRevision, snapshot: dict[str, Any]) -> RevisionDetail:
    """`snapshot`: the revision's full state (`editorial_queries.revision_snapshot`)."""
    return RevisionDetail(**dict(revision_summary(revision)), snapshot=snapshot)
