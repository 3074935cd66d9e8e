"""Alembic environment: the URL comes from DATABASE_URL (app settings), the target from
app.models."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table)
from app.core.config import get_settings
from app.core.db import build_engine
from app.core.migrate import include_object

config = context.config
target_metadata = SQLModel.metadata

def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=include_object,
    )


def _run(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    # Handed over by code: a Connection to migrate through as is, or anything engine-like
    # (pytest-alembic passes its engine, or an open connection wrapped to look like one).
    given = config.attributes.get("connection")
    if isinstance(given, Connection):
        _run(given)
        return
    if given is not None:
        with given.connect() as conn:
            _run(conn)
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = build_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run against a database")
run_migrations_online()
