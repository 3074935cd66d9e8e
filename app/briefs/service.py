"""Brief use cases. Briefs keep a per-day order: a new brief without a position goes last."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from app.articles.models import Article
from app.articles.visibility import is_public
from app.briefs.models import Brief, BriefArticleRef, BriefCreate, BriefEditorial, BriefUpdate
from app.briefs.queries import NEWEST_DAY_FIRST
from app.changelog import record as changes
from app.core.errors import Conflict, Unprocessable
from app.core.pagination import fetch_page
from app.core.patch import refuse_nulls
from app.i18n import bikram_sambat
from app.media.images import image_object
from app.users.models import Role, User
from app.webhooks import outbox as webhooks


def _next_position(session: Session, day: dt.date) -> int:
    last = session.exec(select(func.max(Brief.position)).where(
        Brief.date == day, col(Brief.deleted_at).is_(None))).one()
    return 0 if last is None else last + 1


def next_position(session: Session, day: dt.date) -> int:
    """The position after the day's last brief (0 for a day without briefs)."""
    return _next_position(session, day)


def _check_article(session: Session, article_id: str | None) -> None:
    # "" is an unknown id, not "no article" (null is that): checked, or the insert trips the FK.
    if article_id is not None and session.get(Article, article_id) is None:
        raise Unprocessable(f"No article with id {article_id!r}",
                            errors=[{"loc": ["body", "article_id"], "msg": "unknown article"}])


def add_brief(session: Session, data: BriefCreate, *, now: dt.datetime) -> Brief:
    """Flushes; the caller commits (the importer adds several in one transaction)."""
    _check_article(session, data.article_id)
    brief = Brief(
        dateline=data.dateline, headline=data.headline, summary=data.summary, date=data.date,
        position=data.position if data.position is not None else _next_position(session, data.date),
        article_id=data.article_id, published_at=now if data.published else None,
        created_at=now, updated_at=now, language=data.language,
    )
    session.add(brief)
    session.flush()
    return brief


def create_brief(session: Session, data: BriefCreate, *, now: dt.datetime) -> Brief:
    brief = add_brief(session, data, now=now)
    changes.content_changed(session, "briefs")
    if brief.published_at is not None:
        assert brief.id is not None  # flushed by add_brief
        webhooks.enqueue_brief_event(session, "brief.published", brief.id, now=now)
    session.commit()
    session.refresh(brief)
    return brief


def update_brief(session: Session, brief: Brief, data: BriefUpdate, *, now: dt.datetime) -> Brief:
    """A brief moved to another day without a position goes last in that day."""
    if brief.deleted_at is not None:
        raise Conflict("The brief is deleted")
    refuse_nulls(data, "headline", "date", "language")
    values = data.model_dump(exclude_unset=True)
    if "article_id" in values:
        _check_article(session, values["article_id"])
    if values.get("date", brief.date) != brief.date and values.get("position") is None:
        values["position"] = _next_position(session, values["date"])
    published = values.pop("published", None)
    was_published = brief.published_at is not None
    for name, value in values.items():
        setattr(brief, name, value)
    if published is not None:
        brief.published_at = (brief.published_at or now) if published else None
    brief.updated_at = now
    session.add(brief)
    changes.content_changed(session, "briefs")
    if brief.published_at is not None and not was_published:
        assert brief.id is not None  # a stored brief
        webhooks.enqueue_brief_event(session, "brief.published", brief.id, now=now)
    session.commit()
    session.refresh(brief)
    return brief


def delete_brief(session: Session, brief: Brief, *, now: dt.datetime) -> None:
    if brief.deleted_at is not None:
        raise Conflict("The brief is already deleted")
    brief.deleted_at = now
    session.add(brief)
    changes.content_changed(session, "briefs")
    session.commit()


def reorder_briefs(session: Session, day: dt.date, ids: Sequence[int], *,
                   now: dt.datetime) -> list[Brief]:
    """Set a day's order in one go. `ids` must name every live brief of the day exactly once:
    a partial list would leave the rest in an order nobody chose."""
    briefs = {b.id: b for b in session.exec(select(Brief).where(
        Brief.date == day, col(Brief.deleted_at).is_(None)))}
    errors: list[dict[str, Any]] = []
    if len(set(ids)) != len(ids):
        errors.append({"loc": ["body", "ids"], "msg": "an id is listed more than once"})
    foreign = [i for i in dict.fromkeys(ids) if i not in briefs]
    if foreign:
        errors.append({"loc": ["body", "ids"],
                       "msg": f"not a live brief of {day}: {', '.join(map(str, foreign))}"})
    missing = sorted(set(briefs) - set(ids))  # type: ignore[type-var]  # stored: ids not None
    if missing:
        errors.append({"loc": ["body", "ids"],
                       "msg": f"missing briefs of {day}: {', '.join(map(str, missing))}"})
    if errors:
        raise Unprocessable(f"ids must list every live brief of {day} once", errors=errors)
    for position, brief_id in enumerate(ids):
        brief = briefs[brief_id]
        if brief.position != position:
            brief.position = position
            brief.updated_at = now
            session.add(brief)
    changes.content_changed(session, "briefs")
    session.commit()
    return [briefs[i] for i in ids]


# ---- editorial reads ------------------------------------------------------------------------


def _with_articles() -> Select[Brief, str, str, Any]:  # Any: the stored image JSON
    return (select(Brief, Article.slug, Article.title, Article.image)
            .outerjoin(Article, col(Article.id) == Brief.article_id))


def _view(brief: Brief, slug: str | None, title: str | None,
          image: dict[str, Any] | None = None) -> BriefEditorial:
    ref = (BriefArticleRef(id=brief.article_id, slug=slug, title=title,
                           image=image_object(image))  # type: ignore[arg-type]  # validated back
           if brief.article_id and slug is not None and title is not None else None)
    return BriefEditorial.model_validate(
        brief, update={"article": ref, "date_bs": bikram_sambat.from_ad(brief.date)})


def editorial_view(session: Session, brief: Brief) -> BriefEditorial:
    _, slug, title, image = session.exec(_with_articles().where(Brief.id == brief.id)).one()
    return _view(brief, slug, title, image)


def day_views(session: Session, day: dt.date) -> list[BriefEditorial]:
    rows = session.exec(_with_articles().where(Brief.date == day, col(Brief.deleted_at).is_(None))
                        .order_by(*NEWEST_DAY_FIRST.order_by())).all()
    return [_view(*row) for row in rows]


def as_seen_by(session: Session, views: list[BriefEditorial], user: User,
               now: dt.datetime) -> list[BriefEditorial]:
    """Writers meet only their own, undeleted articles (and public ones): a brief pointing at
    any other keeps its text but not the article's id, slug or title, which would tell a writer
    what a colleague is drafting."""
    if user.role != Role.writer:
        return views
    ids = {v.article_id for v in views if v.article_id}
    readable = set(session.exec(select(Article.id).where(
        col(Article.id).in_(ids),
        or_(and_(col(Article.created_by_id) == user.id, col(Article.deleted_at).is_(None)),
            is_public(now)))).all()) if ids else set()
    return [v if v.article_id is None or v.article_id in readable
            else v.model_copy(update={"article_id": None, "article": None}) for v in views]


def list_briefs(session: Session, *, day: dt.date | None, include_deleted: bool, limit: int,
                cursor: str | None) -> tuple[list[BriefEditorial], str | None]:
    """Briefs of every publication state, newest day first and in page order within a day."""
    stmt = _with_articles()
    if day is not None:
        stmt = stmt.where(Brief.date == day)
    if not include_deleted:
        stmt = stmt.where(col(Brief.deleted_at).is_(None))
    rows, next_cursor = fetch_page(
        session, stmt, NEWEST_DAY_FIRST, limit=limit, cursor=cursor,
        cursor_of=lambda row: [row[0].date, row[0].position, row[0].id])
    return [_view(*row) for row in rows], next_cursor
