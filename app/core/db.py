"""Engines and sessions.

Two engines share one database: `write_engine` (the primary) and `read_engine` (the primary
again, or a replica when `DATABASE_READ_URL` is set). On SQLite the write engine opens every
transaction with `BEGIN IMMEDIATE`, so concurrent writers queue on the busy timeout instead of
failing with "database is locked" when a reader upgrades to a writer half-way.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import DateTime, Engine, create_engine, event
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel

from app.core.config import get_settings

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

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _sqlite_pragmas(immediate: bool):  # type: ignore[no-untyped-def]
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    def on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return on_connect, on_begin


SQLITE_POOL_SIZE = 40


def build_engine(url: str, *, immediate: bool = False, pool_size: int = 10,
                 pool_timeout: float = 5.0) -> Engine:
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        # A file database keeps one connection per threadpool thread (anyio's default is 40):
        # the default pool (5 + 10 overflow) closed and reopened connections, with their
        # PRAGMAs, on most requests under load.
        pooling: dict[str, Any] = ({"poolclass": StaticPool} if memory
                                   else {"pool_size": SQLITE_POOL_SIZE, "max_overflow": 10})
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 15},
            **pooling,
        )
        on_connect, on_begin = _sqlite_pragmas(immediate)
        event.listen(engine, "connect", on_connect)
        event.listen(engine, "begin", on_begin)
        return engine
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=pool_timeout,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 3},
    )


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


def get_session() -> Iterator[Session]:
    """A read-write session on the primary; the service decides when to commit."""
    with Session(get_write_engine(), expire_on_commit=False) as session:
        yield session


def get_read_session() -> Iterator[Session]:
    """A session for public and partner reads (a replica when configured)."""
    with Session(get_read_engine(), expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]
