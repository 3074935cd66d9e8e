"""Migrations: one head, a full round trip on this run's database engine, and no drift between
the models and the migrations."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import app.models  # noqa: F401
from app.core.migrate import alembic_config, downgrade, include_object, upgrade

BASE_URL = os.environ.get("DATABASE_URL", "sqlite://")


@pytest.fixture
def scratch_url(tmp_path):  # type: ignore[no-untyped-def]
    """An empty database of the run's kind, separate from the shared test database."""
    if not BASE_URL.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    base = make_url(BASE_URL)
    name = f"khabar_scratch_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_single_head() -> None:
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1


def test_upgrade_downgrade_upgrade(scratch_url: str) -> None:
    upgrade("head", scratch_url)
    engine = create_engine(scratch_url)
    assert "article" in inspect(engine).get_table_names()
    downgrade("base", scratch_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade("head", scratch_url)
    with engine.connect() as conn:
        counters = dict(conn.execute(text("SELECT name, value FROM counter")).all())
    assert counters == {"change_seq": 0, "content_version": 0}
    engine.dispose()


def test_models_match_migrations(scratch_url: str) -> None:
    upgrade("head", scratch_url)
    engine = create_engine(scratch_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "include_object": include_object})
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert diff == []
