"""The CDN purge hook: after a write commits, the `Surrogate-Key`s it made stale are sent to
`KHABAR_PURGE_URL`, so a CDN drops exactly those responses instead of waiting out `max-age`.

Services name what they changed inside their transaction (`mark_stale`); nothing is sent unless
the transaction commits, and a rolled-back write sends nothing. The request is the batch-purge
call CDNs share: `POST` with the keys in a space-separated `Surrogate-Key` header (Fastly's
`/service/<id>/purge`, Varnish `xkey`, a small worker in front of Cloudflare's `purge_cache`),
and as JSON `{"surrogate_keys": [...]}`; `KHABAR_PURGE_HEADERS` adds the CDN's credentials.

A background thread sends, so a slow or failing CDN never delays or fails a write: it merges
keys that queue up meanwhile into one request, retries three times, then logs a warning (the
`max-age` the responses carry bounds how stale an unpurged one can get).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterable

import httpx
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.core.config import get_settings

log = logging.getLogger("khabar.purge")

PENDING = "khabar_stale_surrogate_keys"  # in Session.info: the keys this transaction made stale
BATCH = 256  # Fastly's limit of keys per batch purge
RETRY_DELAYS = (0.5, 2.0, 8.0)


def purging() -> bool:
    return bool(get_settings().purge_url)


def mark_stale(session: Session, keys: Iterable[str]) -> None:
    """Record keys to purge once this session's transaction commits."""
    if purging():
        session.info.setdefault(PENDING, set()).update(keys)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    keys = session.info.pop(PENDING, None)
    url = get_settings().purge_url
    if keys and url:
        _purger(url).submit(keys)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(PENDING, None)


class Purger:
    """One sending thread per process and URL."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.url, self.headers = url, headers
        self._queue: queue.Queue[set[str]] = queue.Queue()
        threading.Thread(target=self._run, name="khabar-purge", daemon=True).start()

    def submit(self, keys: set[str]) -> None:
        self._queue.put(keys)

    def _run(self) -> None:
        with httpx.Client(timeout=5.0) as client:
            while True:
                keys = self._queue.get()
                while not self._queue.empty():  # a burst of writes: one request
                    keys |= self._queue.get_nowait()
                ordered = sorted(keys)
                for start in range(0, len(ordered), BATCH):
                    self._send(client, ordered[start:start + BATCH])

    def _send(self, client: httpx.Client, keys: list[str]) -> None:
        for delay in (*RETRY_DELAYS, None):
            try:
                response = client.post(self.url, json={"surrogate_keys": keys},
                                       headers={**self.headers, "Surrogate-Key": " ".join(keys)})
                if response.is_success:
                    return
                problem = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            if delay is None:
                log.warning("CDN purge of %d key(s) failed: %s", len(keys), problem)
                return
            time.sleep(delay)


_purgers: dict[str, Purger] = {}
_lock = threading.Lock()


def _purger(url: str) -> Purger:
    with _lock:
        if url not in _purgers:
            _purgers[url] = Purger(url, get_settings().purge_headers)
        return _purgers[url]
