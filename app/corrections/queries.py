"""Reading corrections: one query for any number of articles, oldest notice first."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlmodel import Session, col, select

from app.articles.models import CorrectionPublic
from app.corrections.models import ArticleCorrection


def corrections_for(session: Session,
                    article_ids: Sequence[str]) -> dict[str, list[CorrectionPublic]]:
    out: dict[str, list[CorrectionPublic]] = defaultdict(list)
    if not article_ids:
        return out
    rows = session.exec(select(ArticleCorrection)
                        .where(col(ArticleCorrection.article_id).in_(article_ids))
                        .order_by(col(ArticleCorrection.id))).all()
    for row in rows:
        out[row.article_id].append(CorrectionPublic(kind=row.kind, text=row.text,
                                                    at=row.created_at))
    return out
