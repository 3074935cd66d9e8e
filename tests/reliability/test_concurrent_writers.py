"""Many writers at once through a live server with two worker processes: every write is
answered 2xx (on SQLite: no "database is locked", the write engine's `BEGIN IMMEDIATE` plus the
busy timeout queue the writers instead) and every acknowledged write is what the database holds.

On SQLite the two processes share one file lock, which is the point; the PostgreSQL pass runs
the same load as a check that no acknowledged write is lost there either.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import pytest
from sqlmodel import Session, select

from app.articles.models import Article, ArticleRevision
from app.authors.models import Author
from tests.reliability.servers import live_server

pytestmark = pytest.mark.slow  # `make test` runs it; `make test-quick` does not

THREADS = 8
WRITES_PER_THREAD = 25
CREATE_EVERY = 5  # a thread's 1st, 6th, 11th... write creates an article; the others patch it


@dataclass
class Written:
    """What the server acknowledged for one article."""

    title: str
    revision: int


@dataclass
class Writer:
    acknowledged: dict[int, Written] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def write(client: httpx.Client, editor: dict[str, str], byline: list[str], thread: int,
          start: threading.Barrier) -> Writer:
    done = Writer()
    start.wait()
    article_id, etag = 0, ""
    for n in range(WRITES_PER_THREAD):
        title = f"Writer {thread} draft {n}"
        if n % CREATE_EVERY == 0:
            response = client.post("/v1/editorial/articles", headers=editor,
                                   json={"title": title, "authors": byline})
            expected = 201
        else:
            response = client.patch(f"/v1/editorial/articles/{article_id}", json={"title": title},
                                    headers={**editor, "If-Match": etag})
            expected = 200
        if response.status_code != expected:
            done.failures.append(f"{response.status_code} {response.text[:300]}")
            return done  # the next patch would need this one's ETag
        body = response.json()
        article_id, etag = body["id"], response.headers["etag"]
        done.acknowledged[article_id] = Written(body["title"], body["revision"])
    return done


def test_concurrent_writers_get_no_errors_and_lose_no_write(
        database_url: str, session: Session, make_author: Callable[..., Author],
        auth_headers: Callable[..., dict[str, str]]) -> None:
    editor, byline = auth_headers("editor"), [make_author("The desk").slug]
    start = threading.Barrier(THREADS)
    with live_server(database_url, workers=2) as server:
        clients = [httpx.Client(base_url=server.base_url, timeout=60) for _ in range(THREADS)]
        try:
            with ThreadPoolExecutor(max_workers=THREADS) as pool:
                writers = list(pool.map(
                    lambda t: write(clients[t], editor, byline, t, start), range(THREADS)))
        finally:
            for client in clients:
                client.close()
        log = server.log()

    failures = [f for w in writers for f in w.failures]
    assert failures == [], failures[:5]
    acknowledged = {i: w for writer in writers for i, w in writer.acknowledged.items()}
    assert len(acknowledged) == THREADS * WRITES_PER_THREAD // CREATE_EVERY
    stored = {a.id: a for a in session.exec(select(Article)).all()}
    assert set(stored) == set(acknowledged)
    lost = [i for i, w in acknowledged.items()
            if (stored[i].title, stored[i].revision) != (w.title, w.revision)]
    assert lost == [], f"{len(lost)} articles lost an acknowledged write"
    # Each acknowledged patch kept the state before it as one revision: none lost, none doubled.
    kept = Counter(session.exec(select(ArticleRevision.article_id)).all())
    assert {kept[i] for i in acknowledged} == {CREATE_EVERY - 1}
    assert "database is locked" not in log, log[-3000:]
    assert '"level":"error"' not in log, log[-3000:]
