"""Statements compiled once and run on the driver's cursor: for the few reads so hot that
SQLAlchemy's per-execution work (a Connection, an execution context, the begin event, result
objects) costs as much as the query itself.

SQLAlchemy still writes the SQL (per dialect, once) and still converts values: bind and result
processors come from the statement's own column types, so a value goes in and comes out exactly
as through a Session. Driver errors are wrapped as SQLAlchemy wraps them (a lost connection is
invalidated and is an `OperationalError`, which the app answers with 503), so callers and error
handlers see no difference.

Statements must not use expanding parameters (`in_()` with a bind): their SQL depends on the
values. Constant lists can be rendered inline (see `visibility.is_public`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

import anyio.to_thread
from sqlalchemy import Engine, create_engine, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql import Select


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...] | None  # positional parameter order; None for named parameters
    defaults: Mapping[str, Any]
    binders: dict[str, Callable[[Any], Any]]
    readers: tuple[tuple[int, Callable[[Any], Any]], ...]  # (column index, result processor)


class Prepared:
    def __init__(self, stmt: Select[Any]) -> None:
        self.stmt = stmt
        self._by_dialect: dict[str, _Compiled] = {}

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.stmt.compile(dialect=dialect)
        if "POSTCOMPILE" in compiled.string:
            raise ValueError("a prepared statement cannot have expanding parameters")
        binders: dict[str, Callable[[Any], Any]] = {}
        defaults: dict[str, Any] = {}
        for bind, name in compiled.bind_names.items():
            defaults[name] = bind.effective_value  # None for a parameter the caller must give
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                binders[name] = process
        readers = tuple(
            (i, process) for i, column in enumerate(self.stmt.selected_columns)
            if (process := column.type.dialect_impl(dialect).result_processor(dialect, None))
            is not None)
        names = tuple(compiled.positiontup or ()) if compiled.positional else None
        prepared = _Compiled(compiled.string, names, defaults, binders, readers)
        self._by_dialect[dialect.name] = prepared
        return prepared

    async def fetch(self, engine: Engine, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """`rows()` from a coroutine. On SQLite the statement runs right here: it is local
        CPU work of a fraction of a millisecond (these statements are indexed and bounded),
        readers never wait for writers in WAL mode, and the hop to a worker thread and back
        costs as much as the query. Elsewhere it waits on the network, so in a worker thread."""
        if engine.dialect.name == "sqlite":
            return self.rows(engine, params)
        return await anyio.to_thread.run_sync(self.rows, engine, params)

    def rows(self, engine: Engine, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row of the statement, with `params` for its bind parameters."""
        dialect = engine.dialect
        c = self._by_dialect.get(dialect.name) or self._compile(dialect)
        values = {**c.defaults, **params}
        for name, process in c.binders.items():
            values[name] = process(values[name])
        args: Any = tuple(values[n] for n in c.names) if c.names is not None else values
        target = statement_engine(engine)
        try:
            rows = _run(target, c.sql, args)
        except _Disconnected:
            # Every pooled connection died with the server (a restart, a failover): drop them
            # and try once more on a new one; a read is safe to repeat.
            target.pool.dispose()
            rows = _run(target, c.sql, args, retry=False)
        if not c.readers:
            return rows
        out = []
        for row in rows:
            converted = list(row)
            for i, process in c.readers:
                converted[i] = process(converted[i])
            out.append(tuple(converted))
        return out


class _Disconnected(Exception):
    pass


def _run(engine: Engine, sql: str, args: Any, *, retry: bool = True) -> list[tuple[Any, ...]]:
    dialect = engine.dialect
    dbapi_error = dialect.loaded_dbapi.Error
    try:
        connection = engine.raw_connection()  # from the pool; given back, rolled back, below
    except dbapi_error as error:  # could not connect
        raise exc.DBAPIError.instance(None, None, error, dbapi_error, dialect=dialect) from error
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(sql, args)
            return list(cursor.fetchall())
        except dbapi_error as error:
            lost = dialect.is_disconnect(error, connection.dbapi_connection, cursor)
            if lost:
                connection.invalidate(error)
                if retry:
                    raise _Disconnected from error
            raise exc.DBAPIError.instance(sql, args, error, dbapi_error,
                                          connection_invalidated=lost, dialect=dialect) from error
        finally:
            with contextlib.suppress(dbapi_error):
                cursor.close()
    finally:
        connection.close()


_SIBLINGS: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()


def statement_engine(engine: Engine) -> Engine:
    """Where prepared statements run. SQLite: the engine itself (its connections are in
    autocommit already, and nothing needs a ping). Elsewhere a sibling pool on the same URL in
    autocommit, without the ping on checkout: a single SELECT needs no BEGIN and no ROLLBACK,
    and a dead connection is noticed when used (and the read retried, above), so each
    statement costs one round trip instead of four."""
    if engine.dialect.name == "sqlite":
        return engine
    sibling = _SIBLINGS.get(engine)
    if sibling is None:
        pool = engine.pool
        sibling = _SIBLINGS[engine] = create_engine(
            engine.url, isolation_level="AUTOCOMMIT", pool_pre_ping=False,
            pool_size=pool.size() if isinstance(pool, QueuePool) else 5, max_overflow=0,
            pool_timeout=pool.timeout() if isinstance(pool, QueuePool) else 5.0,
            connect_args={"connect_timeout": 3})
    return sibling
