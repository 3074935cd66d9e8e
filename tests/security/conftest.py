"""Fixtures of the OWASP API Security Top 10 (2023) suite.

The shared `engine` fixture empties the database after every test, so a world built once and
read by many tests cannot rest on it. Two fixtures build the world on the worker's database
(`database_url`) directly instead, and empty it themselves when done:

* `matrix` (session, in tests/conftest.py so that it is one fixture for every directory): builds
  the world, calls every route with every credential on every object (tests/security/table.py),
  records the exchanges, and empties the database before any other test runs. Recorded once
  per run and shared by the xdist workers; api1, api2, api3, api5, api8 and tests/interop judge
  it.
* `world` and `world_client` (module): a world kept for one module's live probes. Every test of
  such a module must use them only (never `client`, `session` or `engine`, whose teardown would
  empty the world under the module's feet).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.articles.newsroom import newsroom  # noqa: F401  (fixture)
from tests.conftest import empty_database
from tests.security.world import World
from tests.syndication.conftest import make_partner  # noqa: F401  (fixture)


def _engine():  # type: ignore[no-untyped-def]
    """The write engine of this worker's migrated database (the fixtures calling this name
    `database_url`, so that tests/conftest.py counts their tests as database tests)."""
    from app.core.db import get_write_engine

    return get_write_engine()


@pytest.fixture(scope="module")
def world(request: pytest.FixtureRequest,
          database_url: str) -> Iterator[World]:  # noqa: ARG001 (the migrated database)
    if any("matrix" in item.fixturenames for item in request.session.items
           if item.module is request.module):
        # The matrix builds and empties its own world: it must be done before this one exists.
        request.getfixturevalue("matrix")
    engine = _engine()
    try:
        yield World(engine).build()
    finally:
        empty_database(engine)


@pytest.fixture(scope="module")
def world_app(world: World) -> FastAPI:  # noqa: ARG001 (built first)
    """An app over the module's world (built first)."""
    from app.main import create_app

    return create_app()


@pytest.fixture(scope="module")
def world_client(world_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(world_app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="session")
def served(database_url: str) -> Iterator[str]:
    """The base URL of the app as the image serves it (`khabar serve`: uvicorn with its own
    settings), on this worker's database."""
    from tests.clients.live import free_port, serving

    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url}
    khabar = Path(sys.executable).parent / "khabar"
    with serving([str(khabar), "serve", "--port", str(port)], f"http://127.0.0.1:{port}",
                 env=env) as base:
        yield base


@contextmanager
def app_with(**env: str) -> Iterator[FastAPI]:
    """A new app under these extra settings (module-scoped fixtures cannot use monkeypatch)."""
    from app.core.config import get_settings
    from app.main import create_app

    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    get_settings.cache_clear()
    try:
        yield create_app()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()
