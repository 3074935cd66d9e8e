"""Test infrastructure: one real database per test run (SQLite file or a fresh PostgreSQL
database), migrated with Alembic, emptied after every test.

`DATABASE_URL` picks the engine: unset or sqlite -> a temporary SQLite file; a PostgreSQL URL ->
a new database named after it (plus the xdist worker), dropped at the end.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

if TYPE_CHECKING:
    from fastapi import FastAPI

    from tests.security.runner import MatrixRun

BASE_URL = os.environ.get("DATABASE_URL", "sqlite://")
# Tests never talk to a real Redis unless they ask for it (tests/... that need Redis set it).
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("KHABAR_RATE_LIMIT_PUBLIC", "0")
os.environ.setdefault("KHABAR_SECRET_KEY", "test-secret-key-0123456789abcdef0123456789")
os.environ.setdefault("KHABAR_PUBLIC_BASE_URL", "http://testserver")
# Argon2 at production cost is tested once (tests/users/test_passwords.py); elsewhere it would
# be a third of the suite's time.
os.environ.setdefault("KHABAR_PASSWORD_HASH_COST", "cheap")
# No background sweep in tests unless one asks for it: feeds and syncs sweep when read.
os.environ.setdefault("KHABAR_SWEEP_SECONDS", "0")
# No webhook sender in apps under test unless a test starts one (tests/webhooks).
os.environ.setdefault("KHABAR_WEBHOOK_WORKER", "false")
# Images the tests store (uploads, demo pictures) go to a scratch directory, not var/media.
os.environ.setdefault("KHABAR_MEDIA_STORE", tempfile.mkdtemp(prefix="khabar-test-media-"))


# Which tests need the run's database. The suite runs twice (`make test`: SQLite, then
# PostgreSQL), but a test that never reaches a database (OpenAPI lint, client generation, the
# browser, hadolint, renderers, BS dates...) would only repeat itself in the second pass. The
# rule is mechanical: a test needs the database when its fixtures reach one of these (every
# database fixture does: engine, session, client, app, make_article... all rest on
# `database_url`), or when it is marked `database` (tests that start a database of their own,
# or read `DATABASE_URL` at import). The others are marked `db_independent`; the PostgreSQL pass
# leaves them out (`-m "not db_independent"`), and wherever they run they see an unreachable
# `DATABASE_URL` (see `pytest_runtest_protocol` below), so one that did use a database would
# fail on the SQLite pass instead of silently running on SQLite only.
DATABASE_FIXTURES = frozenset({"database_url", "scratch_url"})
UNREACHABLE_DATABASE = ("postgresql+psycopg://db_independent@127.0.0.1:9/"
                        "a_test_marked_db_independent_used_the_database")


def needs_database(item: pytest.Item) -> bool:
    return (item.get_closest_marker("database") is not None
            or not DATABASE_FIXTURES.isdisjoint(getattr(item, "fixturenames", ())))


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by markers
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not needs_database(item):
            item.add_marker(pytest.mark.db_independent)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    if item.get_closest_marker("db_independent") is None:
        yield
        return
    saved = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = UNREACHABLE_DATABASE
    _reset_caches()
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = saved
        _reset_caches()


def _reset_caches() -> None:
    from app.core.config import get_settings
    from app.core.db import get_read_engine, get_write_engine

    for cached in (get_write_engine, get_read_engine):
        if cached.cache_info().currsize:
            cached().dispose()
        cached.cache_clear()
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[str]:
    if BASE_URL.startswith("sqlite"):
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'khabar-test.db'}"
        yield from _migrated(url)
        return
    with postgres_database(f"khabar_test_{worker_id}") as url:
        yield from _migrated(url)


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the run's server (named `prefix` and a random
    suffix), dropped afterwards: the URL of it."""
    base = make_url(BASE_URL)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # A test database need not survive a crash of the server: a commit need not wait for
        # its WAL to reach the disk (the suite commits after nearly every request).
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def scratch_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the run's kind, apart from the run's test database."""
    if not BASE_URL.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    with postgres_database("khabar_scratch") as url:
        yield url


def _migrated(url: str) -> Iterator[str]:
    from app.core.migrate import upgrade

    os.environ["DATABASE_URL"] = url
    _reset_caches()
    upgrade("head", url)
    yield url
    _reset_caches()


@pytest.fixture
def reconfigure(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """reconfigure(NAME="value", OTHER=None): set (None: unset) environment settings and rebuild
    settings and engines from them; the run's own configuration comes back after the test."""

    def apply(**env: str | None) -> None:
        for name, value in env.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        _reset_caches()

    yield apply
    monkeypatch.undo()
    _reset_caches()


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch,
              engine: Any) -> Iterator[Callable[..., FastAPI]]:  # noqa: ARG001 (migrated DB)
    """configure(NAME="value") -> a new app built with these settings, with rate-limit counters
    of its own (a fresh key prefix)."""
    from app.core.config import get_settings
    from app.main import create_app

    def build(**env: str) -> FastAPI:
        monkeypatch.setenv("KHABAR_RATE_LIMIT_KEY_PREFIX", f"test-{uuid.uuid4().hex}")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        app = create_app()
        get_settings.cache_clear()
        return app

    yield build
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def matrix(database_url: str, tmp_path_factory: pytest.TempPathFactory,  # noqa: ARG001
           worker_id: str) -> MatrixRun:  # (database_url: the migrated database)
    """Every route called with every credential on every object of a world (tests/security),
    recorded once per run (about 20 s): the security suite and tests/interop judge the
    exchanges, which are plain data. The first worker to need them records them into the run's
    shared temporary directory, under a lock; the others read them (xdist's recipe for a session
    fixture built once). Defined here, once: a fixture imported into a second conftest is a
    second fixture, with a cache of its own."""
    from app.core.db import get_write_engine
    from app.main import create_app
    from tests.security.runner import run_matrix
    from tests.security.world import World

    def record() -> MatrixRun:
        engine = get_write_engine()
        try:
            return run_matrix(create_app(), World(engine).build())
        finally:
            empty_database(engine)

    if worker_id == "main":
        return record()
    shared = tmp_path_factory.getbasetemp().parent / "security-matrix.pickle"
    with open(shared.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if shared.exists():
            return pickle.loads(shared.read_bytes())  # type: ignore[no-any-return]
        run = record()
        shared.write_bytes(pickle.dumps(run))
        return run


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


def empty_database(engine) -> None:  # type: ignore[no-untyped-def]
    """Every table emptied, the counters back at 0 and (on PostgreSQL) the id sequences that
    moved back at 1, as a fresh migration leaves them: in one transaction, one round trip.

    DELETE, not TRUNCATE: a test leaves a few rows, and PostgreSQL's TRUNCATE of 26 tables
    (new files for each table and index, an exclusive lock on each) cost 0.1-1 s per test, more
    than most tests themselves; the DELETEs cost a few milliseconds."""
    import app.models  # noqa: F401

    statements = [f'DELETE FROM "{t.name}"' for t in reversed(SQLModel.metadata.sorted_tables)]
    statements.append("INSERT INTO counter (name, value) VALUES ('change_seq', 0), "
                      "('content_version', 0)")
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            # (SQLite's rowids restart by themselves on an empty table: no AUTOINCREMENT here.)
            for statement in statements:
                conn.exec_driver_sql(statement)
        else:
            # What TRUNCATE's RESTART IDENTITY did: pg_sequences shows a last_value only for
            # a sequence that has been used since it was (re)set.
            statements.append(
                "SELECT setval(quote_ident(schemaname) || '.' || quote_ident(sequencename), 1, "
                "false) FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL")
            conn.exec_driver_sql(";\n".join(statements))


# `database_url` is asked for its side effect: the migrated database the settings now name.
# (A fixture cannot take `usefixtures`, hence the noqa.)
@pytest.fixture
def engine(database_url: str):  # type: ignore[no-untyped-def]  # noqa: ARG001
    from app.core.db import get_write_engine

    engine = get_write_engine()
    yield engine
    empty_database(engine)


@pytest.fixture
def session(engine) -> Iterator[Session]:  # type: ignore[no-untyped-def]
    # On SQLite the tests' own session runs in autocommit mode: a transaction left open there (a
    # factory's refresh() after its commit) would hold the write lock, or a stale WAL snapshot
    # that cannot write, while the app under test writes.
    bind = engine
    if engine.dialect.name == "sqlite":
        bind = create_engine(engine.url, connect_args={"check_same_thread": False, "timeout": 15})
        event.listen(bind, "connect", _sqlite_autocommit)
    with Session(bind, expire_on_commit=False) as s:
        yield s
    if bind is not engine:
        bind.dispose()


def _sqlite_autocommit(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    dbapi_conn.isolation_level = None
    dbapi_conn.execute("PRAGMA foreign_keys=ON")
    dbapi_conn.execute("PRAGMA busy_timeout=15000")


@pytest.fixture
def app(engine):  # type: ignore[no-untyped-def]  # noqa: ARG001  (a migrated, emptied database)
    from app.main import create_app

    return create_app()


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def seed_text() -> str:
    seed = Path(__file__).parent / "fixtures" / "khabarhub-opinion.txt"
    return seed.read_text(encoding="utf-8")


@pytest.fixture
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgresql")


from tests.factories import (  # noqa: E402,F401  (fixtures)
    auth_headers,
    make_article,
    make_author,
    make_section,
    make_user,
)
