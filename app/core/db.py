"""Engines and sessions.

Two engines share one database: `write_engine` (the primary) and `read_engine` (the primary
again, or a replica when `DATABASE_READ_URL` is set). On SQLite the write engine opens every
transaction with `BEGIN IMMEDIATE`, so concurrent writers queue on the busy timeout instead of
failing with "database is locked" when a reader upgrades to a writer half-way.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from functools import lru_cache, partial
from typing import Annotated, Any

import orjson
from fastapi import Depends
from sqlalchemy import JSON, DateTime, Engine, Text, cast, create_engine, event, func
from sqlalchemy import exc as sa_exc
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel
from starlette.concurrency import run_in_threadpool

from app.core.config import get_settings
from app.core.errors import DATABASE_UNAVAILABLE, Conflict

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in Python, naive UTC in the database (same on SQLite and PostgreSQL),
    so keyset comparisons and ordering behave identically on both."""

    impl = DateTime(timezone=False)
    cache_ok = True

    # `dialect` is part of SQLAlchemy's TypeDecorator signature; the conversion is the same
    # for every dialect.
    def process_bind_param(self, value: datetime | None,
                           dialect: Any) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None,
                             dialect: Any) -> datetime | None:  # noqa: ARG002
        return None if value is None else value.replace(tzinfo=UTC)


# ---- article bodies, compressed on SQLite ----------------------------------------------------
# An article stores its body three times (blocks, HTML, text: ~20 KB a row for a 6 KB body), and
# a revision that changed the body keeps the one it replaced. PostgreSQL compresses such values
# itself (TOAST) where SQLite keeps every byte: the same 10,000 articles took 274 MB on SQLite
# and 151 MB on PostgreSQL. On SQLite these columns hold the value deflated with zlib, as a BLOB
# (SQLite stores a BLOB as given, whatever the column's type: the schema is unchanged).
# Deflating a 6 KB body costs ~80 us and inflating it ~10 us, next to ~20 ms for a create +
# publish. SQL reads them through `khabar_unpack` (`packed_text`).
PACK_LEVEL = 6


def _pack(value: str | None) -> bytes | None:
    return None if value is None else zlib.compress(value.encode(), PACK_LEVEL)


def _unpack(value: bytes | str | None) -> str | None:
    """A packed value as text. Text passes through: what an older revision wrote (read by its
    migration tests) and the other arguments of `khabar_search_text`."""
    return zlib.decompress(value).decode() if isinstance(value, bytes) else value


class PackedText(TypeDecorator[str]):
    """Long text (a body's HTML or text), deflated on SQLite."""

    impl = Text
    cache_ok = True

    def bind_processor(self, dialect: Any) -> Callable[[Any], Any] | None:
        return _pack if dialect.name == "sqlite" else super().bind_processor(dialect)

    def result_processor(self, dialect: Any, coltype: Any) -> Callable[[Any], Any] | None:
        return _unpack if dialect.name == "sqlite" else super().result_processor(dialect, coltype)


class PackedJSON(TypeDecorator[Any]):
    """JSON (a body's blocks, a revision's snapshot), deflated on SQLite; JSON as ever on
    PostgreSQL."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Any) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return lambda value: (None if value is None
                              else zlib.compress(orjson.dumps(value), PACK_LEVEL))

    def result_processor(self, dialect: Any, coltype: Any) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        return lambda value: None if value is None else orjson.loads(
            zlib.decompress(value) if isinstance(value, bytes) else value)


def packed_text(column: Any, dialect: str) -> Any:
    """A packed column's value as text in SQL (JSON unparsed): to filter on, or to hand JSON
    on without parsing it."""
    return func.khabar_unpack(column) if dialect == "sqlite" else cast(column, Text)


def utcnow() -> datetime:
    """The one clock (requests read it through `listing.now`, which tests can move)."""
    return datetime.now(UTC)


def commit_or_conflict(session: Session, what: str) -> None:
    """Commit, answering a lost race for a unique value (`what`: "The slug 'x'") with a 409
    problem, from routes and the CLI alike, never a 500."""
    try:
        session.commit()
    except sa_exc.IntegrityError:
        session.rollback()
        raise Conflict(f"{what} was taken by a concurrent change; try again") from None


def _sqlite_pragmas(immediate: bool) -> tuple[Callable[[Any, Any], None], Callable[[Any], None]]:
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        # Takes effect only on a new, empty file (before WAL fixes the size). An article row
        # (~4 KB of body forms) overflows 4 KB pages; 8 KB pages halved the bulk-load time.
        cur.execute("PRAGMA page_size=8192")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        if immediate:
            # SQLite's advice for long-lived connections: gather planner statistics where they
            # are missing or stale when a connection opens (usually nothing to do), bounded so
            # a large table costs milliseconds. The write engine's connections only: the
            # statistics are written.
            cur.execute("PRAGMA analysis_limit=400")
            cur.execute("PRAGMA optimize=0x10002")
        cur.close()

    def on_begin(conn: Any) -> None:
        deferred = conn.get_execution_options().get(DEFERRED)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate and not deferred else "BEGIN")

    return on_connect, on_begin


# An execution option: begin this transaction of the write engine as a plain (deferred) BEGIN,
# for reads that must not take SQLite's write lock (see `get_session`).
DEFERRED = "khabar_deferred_begin"

SQLITE_POOL_SIZE = 40
# Each connection has a page cache of its own, and a worker keeps up to twice the pool
# (the read and the write engine): at SQLite's default of 2 MB, threadpool routes that touch
# many pages (search, feeds) grew each worker by ~100 MB. A list page's working set is
# ~64 pages of 8 KB: 512 KiB costs the list nothing measurable (256 KiB cost it 10%), and the
# operating system's file cache, shared by every connection and worker, holds the rest.
SQLITE_CACHE_KIB = 512


@event.listens_for(Engine, "connect")
def _sqlite_functions(dbapi_conn: Any, _record: Any) -> None:
    # On every SQLite connection of every engine in the process (tools and tests build engines
    # of their own), not only those `build_engine` makes.
    if isinstance(dbapi_conn, sqlite3.Connection):
        add_sqlite_functions(dbapi_conn)


def add_sqlite_functions(dbapi_conn: sqlite3.Connection) -> None:
    """The FTS5 triggers index stemmed Nepali and English words (app/articles/search_text.py)
    through `khabar_search_text`, of a body packed or not, and SQL reads a packed body through
    `khabar_unpack`. A plain `sqlite3` connection that writes articles or reads bodies in SQL
    needs them too."""
    from app.articles.search_text import index_text

    def index_unpacked(language: str | None, value: bytes | str | None) -> str:
        return index_text(language, _unpack(value))

    dbapi_conn.create_function("khabar_search_text", 2, index_unpacked, deterministic=True)
    dbapi_conn.create_function("khabar_unpack", 1, _unpack, deterministic=True)


# JSON columns as UTF-8 (bodies and revision snapshots on PostgreSQL; `PackedJSON` writes them
# with orjson, UTF-8 too, on SQLite): the default escapes every non-ASCII character as
# `\uXXXX`, six bytes for each Devanagari letter that UTF-8 stores in three, which doubled a
# Nepali body on disk. Both spellings read back the same, so old rows stay valid.
JSON_SERIALIZER = partial(json.dumps, ensure_ascii=False)


def build_engine(url: str, *, immediate: bool = False, pool_size: int = 10,
                 pool_timeout: float = 5.0) -> Engine:
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        # A file database keeps one connection per threadpool thread (anyio's default is 40):
        # the default pool (5 + 10 overflow) closed and reopened connections, with their
        # PRAGMAs, on most requests under load.
        pooling: dict[str, Any] = ({"poolclass": StaticPool} if memory
                                   else {"pool_size": SQLITE_POOL_SIZE, "max_overflow": 10,
                                         "pool_timeout": pool_timeout,
                                         # The most recently used connection first: its pages
                                         # are cached; FIFO rotated the hot reads through
                                         # all forty caches.
                                         "pool_use_lifo": True})
        engine = create_engine(
            url,
            json_serializer=JSON_SERIALIZER,
            connect_args={"check_same_thread": False, "timeout": 15},
            **pooling,
        )
        on_connect, on_begin = _sqlite_pragmas(immediate)
        event.listen(engine, "connect", on_connect)
        event.listen(engine, "begin", on_begin)
        return engine
    engine = create_engine(
        url,
        json_serializer=JSON_SERIALIZER,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=pool_timeout,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 3},
    )
    event.listen(engine, "connect", _postgres_without_jit)
    return engine


def _postgres_without_jit(dbapi_conn: Any, _record: Any) -> None:
    # PostgreSQL compiles a query to machine code when its estimated cost passes
    # `jit_above_cost`: a byline count's per-article check is estimated high on a large archive
    # with no statistics yet, and the count alone then spent 14 ms compiling for 0.1 ms of work
    # (under the editorial load, details took 0.2-1 s). Short statements never gain from JIT.
    # (Behind PgBouncer in transaction mode, set it for the database as well:
    # `ALTER DATABASE khabar SET jit = off`; docs/operators.md.)
    with dbapi_conn.cursor() as cur:
        cur.execute("SET jit = off")
    dbapi_conn.commit()


@lru_cache
def get_write_engine() -> Engine:
    s = get_settings()
    return build_engine(s.database_url, immediate=True, pool_size=s.database_pool_size,
                        pool_timeout=s.database_pool_timeout)


@lru_cache
def get_read_engine() -> Engine:
    s = get_settings()
    url = s.database_read_url or s.database_url
    return build_engine(url, pool_size=s.database_pool_size, pool_timeout=s.database_pool_timeout)


def _close(session: Session) -> None:
    # This runs once the answer is sent (a service has committed, or a read is done). If the
    # database went away meanwhile, the closing rollback fails; raising then would make the
    # server drop the client's connection instead of delivering that answer. The connection
    # is dead anyway: discard it without the rollback.
    try:
        session.close()
    except DATABASE_UNAVAILABLE:
        session.invalidate()


async def _release(session: Session) -> None:
    # Request sessions are async dependencies, so FastAPI does not hop to a worker thread to
    # open each one and again to close it: a new Session does no I/O (it connects on first use).
    # Closing one that still holds a connection rolls back, which is I/O, so that runs in a
    # worker thread; a route that closed its session itself, from its own thread, costs nothing.
    if session.in_transaction():
        await run_in_threadpool(_close, session)
    else:
        _close(session)


def read_unlocked(session: Session) -> None:
    """Run the session's next transaction as a plain read, which on SQLite takes no write lock
    (BEGIN instead of BEGIN IMMEDIATE): a dependency's load before a service writes, and what
    is left after the service's commit, reading back and presenting."""
    session.bind = get_write_engine().execution_options(**{DEFERRED: True})


class WriteSession(Session):
    """A request's read-write session: transactions after a commit only read."""


event.listen(WriteSession, "after_commit", read_unlocked)


async def get_session() -> AsyncIterator[Session]:
    """A read-write session on the primary; the service decides when to commit.

    SQLite's write lock is held only while the service writes: authentication reads through
    `get_lookup_session`, dependencies that load what a route changes read without it
    (`read_unlocked`, `end_read`), and transactions after the commit are plain reads."""
    session = WriteSession(get_write_engine(), expire_on_commit=False)
    try:
        yield session
    finally:
        await _release(session)


def end_read(session: Session) -> None:
    """End a dependency's read (begun with `read_unlocked`), so that the service's transaction
    takes the write lock (SQLite BEGIN IMMEDIATE) only once the body is validated and
    sanitized; loaded objects stay usable (no expiry on commit) and a service's
    `UPDATE ... WHERE revision =` still catches a change made meanwhile."""
    if session.in_transaction():
        session.commit()
    session.bind = get_write_engine()  # the next transaction is the service's: IMMEDIATE


@lru_cache
def _sqlite_lookup_engine(url: str) -> Engine:
    return build_engine(url)


def get_lookup_engine() -> Engine:
    """The primary, for reads that must see the latest commit (who is calling) but must not
    take SQLite's write lock: a login or an authenticated read never waits for a writer."""
    settings = get_settings()
    if not settings.database_read_url:
        return get_read_engine()  # the primary itself, with plain BEGIN on SQLite
    if settings.database_url.startswith("sqlite"):
        return _sqlite_lookup_engine(settings.database_url)
    return get_write_engine()


async def get_lookup_session() -> AsyncIterator[Session]:
    """A session on the primary that never takes SQLite's write lock (see `get_lookup_engine`)."""
    session = Session(get_lookup_engine(), expire_on_commit=False)
    try:
        yield session
    finally:
        await _release(session)


async def get_read_session() -> AsyncIterator[Session]:
    """A session for public and partner reads (a replica when configured)."""
    session = Session(get_read_engine(), expire_on_commit=False)
    try:
        yield session
    finally:
        await _release(session)


SessionDep = Annotated[Session, Depends(get_session)]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]
LookupSessionDep = Annotated[Session, Depends(get_lookup_session)]
