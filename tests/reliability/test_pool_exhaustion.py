"""A full connection pool: a request that cannot get a connection within
`KHABAR_DB_POOL_TIMEOUT` answers a 503 problem with `Retry-After` (it neither queues forever nor
answers 500), and the app serves again as soon as connections come back.

The pool is filled in-process: this test checks connections out of the app's own engines until
each refuses, so every connection the app could use is held.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy import exc as sa_exc

from app.authors.models import Author
from app.core.db import get_read_engine, get_write_engine

pytestmark = pytest.mark.slow  # `make test` runs it; `make test-quick` does not

POOL_TIMEOUT = 0.5
SLACK = 4.0  # generous: a loaded CI machine, never a measure of speed


@pytest.fixture
def small_pool(reconfigure: Callable[..., None]) -> None:
    reconfigure(KHABAR_DB_POOL_SIZE="2", KHABAR_DB_POOL_TIMEOUT=str(POOL_TIMEOUT))


def hold_every_connection(engine: Engine) -> list[Connection]:
    """Check connections out until the pool refuses one (after its timeout)."""
    held: list[Connection] = []
    while True:
        try:
            held.append(engine.connect())
        except sa_exc.TimeoutError:
            return held
        assert len(held) <= 100, "the pool never refused a connection"


def timed(request: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    return request(), time.monotonic() - started


def test_a_full_pool_answers_503_with_retry_after_within_the_pool_timeout(
        auth_headers: Callable[..., dict[str, str]], make_author: Callable[..., Author],
        small_pool: None, caplog: pytest.LogCaptureFixture) -> None:  # noqa: ARG001
    from app.main import create_app

    # Stored before the pool is filled.
    editor, byline = auth_headers("editor"), [make_author("The desk").slug]
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        assert client.get("/v1/articles").status_code == 200
        engines = {id(e): e for e in (get_write_engine(), get_read_engine())}.values()
        held = [conn for engine in engines for conn in hold_every_connection(engine)]
        try:
            with caplog.at_level(logging.WARNING, logger="khabar.errors"):
                answers = [
                    # A page no one has asked for: the cache cannot answer it (a cached page
                    # may still be served: SQLite's cache checks freshness on its own connection).
                    timed(lambda: client.get("/v1/articles?limit=7")),
                    timed(lambda: client.get("/v1/editorial/articles", headers=editor)),
                    timed(lambda: client.post("/v1/editorial/articles", headers=editor,
                                              json={"title": "Never stored", "authors": byline})),
                    timed(lambda: client.get("/readyz")),
                ]
        finally:
            for conn in held:
                conn.close()
        for response, seconds in answers:
            where = f"{response.request.url.path}: {response.status_code} {response.text[:200]}"
            assert response.status_code == 503, where
            assert response.headers["content-type"] == "application/problem+json", where
            assert int(response.headers["retry-after"]) > 0, where
            assert response.json()["status"] == 503
            assert seconds < POOL_TIMEOUT + SLACK, f"{where} took {seconds:.1f} s"
        # The pool's own refusal, not some other failure, made these 503s.
        assert any("QueuePool limit" in r.getMessage() for r in caplog.records), caplog.text

        assert client.get("/v1/articles").status_code == 200
        created = client.post("/v1/editorial/articles", headers=editor,
                              json={"title": "Stored once the pool has room", "authors": byline})
        assert created.status_code == 201, created.text
        titles = [a["title"] for a in
                  client.get("/v1/editorial/articles", headers=editor).json()["data"]]
        assert titles == ["Stored once the pool has room"]
