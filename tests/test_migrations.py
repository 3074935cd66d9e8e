"""Migrations, on this run's database engine (a scratch SQLite file, or a scratch PostgreSQL
database next to the run's own): pytest-alembic's built-in tests, plus what they do not cover.

pytest-alembic: one head; upgrade from empty to head; the models match what the migrations build
(autogenerate finds nothing, with app/core/migrate.py `include_object` leaving out the
hand-made full-text objects); every revision upgrades and downgrades on its own; and each
upgrade/downgrade round trip leaves the schema exactly as it found it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from alembic.config import Config
from pytest_alembic.tests import (
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)
from pytest_alembic.tests.experimental import test_downgrade_leaves_no_trace
from sqlalchemy import Engine, create_engine, inspect, text

import app.models  # noqa: F401  (every table on the metadata autogenerate compares with)
from app.core.db import build_engine
from app.core.migrate import alembic_config as khabar_alembic_config
from app.core.migrate import downgrade, upgrade

BASE_URL = os.environ.get("DATABASE_URL", "sqlite://")

__all__ = [  # collected from here, so they run on this run's engine
    "test_downgrade_leaves_no_trace",
    "test_model_definitions_match_ddl",
    "test_single_head_revision",
    "test_up_down_consistency",
    "test_upgrade",
]



@pytest.fixture
def alembic_config(scratch_url: str) -> Config:
    """The configuration `khabar db upgrade` uses (migrations/env.py, with `include_object`)."""
    return khabar_alembic_config(scratch_url)


@pytest.fixture
def alembic_engine(scratch_url: str) -> Iterator[Engine]:
    """The engine the app builds for that URL (on SQLite: its PRAGMAs, foreign keys on)."""
    engine = build_engine(scratch_url)
    yield engine
    engine.dispose()


def test_upgrade_seeds_counters_and_downgrade_empties(scratch_url: str) -> None:
    """Data and the full path the CLI takes: the counters every write bumps are seeded by the
    migration (an app on an empty database would fail its first write), and `khabar db
    downgrade base` removes every table."""
    upgrade("head", scratch_url)
    engine = create_engine(scratch_url)
    try:
        with engine.connect() as conn:
            counters = dict(conn.execute(text("SELECT name, value FROM counter")).all())
        assert counters == {"change_seq": 0, "content_version": 0}
        downgrade("base", scratch_url)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


def test_0018_makes_postgresql_announce_counter_moves_and_downgrade_stops_it(
        scratch_url: str) -> None:
    """With data in place: after 0018 a counter moved by a plain UPDATE is heard by a LISTEN
    at commit (and not on rollback); after the downgrade nothing is."""
    if not scratch_url.startswith("postgresql"):
        pytest.skip("the trigger is PostgreSQL's; SQLite processes read PRAGMA data_version")
    import psycopg

    upgrade("0018", scratch_url)
    dsn = scratch_url.replace("postgresql+psycopg://", "postgresql://", 1)

    def heard_after(commit: bool) -> list[str]:
        with psycopg.connect(dsn, autocommit=True) as listening, psycopg.connect(dsn) as writer:
            listening.execute("LISTEN khabar_changes")
            writer.execute("UPDATE counter SET value = value + 5 WHERE name = 'content_version'")
            writer.commit() if commit else writer.rollback()
            return [n.payload for n in listening.notifies(timeout=0.5, stop_after=1)]

    assert heard_after(commit=False) == []
    assert heard_after(commit=True) == ["content_version:5"]
    downgrade("0017", scratch_url)
    assert heard_after(commit=True) == []
    with psycopg.connect(dsn) as conn:  # the data stayed
        value = conn.execute("SELECT value FROM counter WHERE name = 'content_version'").fetchone()
    assert value == (10,)
