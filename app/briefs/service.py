"""Brief use cases. Briefs keep a per-day order: a new brief without a position goes last."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlmodel import Session, select

from app.articles.models import Article
from app.briefs.models import Brief, BriefCreate, BriefUpdate
from app.core.errors import Unprocessable
from app.syndication import changes


def _next_position(session: Session, day: dt.date) -> int:
    last = session.exec(select(func.max(Brief.position)).where(
        Brief.date == day, Brief.deleted_at.is_(None))).one()  # type: ignore[union-attr]
    return 0 if last is None else last + 1


def _check_article(session: Session, article_id: str | None) -> None:
    if article_id and session.get(Article, article_id) is None:
        raise Unprocessable(f"No article with id {article_id!r}",
                            errors=[{"loc": ["body", "article_id"], "msg": "unknown article"}])


def add_brief(session: Session, data: BriefCreate, *, now: dt.datetime) -> Brief:
    """Flushes; the caller commits (the importer adds several in one transaction)."""
    _check_article(session, data.article_id)
    brief = Brief(
        dateline=data.dateline, headline=data.headline, summary=data.summary, date=data.date,
        position=data.position if data.position is not None else _next_position(session, data.date),
        article_id=data.article_id, published_at=now if data.published else None,
        created_at=now, updated_at=now,
    )
    session.add(brief)
    session.flush()
    return brief


def create_brief(session: Session, data: BriefCreate, *, now: dt.datetime) -> Brief:
    brief = add_brief(session, data, now=now)
    changes.content_changed(session)
    session.commit()
    session.refresh(brief)
    return brief


def update_brief(session: Session, brief: Brief, data: BriefUpdate, *, now: dt.datetime) -> Brief:
    values = data.model_dump(exclude_unset=True)
    if "article_id" in values:
        _check_article(session, values["article_id"])
    published = values.pop("published", None)
    for name, value in values.items():
        setattr(brief, name, value)
    if published is not None:
        brief.published_at = (brief.published_at or now) if published else None
    brief.updated_at = now
    session.add(brief)
    changes.content_changed(session)
    session.commit()
    session.refresh(brief)
    return brief


def delete_brief(session: Session, brief: Brief, *, now: dt.datetime) -> None:
    brief.deleted_at = now
    session.add(brief)
    changes.content_changed(session)
    session.commit()
