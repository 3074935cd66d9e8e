"""Webhooks from live `khabar serve` processes: the outbox survives a server killed between the
commit and the delivery, and several processes deliver each attempt exactly once. Also the SSRF
rules of production, at creation and at send time."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import ClassVar

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from standardwebhooks.webhooks import Webhook

from app.articles.models import Article
from app.core.ids import new_id
from app.webhooks import service, urls
from app.webhooks.models import (
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointCreate,
)
from tests.clients.live import REPO, free_port, wait_for
from tests.reliability.servers import KHABAR
from tests.webhooks.conftest import FAST
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.slow  # `make test` runs it; `make test-quick` does not


@contextmanager
def khabar_serve(database_url: str, **env: str) -> Iterator[subprocess.Popen[bytes]]:
    """`khabar serve` with its webhook sender, in a process group of its own; yields the
    process once it answers. Ends it (SIGKILL) if the test has not."""
    port = free_port()
    environ = {**os.environ, "DATABASE_URL": database_url, "KHABAR_LOG_LEVEL": "warning",
               **FAST, **env}
    proc = subprocess.Popen([str(KHABAR), "serve", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=REPO, env=environ, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", proc)
        yield proc
    finally:
        kill(proc)


def kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL, as a crash or the OOM killer would: no lifespan shutdown runs."""
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def _endpoint(session: Session, url: str, events: list[EventType] | None = None) -> WebhookEndpoint:
    return service.create_endpoint(session, None, WebhookEndpointCreate(
        url=url, events=events or [EventType.article_published, EventType.ping]),
        now=datetime.now(UTC))


def test_a_server_killed_between_commit_and_delivery_delivers_after_restart(
        database_url: str, receiver: Receiver, session: Session,
        make_article: Callable[..., Article]) -> None:
    endpoint = _endpoint(session, receiver.url())
    # Queued before the server starts: its first poll, at start, sends the ping.
    service.send_test(session, endpoint, now=datetime.now(UTC))
    # A long poll: a commit made by another process waits for the next, a minute away, so the
    # kill lands between the commit and the first attempt.
    with khabar_serve(database_url, KHABAR_WEBHOOK_POLL_SECONDS="60") as first:
        receiver.wait_for(lambda r: len(r) == 1, seconds=30)
        article = make_article("Committed, then the server died")
        kill(first)
    time.sleep(0.5)
    assert len(receiver.of()) == 1
    with khabar_serve(database_url):
        got = receiver.wait_for(lambda r: len(r) == 2, seconds=30)
    body = Webhook(endpoint.secret).verify(got[1].body, got[1].headers)
    assert body["type"] == "article.published"
    assert body["data"]["id"] == article.id


def test_two_servers_send_each_attempt_exactly_once(
        database_url: str, receiver: Receiver, session: Session,
        make_article: Callable[..., Article]) -> None:
    endpoints = [_endpoint(session, receiver.url(f"r{i}")) for i in range(3)]
    for i in range(3):  # some attempts fail and are retried: those too are sent once each
        receiver.answer(f"r{i}", (500, {}), (503, {}))
    with khabar_serve(database_url, KHABAR_WEBHOOK_POLL_SECONDS="0.05"), \
            khabar_serve(database_url, KHABAR_WEBHOOK_POLL_SECONDS="0.05"):
        articles = [make_article(f"Story {n}") for n in range(15)]
        for i in range(3):
            receiver.wait_for(lambda r: len({x.webhook_id for x in r}) == 15 and len(r) >= 17,
                              f"r{i}", seconds=60)
        time.sleep(1.0)  # a duplicate would arrive by now
        session.expire_all()
        deliveries = session.exec(select(WebhookDelivery)).all()
        attempts = Counter(session.exec(select(WebhookAttempt.delivery_id)).all())
    assert len(deliveries) == 45
    assert {d.status for d in deliveries} == {"succeeded"}
    sent = Counter(r.webhook_id for r in receiver.received)
    logged = {d.message_id: attempts[d.id] for d in deliveries}
    assert sent == logged  # every attempt the log has reached the receiver once, and no more
    assert sum(sent.values()) == 45 + 6
    for endpoint in endpoints:
        ids = {r.json["data"]["id"] for r in receiver.of(f"r{endpoints.index(endpoint)}")}
        assert ids == {a.id for a in articles}


class TestProductionUrls:
    PROD: ClassVar[dict[str, str]] = {
        "KHABAR_ENV": "production", "KHABAR_PASSWORD_HASH_COST": "standard",
        "KHABAR_SECRET_KEY": "production-secret-0123456789abcdef0123456789"}

    @pytest.mark.parametrize("url", [
        "http://example.org/hook", "https://127.0.0.1/hook", "https://10.1.2.3/hook",
        "https://192.168.0.10/hook", "https://[::1]/hook", "https://169.254.169.254/latest",
        "https://[fd00:ec2::254]/", "https://localhost/hook", "https://100.64.0.1/",
    ])
    def test_refused_at_creation(self, configure: Callable[..., FastAPI],
                                 auth_headers: Callable[..., dict[str, str]], url: str) -> None:
        with TestClient(configure(**self.PROD)) as client:
            answer = client.post("/v1/editorial/webhooks", headers=auth_headers("admin"),
                                 json={"url": url, "events": ["ping"]})
        assert answer.status_code == 422, answer.text
        assert answer.json()["type"].endswith("webhook-url-forbidden")

    def test_public_https_is_accepted(self, configure: Callable[..., FastAPI],
                                      auth_headers: Callable[..., dict[str, str]]) -> None:
        with TestClient(configure(**self.PROD)) as client:
            answer = client.post("/v1/editorial/webhooks", headers=auth_headers("admin"),
                                 json={"url": "https://hooks.example.org/khabar",
                                       "events": ["ping"]})
        assert answer.status_code == 201, answer.text

    def test_an_address_resolved_at_send_time_is_checked(
            self, sending_app: Callable[..., FastAPI], receiver: Receiver, session: Session,
            auth_headers: Callable[..., dict[str, str]],
            make_article: Callable[..., Article]) -> None:
        # A host name whose DNS answer is loopback (as after a rebinding): stored directly, since
        # the API would refuse it; the sender refuses to connect.
        now = datetime.now(UTC)
        endpoint = WebhookEndpoint(id=new_id(), url=f"https://localhost:{receiver.port}/hooks/x",
                                   events=["article.published"], secret=service.new_secret(),
                                   created_at=now, updated_at=now)
        session.add(endpoint)
        session.commit()
        with TestClient(sending_app(**self.PROD)) as client:
            make_article()
            deadline = time.monotonic() + 10
            while True:
                found = client.get(f"/v1/editorial/webhooks/{endpoint.id}/deliveries",
                                   headers=auth_headers("admin")).json()["data"]
                if found and found[0]["attempt_log"]:
                    break
                assert time.monotonic() < deadline, found
                time.sleep(0.05)
        assert "refused" in found[0]["attempt_log"][0]["error"]
        assert found[0]["attempt_log"][0]["response_status"] is None
        assert receiver.received == []


@pytest.mark.parametrize(("address", "strict", "allowed"), [
    ("93.184.216.34", True, True), ("127.0.0.1", True, False), ("127.0.0.1", False, True),
    ("10.0.0.1", True, False), ("10.0.0.1", False, True), ("169.254.169.254", False, False),
    ("::ffff:169.254.169.254", False, False), ("::ffff:127.0.0.1", True, False),
    ("fe80::1", False, False), ("0.0.0.0", False, False), ("224.0.0.1", False, False),
    ("2606:4700::1111", True, True),
])
def test_address_rules(address: str, strict: bool, allowed: bool) -> None:
    import ipaddress

    assert urls.address_allowed(ipaddress.ip_address(address), strict=strict) is allowed


