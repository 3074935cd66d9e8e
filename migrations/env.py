"""Alembic environment: the URL comes from DATABASE_URL (app settings), the target from app.models."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table)
from app.core.config import get_settings
from app.core.db import build_engine

config = context.config
target_metadata = SQLModel.metadata

# Search structures made by hand in the initial migration, per dialect; autogenerate ignores them.
SEARCH_OBJECTS = {"article_fts", "search_vector", "ix_article_search_vector"}


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    if name in SEARCH_OBJECTS or (name or "").startswith("article_fts"):
        return False
    return True


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=include_object,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # handed over by tests or the CLI
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = build_engine(url)
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run against a database")
run_migrations_online()
