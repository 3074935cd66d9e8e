"""Public brief reads. A brief is public once its `published_at` has come and it is not deleted;
the story it points to is shown only while that article is public itself."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, and_
from sqlmodel import Session, col, select

from app.articles.models import Article
from app.articles.visibility import is_public
from app.briefs.models import Brief, BriefArticleRef, BriefPublic
from app.core.pagination import SortKey, decode_cursor, encode_cursor
from app.i18n import bikram_sambat
from app.media.images import image_object

NEWEST_DAY_FIRST = SortKey("date", [(col(Brief.date), True), (col(Brief.position), False),
                                    (col(Brief.id), False)])


def brief_is_public(now: dt.datetime) -> ColumnElement[bool]:
    return and_(col(Brief.published_at).is_not(None), col(Brief.published_at) <= now,
                col(Brief.deleted_at).is_(None))


def list_page(session: Session, *, now: dt.datetime, day: dt.date | None, dateline: str | None,
              limit: int, cursor: str | None,
              language: str | None = None) -> tuple[list[BriefPublic], str | None]:
    stmt = (
        # sqlmodel's select() is typed for at most four columns
        select(Brief, Article.id, Article.slug, Article.title,  # type: ignore[call-overload]
               Article.image)
        .outerjoin(Article, and_(col(Article.id) == Brief.article_id, is_public(now)))
        .where(brief_is_public(now))
    )
    if day is not None:
        stmt = stmt.where(Brief.date == day)
    if dateline:
        stmt = stmt.where(col(Brief.dateline) == dateline.upper().rstrip(":"))
    if language:
        stmt = stmt.where(col(Brief.language) == language)
    key = NEWEST_DAY_FIRST
    if cursor:
        stmt = stmt.where(key.after(decode_cursor(cursor, key.name, 3)))
    rows = session.exec(stmt.order_by(*key.order_by()).limit(limit + 1)).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1][0]
        next_cursor = encode_cursor(key.name, [last.date, last.position, last.id])
    items = [
        BriefPublic(
            id=b.id or 0, dateline=b.dateline, headline=b.headline, summary=b.summary,
            date=b.date, position=b.position, published_at=b.published_at,
            # image and date_bs: the models' fields dumped, validated back by the model
            article=BriefArticleRef(id=aid, slug=slug, title=title,
                                    image=image_object(image)) if aid else None,  # type: ignore[arg-type]
            language=b.language, date_bs=bikram_sambat.from_ad(b.date),  # type: ignore[arg-type]
        )
        for b, aid, slug, title, image in rows
    ]
    return items, next_cursor
