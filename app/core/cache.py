"""A response cache for the public Content API, safe with any number of processes.

Entries are the exact bytes the app answered (status 200 with an ETag, i.e. a `Representation`),
keyed by the normalized request: host, path, sorted query string and whether gzip is accepted.
The cache holds up to `KHABAR_RESPONSE_CACHE_MB` of them per process (bodies and headers, least
recently used first out): sized in bytes, since a detail weighs ten times a brief.

Private answers are kept too, by the route that made them (`ResponseCache.own`), never by the
edge: a partner's page (articles, change feed, feeds), keyed by the partner's view and the
exact URL, after the key is checked and counted, and valid only under the exact state it was
rendered under (a quarter of the budget again holds them).

Each entry records the content state it was rendered under: the `content_version` counter (bumped
inside every public content write's transaction) and the next scheduled publication time, and
the Surrogate-Keys its response carries (what it shows: `article:<id>`, `author:<id>`,
`articles` for every list...). Each version move comes with the keys it made stale, written in
the same transaction (the change log's `stale_key` table): an entry is served while none of its
keys went stale after the version it was rendered under. So a publish drops the pages that show
the article (its detail, the lists, its authors' pages and, through the byline's count, their
articles) and leaves every other article's detail cached; a version move whose keys are not
known (pruned, or a bulk change recorded as `*`) drops everything, as does a scheduled article's
time coming (its pages are not listed anywhere the clock can tell).

Every request answers under the current state, read from the database the responses are
rendered from (the read engine: the primary, or the replica of `DATABASE_READ_URL`), with the
stale keys of any versions it had not seen, in the same connection: so every process learns
each change, and a scheduled article appears on time with no job runner. With a replica, its lag
is the only staleness (the Editorial API reads the primary). Reading the state on the primary
instead would store a page the lagging replica rendered under the primary's newer version, and
serve it until the next write.

The state is read again only when something may have committed since the last read:
- SQLite: `PRAGMA data_version` tells, in microseconds, whether any connection, in any process,
  has committed. Exact.
- PostgreSQL (without a replica): every counter move sends a notification at commit (a trigger,
  migration 0018), which the process's change listener hears (`app/changelog/signal.py`); while
  its LISTEN is live and its generation has not moved, no commit has happened since. A commit in
  this process moves it before its request returns; another process's commit, when the
  notification arrives (well under a millisecond on one host), and the state is read again at
  least once every `PUSHED_MAX_AGE` seconds whatever happens. So a cache hit costs no round
  trip, which under load is what the read p99 was made of.
- Otherwise (a replica, a lost LISTEN) every request reads it. The query is tiny, and concurrent
  requests share one: a request waits for the next query that *starts after it arrived* (never
  one already in flight, which could predate a commit), so under load one query per round trip
  serves every waiting request.

Every answer to a request the cache handles says how it was made, CDN-style: `X-Cache: HIT` when
it came from a stored entry (a revalidation answered 304 from one included, and a request that
waited for another's render of the same page), `X-Cache: MISS` when the app rendered it. The
header is added as the answer is sent, never stored in an entry.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Generic, NamedTuple, Protocol, TypeVar
from urllib.parse import parse_qsl, urlencode

import anyio.to_thread
from sqlalchemy import Connection, Engine, Integer, bindparam, text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.db import UTCDateTime, get_read_engine, utcnow
from app.core.http import Representation, is_fresh
from app.core.listing import now as default_now
from app.core.surfaces import is_cacheable

MAX_BODY_BYTES = 2 * 1024 * 1024
# Headers a 304 leaves out: it describes the representation without carrying it.
BODY_HEADERS = {b"content-length", b"content-type", b"content-encoding"}
CONDITIONAL_HEADERS = {b"if-none-match", b"if-modified-since"}
HIT = (b"x-cache", b"HIT")
MISS = (b"x-cache", b"MISS")

# Written as SQL text because `core` imports no domain package; the tables are `counter` and
# `article` of the initial migration. `ix_article_scheduled` keeps the subquery to scheduled rows.
STATE_SQL = text(
    "SELECT c.value AS version, (SELECT min(a.published_at) FROM article a "
    " WHERE a.status = 'scheduled' AND a.published_at > :now AND a.deleted_at IS NULL) AS next_at,"
    " coalesce((SELECT value FROM counter WHERE name = 'change_seq'), 0) AS change_seq,"
    " coalesce((SELECT value FROM counter WHERE name = 'changelog_horizon'), 0) AS horizon"
    " FROM counter c WHERE c.name = 'content_version'"
).bindparams(bindparam("now", type_=UTCDateTime())).columns(
    version=Integer, next_at=UTCDateTime(), change_seq=Integer, horizon=Integer)
# The change log's `stale_key` (app/changelog/models.py): each version's stale Surrogate-Keys.
STALE_SQL = text(
    "SELECT version, key FROM stale_key WHERE version > :after AND version <= :upto")
EVERYTHING = "*"
# Seconds a state vouched for by the change listener is trusted without a notification.
PUSHED_MAX_AGE = 1.0
ENTRY_OVERHEAD = 600  # bytes an entry costs besides its body and headers (objects, key, dict)


class State(NamedTuple):
    """What a cached answer was rendered under. Public pages depend on the content version and
    the next scheduled publication; partners' pages also on the change log's head and horizon,
    which move without a content change (an embargoed article's edit, a partner's allowlist, a
    prune)."""

    version: int
    next_at: datetime | None
    change_seq: int
    horizon: int


def content_engine() -> Engine:
    """Where the content state is read: the read engine, which renders the responses, so an
    entry's state and its bytes come from one database. (On SQLite both engines open the same
    file; the read engine takes no write lock, and a new read transaction sees every commit.)"""
    return get_read_engine()


class Staleness:
    """What this process knows of the versions it has seen: the latest (`version`), the
    newest version each Surrogate-Key went stale at, and a `floor` below which every entry is
    stale. One thread updates it (the state reads run one at a time); requests only read it."""

    def __init__(self) -> None:
        self.version: int | None = None
        self.floor = 0
        self.keys: dict[str, int] = {}

    def catch_up(self, conn: Connection, version: int) -> None:
        """Learn the keys of the versions after the last one seen, up to `version` (read in
        the same connection, after it: every version up to it has committed with its keys)."""
        known = self.version
        if known == version:
            return
        if known is None or version < known:  # the first read, or a database put back
            self._drop_all(version)
        else:
            rows = conn.execute(STALE_SQL, {"after": known, "upto": version}).all()
            if len({v for v, _ in rows}) != version - known:  # pruned, or moved without keys
                self._drop_all(version)
            else:
                for v, key in rows:
                    if key == EVERYTHING:
                        self.floor = max(self.floor, v)
                    elif self.keys.get(key, -1) < v:
                        self.keys[key] = v
        self.version = version

    def _drop_all(self, version: int) -> None:
        self.floor = version
        self.keys = {k: v for k, v in self.keys.items() if v > version}

    def fresh(self, entry: Entry, state: State) -> bool:
        """Whether `entry` may answer a request that read `state`."""
        version = entry.state[0]
        if (entry.state[1] != state[1] or version < self.floor
                or self.version is None or version > self.version):
            return False
        if not entry.keys:  # it names nothing it shows: any move makes it stale
            return version == state[0]
        stale = self.keys
        return all(stale.get(key, -1) <= version for key in entry.keys)


def read_state(engine: Engine, now: datetime, staleness: Staleness | None = None) -> State:
    with engine.connect() as conn:
        row = conn.execute(STATE_SQL, {"now": now}).one()
        if staleness is not None:
            staleness.catch_up(conn, int(row.version))
    return State(int(row.version), row.next_at, int(row.change_seq), int(row.horizon))


class DataVersion:
    """SQLite's `PRAGMA data_version`, read on a connection of this cache's own: it changes
    whenever another connection, in any process, commits to the file, and reading it costs
    microseconds. While it stands still (and no scheduled article's time has come) the content
    state cannot have changed, so the state query runs only after commits."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Any = None

    @staticmethod
    def usable(engine: Engine) -> bool:
        # A memory database is one connection shared with the writers, whose own commits do
        # not move its data_version.
        return engine.dialect.name == "sqlite" and engine.url.database not in (None, "",
                                                                               ":memory:")

    def read(self) -> int | None:
        """The current data_version, or None when it cannot be read (then query)."""
        try:
            if self._connection is None:
                pooled = self._engine.raw_connection()
                pooled.detach()  # kept for good, outside the pool's count
                self._connection = pooled.dbapi_connection
            return int(self._connection.execute("PRAGMA data_version").fetchone()[0])
        except Exception:  # whatever failed, it only costs the shortcut
            self.close()
            return None

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()

    def __del__(self) -> None:  # an app (a test's) may go away; its connection with it
        self.close()


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
    route: str | None = None  # the matched route's template, for logs and metrics
    expires: datetime | None = None  # when the clock alone changes the answer (`Expires`)
    keys: tuple[str, ...] = ()  # its Surrogate-Keys: what it shows
    not_modified_headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    hit_headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    not_modified_hit_headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    size: int = 0  # bytes, roughly: what the LRU's bound counts

    def __post_init__(self) -> None:
        self.not_modified_headers = [(k, v) for k, v in self.headers if k not in BODY_HEADERS]
        # What a hit sends, made once per entry rather than once per hit.
        self.hit_headers = [*self.headers, HIT]
        self.not_modified_hit_headers = [*self.not_modified_headers, HIT]
        # The header lists share their byte strings: each counted once, plus the lists.
        self.size = (len(self.body) + sum(len(k) + len(v) + 100 for k, v in self.headers)
                     + 2 * 8 * len(self.headers) + ENTRY_OVERHEAD)


Stored = TypeVar("Stored")


@dataclass(slots=True)
class Flight(Generic[Stored]):
    """A render in progress: its content state, and what it stored (None if nothing)."""

    state: State
    done: asyncio.Future[Stored | None]


@dataclass(slots=True)
class Lookup:
    key: tuple[Any, ...]
    state: State
    entry: Entry | None


@dataclass(slots=True)
class Kept:
    """A caller's own answer (a partner's page), kept for its next identical request. Its route
    looks it up after authenticating and metering the request, so the edge never answers it."""

    state: State
    representation: Representation
    size: int = 0

    def __post_init__(self) -> None:
        # The gzip a client may ask for is kept with it (`respond`): about a quarter more.
        self.size = len(self.representation.body) * 5 // 4 + ENTRY_OVERHEAD


# What `own` renders on a miss.
Rendering = Callable[[], Awaitable[Representation]]


class Sized(Protocol):
    size: int


T = TypeVar("T", bound=Sized)


class LRU(Generic[T]):
    """Entries up to `max_bytes` in all (their `size`), the least recently used out first."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[tuple[Any, ...], T] = OrderedDict()

    def get(self, key: tuple[Any, ...]) -> T | None:
        entry = self._items.get(key)
        if entry is not None:
            self._items.move_to_end(key)
        return entry

    def put(self, key: tuple[Any, ...], entry: T) -> None:
        if entry.size > self.max_bytes:
            return
        old = self._items.pop(key, None)
        if old is not None:
            self.bytes -= old.size
        self._items[key] = entry
        self.bytes += entry.size
        while self.bytes > self.max_bytes:
            _, evicted = self._items.popitem(last=False)
            self.bytes -= evicted.size

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


class ResponseCache:
    """The entries and the content state of one process. `EdgeMiddleware` asks it first, so a
    hit is answered before routing, dependencies or any other middleware run."""

    def __init__(self, *, max_bytes: int, engine: Callable[[], Engine] = content_engine,
                 overrides: Mapping[Callable[..., Any], Callable[..., Any]] | None = None,
                 pushed: Callable[[], int | None] | None = None) -> None:
        self.entries: LRU[Entry] = LRU(max_bytes)
        # Partners' pages, on top: a quarter of the budget again.
        self.kept: LRU[Kept] = LRU(max_bytes // 4)
        self._keeping: dict[tuple[Any, ...], Flight[Kept]] = {}
        self.staleness = Staleness()
        # The clock is the app's `now` dependency, so overriding it moves the cache's time too.
        self._overrides = overrides if overrides is not None else {}
        self._engine = engine
        self.reader = SharedStateReader(self._fetch_state)
        self._flights: dict[tuple[Any, ...], Flight[Entry]] = {}
        self._pushed = pushed  # the change listener's generation, None while it hears nothing
        self._sqlite: bool | None = None  # whether data_version serves, once known
        self._data_version: DataVersion | None = None
        self._known: tuple[Hashable, State] | None = None  # (token, state read after it)

    def _now(self) -> datetime:
        # `now` itself is an async dependency; an override (tests) is a plain callable.
        override = self._overrides.get(default_now)
        return override() if override is not None else utcnow()

    def _fetch_state(self) -> State:
        return read_state(self._engine(), self._now(), self.staleness)

    @staticmethod
    def handles(scope: Scope) -> bool:
        path: str = scope["path"]
        return scope["method"] == "GET" and is_cacheable(path)

    def _token(self) -> Hashable | None:
        """What vouches that nothing committed since the state was read under the same token,
        if anything here can: SQLite's data_version; on PostgreSQL the change listener's
        generation while its LISTEN is live, with the current second (a state is trusted for
        `PUSHED_MAX_AGE` at most: the bound on what a silently dead connection could leave
        stale); else None: read the state."""
        if self._data_version is None and self._sqlite is None:
            engine = self._engine()
            self._sqlite = DataVersion.usable(engine)
            if self._sqlite:
                self._data_version = DataVersion(engine)
        if self._data_version is not None:
            return self._data_version.read()
        generation = self._pushed() if self._pushed is not None else None
        if generation is None:
            return None
        return generation, int(time.monotonic() // PUSHED_MAX_AGE)

    async def state(self) -> State:
        """The current content state: read from the database, unless a token (`_token`) shows
        no commit since the last read and no scheduled publication is due."""
        token = self._token()
        known = self._known
        if token is not None and known is not None and known[0] == token:
            next_at = known[1][1]
            if next_at is None or self._now() < next_at:
                return known[1]
        # Read after the token was taken: a commit in between shows as a new token next time.
        state = await self.reader.get()
        if token is not None:
            self._known = (token, state)
        return state

    async def lookup(self, scope: Scope) -> Lookup:
        """The entry for this request if it was rendered under the current content state."""
        key = cache_key(scope)
        state = await self.state()
        entry = self.entries.get(key)
        if entry is not None and entry.expires is not None and self._now() >= entry.expires:
            entry = None  # e.g. yesterday's "today": stale by the calendar, not by a write
        fresh = entry is not None and self.staleness.fresh(entry, state)
        return Lookup(key, state, entry if fresh else None)

    async def own(self, key: tuple[Any, ...], render: Rendering) -> tuple[Representation, bool]:
        """A caller's own answer (`key` names the caller, its view and the URL) and whether it
        was kept from an identical request under the current content state; else `render`ed
        (once for concurrent identical requests: the others wait for it) and kept."""
        state = await self.state()
        kept = self.kept.get(key)
        if kept is not None and kept.state == state:
            return kept.representation, True
        flight = self._keeping.get(key)
        if flight is not None and flight.state == state:
            shared = await asyncio.shield(flight.done)
            if shared is not None:
                return shared.representation, True
            return await render(), False  # its render failed: this one answers the error
        flight = self._keeping[key] = Flight(state, asyncio.get_running_loop().create_future())
        fresh: Kept | None = None
        try:
            # Kept under the state read before the render: a commit meanwhile makes it a miss.
            fresh = Kept(state, await render())
            self.kept.put(key, fresh)
        finally:
            if self._keeping.get(key) is flight:
                del self._keeping[key]
            flight.done.set_result(fresh)
        return fresh.representation, False

    async def answer(self, scope: Scope, entry: Entry, send: Send, *, hit: bool = True) -> None:
        """Answer from `entry`: a hit, or (`hit=False`) the render this request just made."""
        inm = _header(scope, b"if-none-match").decode("latin-1") or None
        ims = _header(scope, b"if-modified-since").decode("latin-1") or None
        if (inm or ims) and is_fresh(inm, ims, entry.tag, entry.last_modified):
            await send({"type": "http.response.start", "status": 304,
                        "headers": entry.not_modified_hit_headers if hit
                        else [*entry.not_modified_headers, MISS]})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": entry.hit_headers if hit else [*entry.headers, MISS]})
        await send({"type": "http.response.body", "body": entry.body})

    async def fill(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send,
                   lookup: Lookup) -> None:
        """Run `app` and store what it answers, if it is a public representation. Concurrent
        misses on one key under one content state wait for a single render (after a write,
        every reader of the front page misses at once) and are answered from its entry."""
        flight = self._flights.get(lookup.key)
        if flight is None:
            flight = self._flights[lookup.key] = Flight(
                lookup.state, asyncio.get_running_loop().create_future())
            entry = None
            try:
                await self._render(app, scope, receive, send, lookup)
                entry = self.entries.get(lookup.key)
            finally:
                if self._flights.get(lookup.key) is flight:
                    del self._flights[lookup.key]
                flight.done.set_result(entry if entry is not None and entry.state == lookup.state
                                       and self.staleness.fresh(entry, lookup.state) else None)
            return
        if flight.state == lookup.state:
            entry = await asyncio.shield(flight.done)
            if entry is not None:
                if entry.route:
                    scope.setdefault("state", {})["route_template"] = entry.route
                await self.answer(scope, entry, send)
                return
        # A render under another content state, or one that stored nothing: render this one.
        await self._render(app, scope, receive, send, lookup)

    async def _render(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send,
                      lookup: Lookup) -> None:
        if any(name in CONDITIONAL_HEADERS for name, _ in scope["headers"]):
            await self._fill_for_revalidation(app, scope, receive, send, lookup)
            return
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
                message = {**message, "headers": [*start["headers"], MISS]}
            elif message["type"] == "http.response.body" and storable:
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    storable = False
                    chunks.clear()
                else:
                    chunks.append(chunk)
                if not message.get("more_body", False) and storable and start is not None:
                    self._store(scope, lookup, start["headers"], b"".join(chunks))
            await send(message)

        await app(scope, receive, capture)

    async def _fill_for_revalidation(self, app: ASGIApp, scope: Scope, receive: Receive,
                                     send: Send, lookup: Lookup) -> None:
        """A revalidation (`If-None-Match`, `If-Modified-Since`) that misses: the app renders
        the full representation, without the request's validators, which is stored; the
        answer then comes from the entry (a 304 when they match), so the next revalidation of
        this resource is a hit instead of another render."""
        plain = {**scope, "headers": [(k, v) for k, v in scope["headers"]
                                      if k not in CONDITIONAL_HEADERS]}
        messages: list[Message] = []

        async def collect(message: Message) -> None:
            messages.append(message)

        await app(plain, receive, collect)
        if "route" in plain:  # for the access log and metrics, which read the outer scope
            scope["route"] = plain["route"]
        start = messages[0] if messages and messages[0]["type"] == "http.response.start" else None
        if start is not None and start["status"] == 200:
            headers = list(start.get("headers", []))
            body = b"".join(m.get("body", b"") for m in messages[1:]
                            if m["type"] == "http.response.body")
            entry = self._entry(scope, lookup, headers, body)
            if entry is not None:
                if _storable(headers) and len(body) <= MAX_BODY_BYTES:
                    self.entries.put(lookup.key, entry)
                # Judged on the request's validators.
                await self.answer(scope, entry, send, hit=False)
                return
        for message in messages:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), MISS]}
            await send(message)

    def _store(self, scope: Scope, lookup: Lookup, headers: list[tuple[bytes, bytes]],
               body: bytes) -> None:
        entry = self._entry(scope, lookup, headers, body)
        if entry is not None:
            self.entries.put(lookup.key, entry)

    @staticmethod
    def _entry(scope: Scope, lookup: Lookup, headers: list[tuple[bytes, bytes]],
               body: bytes) -> Entry | None:
        """An entry for a representation with an ETag; None without one."""
        tag: str | None = None
        last_modified = expires = None
        keys: tuple[str, ...] = ()
        for name, value in headers:
            if name == b"surrogate-key":
                keys = tuple(value.decode("latin-1").split())
            elif name == b"etag":
                tag = value.decode("latin-1").strip('"').removesuffix("-gz")
            elif name == b"last-modified":
                last_modified = parsedate_to_datetime(value.decode("latin-1"))
            elif name == b"expires":
                expires = parsedate_to_datetime(value.decode("latin-1"))
        if tag is None:
            return None
        # Routing has run by now: its template is kept so that a hit, answered before
        # routing, is logged and counted under the same route.
        route = getattr(scope.get("route"), "path_format", None)
        return Entry(lookup.state, list(headers), body, tag, last_modified, route, expires, keys)


def _storable(headers: list[tuple[bytes, bytes]]) -> bool:
    """Only public representations with a validator (what `respond()` makes) are stored."""
    has_etag = False
    for name, value in headers:
        if name == b"set-cookie" or (name == b"cache-control"
                                     and (b"private" in value or b"no-store" in value)):
            return False
        has_etag = has_etag or name == b"etag"
    return has_etag
