"""Pages of a viewer's change feed, and long-polling for the next one.

Both the public sync and the partner feed are read this way:
- an initial sync (no cursor) pages through what the viewer may see now, in `seq` order, as
  upserts only; its last page hands over a delta cursor at the head the sync began at, so
  anything that changed meanwhile comes again as a delta (upserts are idempotent);
- a delta page holds the viewer's changes after the cursor, up to the head read in the same
  snapshot: with no more to read, the next cursor is that head, so a viewer does not scan the
  same irrelevant rows again (a partner with two of eight sections pays for its own items);
- `wait` holds an empty delta for up to that many seconds, awake as soon as a change commits
  anywhere (`signal.listener`), re-reading on a fresh session each time: no database connection
  is held while waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.changelog import views
from app.changelog.schedule import sweep_once
from app.changelog.signal import listener
from app.changelog.views import Entry, Viewer
from app.core.db import get_read_engine
from app.core.errors import CursorExpired

MAX_WAIT = 25

T = TypeVar("T")
# A page's items as a reader renders them: (session, page, now) -> JSON objects.
Items = Callable[[Session, "FeedPage", datetime], list[dict[str, Any]]]


@dataclass(frozen=True)
class Position:
    initial: bool
    seq: int
    head: int = 0  # initial sync: where its deltas resume


@dataclass
class FeedPage:
    entries: list[Entry]
    next: Position
    has_more: bool


def read(session: Session, viewer: Viewer, position: Position | None, *, limit: int,
         now: datetime) -> FeedPage:
    """One page at `position` (None: the start of an initial sync)."""
    if position is None:
        position = Position(True, 0, views.head(session))
    if position.initial:
        entries = views.initial(session, viewer, after=position.seq, limit=limit + 1, now=now)
        if len(entries) > limit:
            entries = entries[:limit]
            return FeedPage(entries, Position(True, entries[-1].seq, position.head), True)
        return FeedPage(entries, Position(False, position.head), False)
    if position.seq < views.horizon(session):
        raise CursorExpired("This cursor is older than the retained change log; start again "
                            "with an initial sync (no cursor)")
    head = views.head(session)
    entries = views.delta(session, viewer, since=position.seq, upto=head, limit=limit + 1,
                          now=now)
    if len(entries) > limit:
        entries = entries[:limit]
        return FeedPage(entries, Position(False, entries[-1].seq), True)
    return FeedPage(entries, Position(False, max(head, position.seq)), False)


def latest(session: Session) -> Position:
    """`since=latest`: no items, the head."""
    return Position(False, views.head(session))


async def long_poll(fetch: Callable[[], T], empty: Callable[[T], bool], wait: float) -> T:
    """Run `fetch` (blocking, opening and closing its own session) in a worker thread; while
    its answer is `empty` and `wait` seconds have not passed, sleep until a change commits
    somewhere and fetch again."""
    deadline = time.monotonic() + wait
    generation = listener.generation() if wait > 0 else 0
    result = await run_in_threadpool(fetch)
    while empty(result):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not await listener.wait(remaining, generation):
            break
        generation = listener.generation()
        result = await run_in_threadpool(fetch)
    return result


async def poll_page(position: Position | None, *, latest_only: bool, limit: int, now: datetime,
                    wait: float, viewer: Callable[[Session], Viewer],
                    items: Items) -> tuple[FeedPage, list[dict[str, Any]]]:
    """A reader's page (the public sync, a partner's change feed) and its rendered items.
    Each try reads on a fresh session at a clock that moves on with the wait, once the
    scheduled publications due by then are in the log. `latest_only` (`since=latest`): no
    items, the head. It waits only when `waits` says so."""
    started = time.monotonic()

    def fetch() -> tuple[FeedPage, list[dict[str, Any]]]:
        at = now + timedelta(seconds=time.monotonic() - started)
        sweep_once(at)
        with Session(get_read_engine(), expire_on_commit=False) as session:
            if latest_only:
                return FeedPage([], latest(session), False), []
            page = read(session, viewer(session), position, limit=limit, now=at)
            return page, items(session, page, at)

    return await long_poll(fetch, lambda result: not result[1] and not result[0].has_more,
                           wait if waits(position, wait) else 0)


def waits(position: Position | None, wait: float) -> bool:
    """Whether a read may wait for changes: with `wait` and a delta cursor only (an initial
    sync always has its page now)."""
    return wait > 0 and position is not None and not position.initial
