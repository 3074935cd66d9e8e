"""Scheduled publication as an event: the sweep that turns due articles into changes.

Reads apply the visibility rule themselves (`visibility.is_public`), so a scheduled article is
readable at its time whether or not the sweep has run; the sweep makes its going-live a change
like any other (a new `seq` for syncs and feeds, a purge, a long-poll wake-up, a webhook event)
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
from datetime import datetime, timedelta
from time import monotonic

from sqlalchemy import case, delete, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from app.articles.models import Article, Status
from app.articles.visibility import is_due
from app.changelog.models import STALE_KEYS_KEPT, ArticleChange, StaleKey
from app.changelog.record import Recorded, article_changed
from app.changelog.views import HORIZON
from app.core.config import get_settings
from app.core.counters import CONTENT_VERSION, Counter
from app.core.db import get_read_engine, get_write_engine, utcnow
from app.webhooks import outbox as webhooks

log = logging.getLogger("khabar.changelog")
ADVISORY_LOCK = 0x6B686272_0001  # "khbr" + 1: the sweep's lock, per database
PRUNE_EVERY = 3600.0


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
    for change in recorded:  # nobody saw it before: `article.published` for whom sees it now
        webhooks.article_written(session, change.article_id, before=set(), now=now)
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


def prune(session: Session, before: datetime) -> int:
    """Drop the tombstones of articles not public since `before` (the retention) and move the
    log's horizon past them: a cursor older than the horizon may have missed one, so it answers
    410 and its client starts an initial sync. One transaction; returns how many went."""
    seqs = list(session.exec(select(ArticleChange.seq).where(
        col(ArticleChange.public).is_(False), col(ArticleChange.at) < before)).all())
    if not seqs:
        session.rollback()
        return 0
    session.execute(delete(ArticleChange).where(col(ArticleChange.seq).in_(seqs)))
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    stmt = insert(Counter).values(name=HORIZON, value=max(seqs))
    session.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={
        "value": case((col(Counter.value) < stmt.excluded.value, stmt.excluded.value),
                      else_=col(Counter.value))}))
    session.commit()
    return len(seqs)


def prune_stale_keys(session: Session) -> None:
    """Keep the stale keys of the last `STALE_KEYS_KEPT` content versions (a response cache
    further behind drops all its entries instead); one transaction."""
    version = session.exec(select(Counter.value).where(
        Counter.name == CONTENT_VERSION)).one()
    session.execute(delete(StaleKey).where(col(StaleKey.version) <= version - STALE_KEYS_KEPT))
    session.commit()


def prune_once(now: datetime | None = None) -> int:
    days = get_settings().changelog_retention_days
    with Session(get_write_engine(), expire_on_commit=False) as write:
        prune_stale_keys(write)
        return prune(write, (now or utcnow()) - timedelta(days=days))


async def run_sweeper(stop: asyncio.Event, interval: float) -> None:
    """The app's background sweep, every `interval` seconds until `stop` is set; the log's
    retention is applied on the first round and then once an hour."""
    # None: prune on the first round. (A start of 0.0 waited until the host's monotonic clock,
    # its uptime, passed an hour: a host up for less never pruned before then.)
    pruned_at: float | None = None
    while not stop.is_set():
        try:
            recorded = await asyncio.to_thread(sweep_once)
            if recorded:
                log.info("Scheduled articles went live", extra={"count": len(recorded)})
            if pruned_at is None or monotonic() - pruned_at > PRUNE_EVERY:
                pruned_at = monotonic()
                await asyncio.to_thread(prune_once)
        except Exception:
            log.exception("The scheduled-publication sweep failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
