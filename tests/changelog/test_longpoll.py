"""Long-poll across processes, against a live `khabar serve`: a held `wait=10` request answers
within a second of a commit made by another process (this one), or of the server's own sweep
making a scheduled article live; held requests do not slow ordinary reads."""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.articles import service as articles_service
from tests.clients.live import REPO, free_port, serving

pytestmark = pytest.mark.slow  # `make test` runs it; `make test-quick` does not


def utcnow() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def server(database_url: str, engine) -> Iterator[str]:  # type: ignore[no-untyped-def]  # noqa: ARG001
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": database_url, "KHABAR_PUBLIC_BASE_URL": base,
           "KHABAR_RATE_LIMIT_PUBLIC": "0", "KHABAR_SWEEP_SECONDS": "1"}
    env.pop("REDIS_URL", None)
    with serving([sys.executable, "-m", "app.cli", "serve", "--port", str(port)], base,
                 cwd=REPO, env=env) as url:
        yield url


def head(base: str) -> str:
    r = httpx.get(f"{base}/v1/sync", params={"since": "latest"}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["meta"]["next_cursor"]


class Held:
    """A `wait=` request in a thread: when it answered and what."""

    def __init__(self, base: str, cursor: str, wait: int = 10) -> None:
        self.answered_at: float | None = None
        self.body: dict = {}

        def run() -> None:
            r = httpx.get(f"{base}/v1/sync", params={"cursor": cursor, "wait": wait},
                          timeout=wait + 10)
            self.answered_at = time.monotonic()
            self.body = r.json()

        self.thread = threading.Thread(target=run)
        self.thread.start()

    def join(self) -> None:
        self.thread.join(timeout=30)


def test_a_held_request_answers_within_a_second_of_a_commit_elsewhere(
        server: str, session, make_article) -> None:  # type: ignore[no-untyped-def]
    draft = make_article(status="draft")
    held = Held(server, head(server))
    time.sleep(1.5)  # the request is held by now
    assert held.answered_at is None
    articles_service.publish_article(session, draft, publish_at=None,
                                     expected_revision=draft.revision, by=None, now=utcnow())
    committed = time.monotonic()
    held.join()
    assert held.answered_at is not None
    assert held.answered_at - committed < 1.0
    assert [(i["id"], i["op"]) for i in held.body["data"]] == [(draft.id, "upsert")]


def test_the_servers_sweep_wakes_a_held_request(server: str, make_article) -> None:  # type: ignore[no-untyped-def]
    # The cursor first: taken after the article, on a busy machine it could already be past
    # the sweep's publication, and the held request would wait for nothing.
    cursor = head(server)
    due = utcnow() + timedelta(seconds=2)
    scheduled = make_article(status="scheduled", published_at=due)
    held = Held(server, cursor)
    held.join()
    assert held.answered_at is not None
    assert [i["id"] for i in held.body["data"]] == [scheduled.id]
    # Due at `due`; the sweep runs every second and the answer follows within one more.
    assert utcnow() - due < timedelta(seconds=2.5)


def test_an_empty_wait_answers_after_wait_with_the_same_cursor(server: str) -> None:
    cursor = head(server)
    started = time.monotonic()
    r = httpx.get(f"{server}/v1/sync", params={"cursor": cursor, "wait": 1}, timeout=10)
    assert 1.0 <= time.monotonic() - started < 3.0
    assert r.json()["data"] == []
    assert r.json()["meta"]["next_cursor"] == cursor
    assert "no-store" in r.headers["cache-control"]


def test_fifty_held_requests_do_not_delay_an_ordinary_read(server: str, make_article) -> None:  # type: ignore[no-untyped-def]
    make_article()
    cursor = head(server)

    async def scenario() -> tuple[float, float, int]:
        limits = httpx.Limits(max_connections=80)
        async with httpx.AsyncClient(base_url=server, timeout=30, limits=limits) as client:
            async def read_latency(n: int) -> float:
                times = []
                for _ in range(n):
                    start = time.perf_counter()
                    r = await client.get("/v1/articles", params={"limit": 5})
                    assert r.status_code == 200
                    times.append(time.perf_counter() - start)
                return statistics.median(times)

            await read_latency(5)  # warm up
            alone = await read_latency(20)
            held = [asyncio.create_task(client.get(
                "/v1/sync", params={"cursor": cursor, "wait": 8})) for _ in range(50)]
            await asyncio.sleep(1.0)  # all held by now
            assert not any(t.done() for t in held)
            busy = await read_latency(20)
            answers = await asyncio.gather(*held)
            return alone, busy, sum(a.status_code == 200 for a in answers)

    alone, busy, ok = asyncio.run(scenario())
    assert ok == 50
    assert busy - alone < 0.050, (alone, busy)
