"""Scheduled publication as an event: the sweep that turns due articles into changes.

Reads apply the visibility rule themselves (`visibility.is_public`), so a scheduled article is
readable at its time whether or not the sweep has run; the sweep makes its going-live a change
like any other (a new `seq` for syncs and feeds, a purge, a long-poll wake-up, later an event)
and moves its `updated_at` up to its publication time, so `updated_since` syncs see it.

One process at a time sweeps: on PostgreSQL the transaction takes an advisory lock with
`pg_try_advisory_xact_lock` (others skip that round), on SQLite the write transaction holds the
database's writer lock. Each round looks at every due article, however old, so a restart
catches up. Polls of feeds call `sweep` too, so a feed is never behind the rule either.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from sqlalchemy import case, text, update
from sqlmodel import Session, col, select

from app.articles.models import Article, Status
from app.articles.visibility import is_due
from app.changelog.record import Recorded, article_changed
from app.core.db import get_read_engine, get_write_engine, utcnow

log = logging.getLogger("khabar.changelog")
ADVISORY_LOCK = 0x6B686272_0001  # "khbr" + 1: the sweep's lock, per database


def any_due(session: Session, now: datetime) -> bool:
    """Whether a scheduled article is due: a read (any session), so a round with nothing due
    never opens a write transaction (on SQLite that would take the database's write lock)."""
    dialect = session.get_bind().dialect.name
    return session.exec(select(Article.id).where(is_due(now, dialect=dialect))
                        .limit(1)).first() is not None


def sweep(session: Session, now: datetime) -> list[Recorded]:
    """Mark due articles published and record them as changes dated at their publication
    time; one transaction. `session` is a write session; concurrent sweeps flip each row once
    (the UPDATE re-checks `status` under the row lock)."""
    if not any_due(session, now):
        session.rollback()  # nothing due: end the read-only transaction
        return []
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and not session.execute(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK}).scalar():
        session.rollback()  # another process is sweeping
        return []
    ids = list(session.execute(
        update(Article).where(is_due(now, dialect=dialect))
        .values(status=Status.published.value,
                updated_at=case((col(Article.updated_at) < col(Article.published_at),
                                 col(Article.published_at)), else_=col(Article.updated_at)))
        .returning(col(Article.id))).scalars().all())
    recorded = article_changed(session, ids, now=now, at_publication=True) if ids else []
    session.commit()
    return recorded


def sweep_once(now: datetime | None = None) -> list[Recorded]:
    """One round on fresh sessions (the read first, so an idle round takes no write lock)."""
    now = now or utcnow()
    with Session(get_read_engine()) as read:
        if not any_due(read, now):
            return []
    with Session(get_write_engine(), expire_on_commit=False) as write:
        return sweep(write, now)


async def run_sweeper(stop: asyncio.Event, interval: float) -> None:
    """The app's background sweep, every `interval` seconds until `stop` is set."""
    while not stop.is_set():
        try:
            recorded = await asyncio.to_thread(sweep_once)
            if recorded:
                log.info("Scheduled articles went live", extra={"count": len(recorded)})
        except Exception:
            log.exception("The scheduled-publication sweep failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
