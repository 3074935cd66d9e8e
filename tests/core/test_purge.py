"""The CDN purge hook: a real HTTP endpoint receives the Surrogate-Keys each committed write made
stale; a rolled-back write sends nothing; a CDN that is down never fails a write."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.authors.models import Author
from app.changelog import record as changes
from app.core import purge


class Receiver:
    """A CDN purge endpoint on 127.0.0.1 that records what it is sent."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], list[str]]] = []
        received = self.calls

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                received.append((dict(self.headers), body["surrogate_keys"]))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/purge"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def purged(self) -> set[str]:
        return {key for _, keys in self.calls for key in keys}

    def wait_for(self, key: str, seconds: float = 10.0) -> None:
        deadline = time.monotonic() + seconds
        while key not in self.purged():
            assert time.monotonic() < deadline, f"{key!r} never purged; got {self.calls}"
            time.sleep(0.02)


def _purge_to(reconfigure: Callable[..., None], url: str) -> None:
    reconfigure(KHABAR_PURGE_URL=url, KHABAR_PURGE_HEADERS='{"Fastly-Key": "cdn-token"}')


@pytest.fixture
def receiver(reconfigure: Callable[..., None]) -> Iterator[Receiver]:
    receiver = Receiver()
    _purge_to(reconfigure, receiver.url)
    yield receiver
    receiver.server.shutdown()


def test_publishing_purges_the_article_its_authors_and_the_lists(
        receiver: Receiver, app, session: Session,  # type: ignore[no-untyped-def]
        auth_headers: Callable[..., dict[str, str]], make_author: Callable[..., Author]) -> None:
    editor, author = auth_headers("editor"), make_author("Purged desk")
    session.commit()
    with TestClient(app) as client:
        created = client.post("/v1/editorial/articles", headers=editor,
                              json={"title": "Stale at the edge", "authors": [author.slug]})
        assert created.status_code == 201, created.text
        article_id = created.json()["id"]
        published = client.post(f"/v1/editorial/articles/{article_id}/publish",
                                headers={**editor, "If-Match": created.headers["etag"]})
        assert published.status_code == 200, published.text
        # What the public responses carry is what gets purged.
        public = client.get(f"/v1/articles/{published.json()['slug']}")
        served = set(public.headers["surrogate-key"].split())

    receiver.wait_for(f"article:{article_id}")
    assert served <= receiver.purged()
    assert {"articles", f"author:{author.id}"} <= receiver.purged()
    headers, keys = receiver.calls[-1]
    assert headers["Fastly-Key"] == "cdn-token"
    assert headers["Surrogate-Key"] == " ".join(keys)


def test_a_rolled_back_write_purges_nothing(receiver: Receiver, session: Session) -> None:
    changes.content_changed(session, "section:rolled-back")
    session.rollback()
    changes.content_changed(session, "section:committed")
    session.commit()
    receiver.wait_for("section:committed")
    assert "section:rolled-back" not in receiver.purged()


def test_a_cdn_that_is_down_never_fails_a_write(
        reconfigure: Callable[..., None], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture, client: TestClient,
        auth_headers: Callable[..., dict[str, str]]) -> None:
    closed = Receiver()
    closed.server.server_close()  # nothing listens on this port any more
    _purge_to(reconfigure, closed.url)
    monkeypatch.setattr(purge, "RETRY_DELAYS", (0.01,))
    with caplog.at_level(logging.WARNING, logger="khabar.purge"):
        created = client.post("/v1/editorial/sections", headers=auth_headers("editor"),
                              json={"name": "Kept despite the CDN"})
        assert created.status_code == 201, created.text
        deadline = time.monotonic() + 10
        while "CDN purge" not in caplog.text:
            assert time.monotonic() < deadline, "the failed purge was never logged"
            time.sleep(0.02)
    assert "ConnectError" in caplog.text
