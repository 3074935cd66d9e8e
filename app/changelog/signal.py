"""Telling each process that a change committed: its held long-polls and its response cache.

Every change moves a counter of the change log (`change_seq`, `content_version`) inside the
writing transaction, and that leaves only on commit:
- PostgreSQL: a trigger on `counter` sends `pg_notify` (migration 0018), which the server
  delivers at commit, never on rollback, whoever wrote; each process LISTENs on one dedicated
  connection outside the pool;
- Redis (when `REDIS_URL` is set and the database is SQLite): a publish after the commit, each
  process subscribed on one connection;
- SQLite without Redis: each process polls the head `seq` every 0.2 s on one connection of its
  own, only while requests are held.
Commits in this process wake its waiters at once, whatever the backend.

Waiting is async and holds no database connection: a waiter is a future on its event loop,
resolved by the one listener thread of the process. A wake-up means "something changed"; each
waiter then checks whether anything it may see did, and waits again if not. The response cache
reads `pushed_generation`: while a LISTEN is live, a generation that has not moved means no
commit has been announced since, so the content state it read then still holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from app.core.config import get_settings

log = logging.getLogger("khabar.changelog")
CHANNEL = "khabar_changes"
PENDING = "khabar_changelog_signal"  # in Session.info: announced in this transaction
POLL_SECONDS = 0.2


def announce(session: Session) -> None:
    """Called by the change log inside a writing transaction that moved a counter: this process
    wakes on commit, and Redis carries it to the others (PostgreSQL's trigger needs no call)."""
    session.info[PENDING] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if not session.info.pop(PENDING, False):
        return
    listener.wake()
    url = get_settings().redis_url
    if url and session.get_bind().dialect.name != "postgresql":
        try:  # a wake-up only: listeners read nothing from the message
            _redis(url).publish(CHANNEL, "1")
        except Exception as exc:
            log.warning("Could not publish the change signal: %s", exc)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(PENDING, None)


_redis_clients: dict[str, Any] = {}


def _redis(url: str) -> Any:
    import redis

    if url not in _redis_clients:
        _redis_clients[url] = redis.Redis.from_url(url, socket_timeout=2)
    return _redis_clients[url]


class Listener:
    """One per process: a thread that hears announcements and resolves waiting futures."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = set()
        self._thread: threading.Thread | None = None
        self._generation = 0
        self._listening: str | None = None  # the database a live LISTEN hears every commit of
        self._stop = threading.Event()

    def generation(self) -> int:
        """Take before reading, pass to `wait`: a change that commits in between is not
        missed (the wait returns at once)."""
        self._start()
        with self._lock:
            return self._generation

    def pushed_generation(self) -> int | None:
        """The generation while a LISTEN is live on PostgreSQL, else None: then every commit,
        in any process, moves it as soon as its notification arrives (and a commit in this
        process before its transaction returns), so a generation that has not moved vouches
        for a state read after it was taken. A lost connection returns None until the LISTEN
        is back, which moves the generation."""
        self._start()
        with self._lock:
            listening = self._listening == get_settings().database_url
            return self._generation if listening else None

    async def wait(self, timeout: float, generation: int) -> bool:
        """True when a change committed since `generation` (now, or before `timeout`
        seconds pass), else False."""
        if timeout <= 0:
            return False
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        entry = (loop, future)
        with self._lock:
            if self._generation != generation:
                return True
            self._waiters.add(entry)
        try:
            await asyncio.wait_for(future, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            with self._lock:
                self._waiters.discard(entry)

    def wake(self) -> None:
        with self._lock:
            self._generation += 1
            waiters = list(self._waiters)
        for loop, future in waiters:
            with contextlib.suppress(RuntimeError):  # a loop closed meanwhile
                loop.call_soon_threadsafe(_resolve, future)

    def held(self) -> int:
        with self._lock:
            return len(self._waiters)

    def stop(self) -> None:
        self._stop.set()

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="khabar-changes",
                                            daemon=True)
            self._thread.start()

    def _run(self) -> None:
        settings = get_settings()
        while not self._stop.is_set():
            try:
                if settings.database_url.startswith("postgresql"):
                    self._listen_postgres(settings.database_url)
                elif settings.redis_url:
                    self._listen_redis(settings.redis_url)
                else:
                    self._poll_sqlite()
            except Exception as exc:
                log.warning("Change listener failed, retrying: %s", exc)
                self.wake()  # a change may have been missed while disconnected
                self._stop.wait(1.0)

    def _listen_postgres(self, url: str) -> None:
        import psycopg

        dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(dsn, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            with self._lock:
                self._listening = url
            try:
                self.wake()  # a commit before the LISTEN took effect would go unheard
                while not self._stop.is_set():
                    if any(True for _ in conn.notifies(timeout=1.0, stop_after=1)):
                        self.wake()
            finally:
                with self._lock:
                    self._listening = None

    def _listen_redis(self, url: str) -> None:
        pubsub = _redis(url).pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(CHANNEL)
        self.wake()  # likewise before the subscription
        try:
            while not self._stop.is_set():
                if pubsub.get_message(timeout=1.0) is not None:
                    self.wake()
        finally:
            pubsub.close()

    def _poll_sqlite(self) -> None:
        from app.core.db import get_read_engine

        engine = get_read_engine()
        if engine.url.database in (None, "", ":memory:"):
            # One in-memory database lives in one process: local commits wake directly.
            self._stop.wait(1.0)
            return
        raw = engine.raw_connection()  # one connection for the whole process, not per request
        try:
            last = None
            while not self._stop.is_set():
                if not self.held():
                    time.sleep(POLL_SECONDS)
                    continue
                cur = raw.cursor()
                cur.execute("SELECT value FROM counter WHERE name = 'change_seq'")
                value = cur.fetchone()
                cur.close()
                raw.rollback()
                if value != last:  # the first read too: a waiter may predate it
                    self.wake()
                last = value
                time.sleep(POLL_SECONDS)
        finally:
            raw.close()


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


listener = Listener()
