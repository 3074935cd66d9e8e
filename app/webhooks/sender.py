"""Sending the outbox: a background thread in every `khabar serve` process (or `khabar worker`).

Claiming. A due attempt is claimed in a short transaction that sets a lease (`leased_until`,
`lease_token`) before anything is sent: on PostgreSQL the candidate rows are selected `FOR UPDATE
SKIP LOCKED`, so concurrent senders pass over each other's rows instead of waiting; on SQLite the
write transaction (`BEGIN IMMEDIATE`) already serializes claimers, and the UPDATE repeats the
conditions. Several processes therefore never send one attempt twice; a sender that dies
mid-send leaves a lease that runs out (timeout plus a margin) and the attempt is made again
(at-least-once, the same `webhook-id`).

Order. A message about an article is not claimed while an earlier message about the same article
to the same endpoint is still pending (waiting for a retry or in flight): one article's events
reach one endpoint in the order they were committed.

Waking. A commit that wrote outbox rows wakes this process's sender at once; other processes
poll every `KHABAR_WEBHOOK_POLL_SECONDS` (0.5 s) with one indexed query, so the first attempt
follows the commit within about that long at worst.

Outcomes. 2xx is a success. Anything else (3xx included, redirects are never followed), a
timeout (15 s) or a refused address is a failure, retried after the next delay of
`KHABAR_WEBHOOK_RETRY_SCHEDULE` (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h) with +/-20 % jitter,
or after `Retry-After` when the receiver sends one (capped at a day); after the last delay the
delivery is `failed`. `410 Gone` fails it at once and disables the endpoint, as does an endpoint
that has failed every attempt for five days.
"""

from __future__ import annotations

import email.utils
import logging
import random
import secrets
import ssl
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson
from fastapi import FastAPI
from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col
from standardwebhooks.webhooks import Webhook

from app.core.config import get_settings
from app.core.db import get_read_engine, get_write_engine, utcnow
from app.webhooks import outbox, urls
from app.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

log = logging.getLogger("khabar.webhooks")

TIMEOUT = 15.0
LEASE = timedelta(seconds=TIMEOUT + 15)  # longer than any attempt can take
DISABLE_AFTER = timedelta(days=5)
MAX_RETRY_AFTER = 86400.0
JITTER = 0.2
SLOTS = 8  # attempts in flight per process
USER_AGENT = "Khabar-Webhooks/1.1"


# ---- signing ------------------------------------------------------------------------------------


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The current secret and, for 24 h after a rotation, the previous one."""
    out = [endpoint.secret]
    if (endpoint.previous_secret and endpoint.previous_secret_expires_at
            and endpoint.previous_secret_expires_at > now):
        out.append(endpoint.previous_secret)
    return out


def sign(secrets_: list[str], message_id: str, at: datetime, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers; one `v1,` signature per secret, space-separated."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(Webhook(s).sign(message_id, at.astimezone(UTC), body)
                                      for s in secrets_),
    }


def body_of(payload: dict[str, Any]) -> str:
    return orjson.dumps(payload).decode()


# ---- one attempt --------------------------------------------------------------------------------


@dataclass
class Claimed:
    id: int
    token: str
    message_id: str
    payload: dict[str, Any]
    attempts: int
    url: str
    secrets: list[str]
    endpoint_id: str


@dataclass
class Outcome:
    status: int | None
    error: str | None
    retry_after: float | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def attempt(client: httpx.Client, item: Claimed) -> Outcome:
    started = time.monotonic()
    now = utcnow()
    body = body_of(item.payload)
    headers = {"content-type": "application/json", "user-agent": USER_AGENT,
               **sign(item.secrets, item.message_id, now, body)}
    try:
        request = _pinned_request(client, item.url, headers, body)
        response = client.send(request, stream=True)
        response.close()  # the body is never needed
        return Outcome(response.status_code, None if response.is_success else
                       f"HTTP {response.status_code}", _retry_after(response, now),
                       _ms(started))
    except urls.UnsafeAddress as exc:
        return Outcome(None, f"refused: {exc}", None, _ms(started))
    except httpx.TimeoutException:
        return Outcome(None, f"timeout after {TIMEOUT:.0f} s", None, _ms(started))
    except httpx.HTTPError as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:500], None, _ms(started))


def _pinned_request(client: httpx.Client, url: str, headers: dict[str, str],
                    body: str) -> httpx.Request:
    """A request to the checked address of the URL's host (Host and TLS name unchanged)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = urls.resolve(host, port)
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    host_header = parts.netloc.rsplit("@", 1)[-1]
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return client.build_request("POST", target, content=body.encode(),
                                headers={**headers, "host": host_header},
                                extensions=extensions)


def _retry_after(response: httpx.Response, now: datetime) -> float | None:
    value = response.headers.get("retry-after")
    if not value or response.is_success:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


# ---- claiming and recording ---------------------------------------------------------------------


def claim(limit: int) -> list[Claimed]:
    """Lease up to `limit` due attempts, in one short transaction."""
    engine = get_write_engine()
    now = utcnow()
    if engine.dialect.name == "sqlite" and not _anything_due(now):
        return []  # spares the write lock on an idle poll
    d = WebhookDelivery.__table__.c
    e = WebhookEndpoint.__table__.c
    earlier = aliased(WebhookDelivery.__table__)
    due = and_(d.status == DeliveryStatus.pending.value, d.next_attempt_at <= now,
               or_(d.leased_until.is_(None), d.leased_until < now))
    blocked = exists().where(earlier.c.endpoint_id == d.endpoint_id,
                             earlier.c.article_id == d.article_id, earlier.c.id < d.id,
                             earlier.c.status == DeliveryStatus.pending.value)
    stmt = (select(d.id).join(WebhookEndpoint.__table__, e.id == d.endpoint_id)
            .where(due, e.enabled.is_(True), ~blocked)
            .order_by(d.next_attempt_at, d.id).limit(limit))
    if engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=WebhookDelivery.__table__, skip_locked=True)
    token = secrets.token_hex(8)
    with Session(engine) as session:
        ids = list(session.execute(stmt).scalars())
        if not ids:
            session.rollback()
            return []
        session.execute(update(WebhookDelivery).where(col(WebhookDelivery.id).in_(ids), due)
                        .values(leased_until=now + LEASE, lease_token=token))
        rows = session.execute(
            select(WebhookDelivery, WebhookEndpoint)
            .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
            .where(col(WebhookDelivery.id).in_(ids), col(WebhookDelivery.lease_token) == token)
        ).all()
        claimed = [Claimed(dl.id, token, dl.message_id, dl.payload, dl.attempts, ep.url,
                           signing_secrets(ep, now), ep.id) for dl, ep in rows]
        session.commit()
    return claimed


def _anything_due(now: datetime) -> bool:
    d = WebhookDelivery.__table__.c
    with get_read_engine().connect() as conn:
        return conn.execute(select(d.id).where(
            d.status == DeliveryStatus.pending.value, d.next_attempt_at <= now,
            or_(d.leased_until.is_(None), d.leased_until < now)).limit(1)).first() is not None


def next_delay(attempts: int, retry_after: float | None) -> float | None:
    """Seconds until the next attempt after `attempts` failed ones; None: give up."""
    schedule = get_settings().webhook_retry_schedule
    if attempts > len(schedule):
        return None
    if retry_after is not None:
        return retry_after
    base = schedule[attempts - 1]
    return base * random.uniform(1 - JITTER, 1 + JITTER)


def record(item: Claimed, outcome: Outcome) -> None:
    """Write the attempt's outcome (one transaction), unless the lease was lost meanwhile."""
    now = utcnow()
    attempts = item.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "last_attempt_at": now,
                              "last_response_status": outcome.status,
                              "last_error": outcome.error, "leased_until": None,
                              "lease_token": None}
    disable: str | None = None
    if outcome.ok:
        values["status"] = DeliveryStatus.succeeded.value
    elif outcome.status == 410:
        values["status"] = DeliveryStatus.failed.value
        disable = "The endpoint answered 410 Gone"
    else:
        delay = next_delay(attempts, outcome.retry_after)
        if delay is None:
            values["status"] = DeliveryStatus.failed.value
        else:
            values["next_attempt_at"] = now + timedelta(seconds=delay)
    with Session(get_write_engine()) as session:
        result = session.exec(update(WebhookDelivery).where(
            col(WebhookDelivery.id) == item.id, col(WebhookDelivery.lease_token) == item.token)
            .values(**values))
        session.add(WebhookAttempt(delivery_id=item.id, attempted_at=now,
                                   response_status=outcome.status, error=outcome.error,
                                   duration_ms=outcome.duration_ms))
        if result.rowcount != 1:
            log.warning("webhook %s: lease lost while sending; outcome logged only",
                        item.message_id)
        endpoint = session.get(WebhookEndpoint, item.endpoint_id)
        if endpoint is not None:
            if outcome.ok:
                endpoint.failing_since = None
            else:
                endpoint.failing_since = endpoint.failing_since or now
                if disable is None and now - endpoint.failing_since >= DISABLE_AFTER:
                    disable = "Every attempt failed for five days"
            if disable and endpoint.enabled:
                endpoint.enabled, endpoint.disabled_reason = False, disable
                endpoint.updated_at = now
                log.warning("webhook endpoint %s disabled: %s", endpoint.id, disable)
            session.add(endpoint)
        session.commit()


# ---- the loop -----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    """The process's TLS client context (httpx's default: certifi's CAs, or SSL_CERT_FILE /
    SSL_CERT_DIR). Building one loads the CA bundle, ~13 ms of CPU, and every app's lifespan
    makes a Sender: each test's app, each reload. A context is safe to share between clients."""
    return httpx.create_ssl_context()


class Sender:
    """Claims due attempts and sends them from a small thread pool until stopped."""

    def __init__(self, slots: int = SLOTS) -> None:
        self.slots = slots
        self._inflight = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="khabar-webhook")
        self._client = httpx.Client(timeout=TIMEOUT, follow_redirects=False, verify=_tls())

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="khabar-webhooks", daemon=True)
        self._thread.start()

    def stop(self, wait: float = 5.0) -> None:
        self._stop.set()
        outbox.wakeup.set()
        if self._thread is not None:
            self._thread.join(wait)
        # Attempts in flight may finish and record their outcome (up to `wait` seconds); any
        # still running when the process ends are retried once their lease runs out.
        self._pool.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + wait
        while self._free() < self.slots and time.monotonic() < deadline:
            time.sleep(0.02)

    def run(self) -> None:
        poll = get_settings().webhook_poll_seconds
        while not self._stop.is_set():
            outbox.wakeup.clear()
            claimed = self._claim()
            if claimed is None:
                self._stop.wait(poll)
                continue
            for item in claimed:
                with self._lock:
                    self._inflight += 1
                self._pool.submit(self._deliver, item)
            if not claimed or self._free() == 0:
                outbox.wakeup.wait(poll)

    def _free(self) -> int:
        with self._lock:
            return self.slots - self._inflight

    def _claim(self) -> list[Claimed] | None:
        free = self._free()
        if free <= 0:
            return []
        try:
            return claim(free)
        # The loop must outlive a database restart or a bad row: log, wait a poll, go on.
        except Exception:
            log.exception("claiming webhook deliveries failed")
            return None

    def _deliver(self, item: Claimed) -> None:
        try:
            outcome = attempt(self._client, item)
            record(item, outcome)
        except Exception:  # the thread pool would swallow it silently
            log.exception("webhook %s: recording the attempt failed", item.message_id)
        finally:
            with self._lock:
                self._inflight -= 1
            outbox.wakeup.set()  # a freed slot, or the next event of this article


@asynccontextmanager
async def running_sender(app: FastAPI) -> AsyncIterator[None]:  # noqa: ARG001
    """The app's lifespan: a sender runs while the app serves (unless switched off)."""
    sender = Sender() if get_settings().webhook_worker else None
    if sender is not None:
        sender.start()
    try:
        yield
    finally:
        if sender is not None:
            sender.stop()
