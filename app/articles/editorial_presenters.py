"""The newsroom's view of articles: the public shapes plus status, revision and bookkeeping
(rendered from rows by `public_reads.editorial_by_id`), and revisions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.articles import public_reads
from app.articles.models import Article, ArticleRevision, RevisionDetail, RevisionSummary


def editorial(session: Session, article: Article, now: datetime) -> dict[str, Any]:
    """`ArticleEditorial` of an article the request has loaded (and may just have written)."""
    return public_reads.editorial_by_id(session.connection(), now, [article.id],
                                        full=True)[article.id]


def editorial_cards(session: Session, ids: Sequence[str], now: datetime) -> list[dict[str, Any]]:
    """`ArticleEditorialCard`s, in the order of `ids`."""
    found = public_reads.editorial_by_id(session.connection(), now, ids, full=False)
    return [found[i] for i in ids]


def revision_summary(revision: ArticleRevision) -> RevisionSummary:
    return RevisionSummary(revision=revision.revision, created_at=revision.created_at,
                           created_by_id=revision.created_by_id,
                           title=str(revision.snapshot.get("title", "")))


def revision_detail(revision: ArticleRevision, snapshot: dict[str, Any]) -> RevisionDetail:
    """`snapshot`: the revision's full state (`editorial_queries.revision_snapshot`)."""
    return RevisionDetail(**dict(revision_summary(revision)), snapshot=snapshot)
