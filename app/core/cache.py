"""A response cache for the public Content API, safe with any number of processes.

Entries are the exact bytes the app answered (status 200 with an ETag, i.e. a `Representation`),
keyed by the normalized request: host, path, sorted query string and whether gzip is accepted.
Each entry records the content state it was rendered under: the `content_version` counter (bumped
inside every content write's transaction) and the next scheduled publication time. Every request
reads the current state from the primary before answering, so once a write is acknowledged no
process serves what it replaced, and a scheduled article appears on time with no job runner.

The state query is tiny, and concurrent requests share one: a request waits for the next query
that *starts after it arrived* (never one already in flight, which could predate a commit), so
under load one query per round trip serves every waiting request.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

import anyio.to_thread
from sqlalchemy import Engine, Integer, bindparam, text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.db import UTCDateTime, get_read_engine, get_write_engine
from app.core.http import is_fresh
from app.core.listing import now as default_now

UNCACHED_PREFIXES = ("/v1/editorial", "/v1/auth/", "/v1/syndication")
MAX_BODY_BYTES = 2 * 1024 * 1024
# Headers a 304 leaves out: it describes the representation without carrying it.
BODY_HEADERS = {b"content-length", b"content-type", b"content-encoding"}

# Written as SQL text because `core` imports no domain package; the tables are `counter` and
# `article` of the initial migration. `ix_article_status` keeps the subquery to scheduled rows.
STATE_SQL = text(
    "SELECT c.value AS version, (SELECT min(a.published_at) FROM article a "
    " WHERE a.status = 'scheduled' AND a.published_at > :now AND a.deleted_at IS NULL) AS next_at"
    " FROM counter c WHERE c.name = 'content_version'"
).bindparams(bindparam("now", type_=UTCDateTime())).columns(version=Integer, next_at=UTCDateTime())

State = tuple[int, datetime | None]


def primary_engine() -> Engine:
    """The primary, read without taking SQLite's write lock (the write engine begins IMMEDIATE;
    on SQLite both engines open the same file, and a new read transaction sees every commit)."""
    write = get_write_engine()
    return get_read_engine() if write.dialect.name == "sqlite" else write


def read_state(engine: Engine, now: datetime) -> State:
    with engine.connect() as conn:
        row = conn.execute(STATE_SQL, {"now": now}).one()
    return int(row.version), row.next_at


class SharedStateReader:
    """Reads the content state, letting concurrent callers share one fresh query."""

    def __init__(self, fetch: Callable[[], State]) -> None:
        self._fetch = fetch
        self._waiting: asyncio.Future[State] | None = None
        self._running = False

    async def get(self) -> State:
        if self._waiting is None:
            self._waiting = asyncio.get_running_loop().create_future()
            if not self._running:
                self._running = True
                asyncio.get_running_loop().create_task(self._drain())
        return await asyncio.shield(self._waiting)

    async def _drain(self) -> None:
        try:
            while self._waiting is not None:
                future, self._waiting = self._waiting, None
                try:
                    state = await anyio.to_thread.run_sync(self._fetch)
                except Exception as exc:  # handed to every waiter, which fails its request
                    future.set_exception(exc)
                else:
                    future.set_result(state)
        finally:
            self._running = False


@dataclass(slots=True)
class Entry:
    state: State
    headers: list[tuple[bytes, bytes]]
    body: bytes
    tag: str  # unquoted, without the `-gz` suffix, as `is_fresh` compares it
    last_modified: datetime | None


class LRU:
    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[Any, ...], Entry] = OrderedDict()

    def get(self, key: tuple[Any, ...]) -> Entry | None:
        entry = self._items.get(key)
        if entry is not None:
            self._items.move_to_end(key)
        return entry

    def put(self, key: tuple[Any, ...], entry: Entry) -> None:
        self._items[key] = entry
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return b""


def cache_key(scope: Scope) -> tuple[Any, ...]:
    query = scope.get("query_string", b"")
    if query:
        # Normalized so `?b=1&a=2` and `?a=2&b=1` share an entry (repeated keys keep their order).
        query = urlencode(sorted(parse_qsl(query.decode("latin-1"), keep_blank_values=True),
                                 key=lambda kv: kv[0])).encode()
    return (_header(scope, b"host"), scope["path"], query,
            b"gzip" in _header(scope, b"accept-encoding"))


class ResponseCacheMiddleware:
    """Pure ASGI cache in front of the public GET routes under /v1."""

    def __init__(self, app: ASGIApp, *, entries: int, engine: Callable[[], Engine] = primary_engine,
                 overrides: Mapping[Callable[..., Any], Callable[..., Any]] | None = None) -> None:
        self.app = app
        self.entries = LRU(entries)
        # The clock is the app's `now` dependency, so overriding it moves the cache's time too.
        self._overrides = overrides if overrides is not None else {}
        self._engine = engine
        self.reader = SharedStateReader(self._fetch_state)

    def _now(self) -> datetime:
        return self._overrides.get(default_now, default_now)()  # type: ignore[no-any-return]

    def _fetch_state(self) -> State:
        return read_state(self._engine(), self._now())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] != "GET"
                or not scope["path"].startswith("/v1/")
                or scope["path"].startswith(UNCACHED_PREFIXES)):
            await self.app(scope, receive, send)
            return
        key = cache_key(scope)
        state = await self.reader.get()
        entry = self.entries.get(key)
        if entry is not None and entry.state == state:
            await self._answer(scope, entry, send)
            return
        await self._fill(scope, receive, send, key, state)

    async def _answer(self, scope: Scope, entry: Entry, send: Send) -> None:
        inm = _header(scope, b"if-none-match").decode("latin-1") or None
        ims = _header(scope, b"if-modified-since").decode("latin-1") or None
        if (inm or ims) and is_fresh(inm, ims, entry.tag, entry.last_modified):
            headers = [(k, v) for k, v in entry.headers if k not in BODY_HEADERS]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": entry.headers})
        await send({"type": "http.response.body", "body": entry.body})

    async def _fill(self, scope: Scope, receive: Receive, send: Send, key: tuple[Any, ...],
                    state: State) -> None:
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        storable = True

        async def capture(message: Message) -> None:
            nonlocal start, size, storable
            if message["type"] == "http.response.start":
                # A copy: middleware further out adds per-request headers (request id, CORS)
                # to this very message once it is sent, and those must not be replayed.
                start = {**message, "headers": list(message.get("headers", []))}
                storable = message["status"] == 200 and _storable(message["headers"])
            elif message["type"] == "http.response.body" and storable:
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    storable = False
                    chunks.clear()
                else:
                    chunks.append(chunk)
                if not message.get("more_body", False) and storable and start is not None:
                    self._store(key, state, start["headers"], b"".join(chunks))
            await send(message)

        await self.app(scope, receive, capture)

    def _store(self, key: tuple[Any, ...], state: State, headers: list[tuple[bytes, bytes]],
               body: bytes) -> None:
        tag: str | None = None
        last_modified: datetime | None = None
        for name, value in headers:
            if name == b"etag":
                tag = value.decode("latin-1").strip('"').removesuffix("-gz")
            elif name == b"last-modified":
                last_modified = parsedate_to_datetime(value.decode("latin-1"))
        if tag is not None:
            self.entries.put(key, Entry(state, list(headers), body, tag, last_modified))


def _storable(headers: list[tuple[bytes, bytes]]) -> bool:
    """Only public representations with a validator (what `respond()` makes) are stored."""
    has_etag = False
    for name, value in headers:
        if name == b"set-cookie" or (name == b"cache-control"
                                     and (b"private" in value or b"no-store" in value)):
            return False
        has_etag = has_etag or name == b"etag"
    return has_etag
