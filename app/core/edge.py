"""The one outer middleware: everything a request needs before and after the app, in one layer.

Each of these used to be a middleware of its own (request id and security headers, timing for the
access log and metrics, target and header sizes, CORS per surface, the per-IP rate limit, the body
limit, outage answers, the response cache). Every layer wrapped `send` again and cost more than a
cache hit itself, so they are steps of one pure ASGI callable now, in the order they had:

1. request id, then the checks that need no routing: NUL in the path or query (404/422), target
   and header sizes (414/431). These answers carry the request id and security headers, no CORS.
2. CORS for the surface (the Editorial API has its own policy); a preflight is answered here.
3. the per-IP limit of the Content API: cached answers count too, and a 429 carries CORS headers.
4. requests with a body go through the body limit (413) and the NUL-body check; a GET has none.
5. the response cache: a hit is answered here, before routing and dependencies; a miss is
   rendered by the app and stored.

A single `send` wrapper adds, to every answer: the rate-limit headers of any decision made during
the request (the partner limit is decided in a dependency; never on an answer a shared cache may
store), CORS headers (on public answers whether or not the request had an `Origin`, see
`app/core/shared_cache.py`), the request id and the security headers, with `Vary` merged.
Once the answer is sent, one access-log line and each observer (metrics) get
the route template, status and duration.
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
import time
from collections.abc import Sequence
from typing import Any

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.cache import ResponseCache
from app.core.config import Settings
from app.core.errors import (
    DATABASE_UNAVAILABLE,
    database_unavailable,
    problem_response,
    status_of_unhandled,
)
from app.core.logging import RequestObserver, access_log, redact_query, route_template
from app.core.middleware import (
    API_CSP,
    DOCS_CSP,
    DOCS_PATHS,
    REQUEST_ID,
    SECURITY_HEADERS,
    BodyLimitMiddleware,
    NulBodyMiddleware,
    client_ip,
    nul_problem,
    request_size_problem,
)
from app.core.ratelimit import STATE_KEY, RateLimiter
from app.core.shared_cache import (
    PER_CLIENT,
    merge_vary,
    normalize_accept_encoding,
    shared_cacheable,
)
from app.core.surfaces import is_editorial, is_public_content

UPLOAD_PATH = "/v1/editorial/media"
UPLOAD_FORM_OVERHEAD = 64 * 1024  # multipart boundaries and the text fields around the file
PUBLIC_ALLOW_HEADERS = ["If-None-Match", "If-Modified-Since", "X-Request-ID", "Authorization",
                        "X-API-Key"]
PUBLIC_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Link", "X-Request-ID", "RateLimit-Limit",
                         "RateLimit-Remaining", "RateLimit-Reset", "Retry-After"]


def surface_cors(settings: Settings) -> tuple[CORSMiddleware, CORSMiddleware]:
    """(public, editorial) CORS policies. Public reads default to any origin, without
    credentials; the Editorial API admits no cross-origin caller unless
    `KHABAR_EDITORIAL_CORS_ORIGINS` names its CMS. Starlette's middleware is used for its
    decisions only (`preflight_response`, `send`), never as a layer."""

    async def unused(_scope: Scope, _receive: Receive, _send: Send) -> None:
        raise RuntimeError("CORS policies are applied by EdgeMiddleware, not called as an app")

    public = CORSMiddleware(unused, allow_origins=settings.cors_origins,
                            allow_methods=["GET", "HEAD"], allow_headers=PUBLIC_ALLOW_HEADERS,
                            expose_headers=PUBLIC_EXPOSE_HEADERS, max_age=600)
    editorial = CORSMiddleware(unused, allow_origins=settings.editorial_cors_origins,
                               allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
                               allow_headers=["Authorization", "Content-Type", "If-Match",
                                              "X-Request-ID"],
                               expose_headers=["ETag", "Location", "X-Request-ID"],
                               allow_credentials=False, max_age=600)
    return public, editorial


def preflight_problem(cors: CORSMiddleware, request_headers: Headers, surface: str,
                      path: str) -> Response:
    """A refused preflight as a 400 problem naming what the policy does not allow (Starlette
    answers plain text, and on an any-origin policy still says `Access-Control-Allow-Origin: *`).
    Starlette has decided; this only explains, and sends no `Access-Control-*` header."""
    refused: list[str] = []
    if not cors.is_allowed_origin(request_headers["origin"]):
        refused.append("this origin")  # not echoed back, nor which origins are allowed
    method = request_headers["access-control-request-method"]
    if method not in cors.allow_methods:
        refused.append(f"the method {method[:20]!r} (allowed: {', '.join(cors.allow_methods)})")
    requested = request_headers.get("access-control-request-headers") or ""
    names = [h.strip() for h in requested.split(",") if h.strip()]
    bad = [h for h in names if h.lower() not in cors.allow_headers]
    if bad and not cors.allow_all_headers:
        refused.append(f"the header(s) {', '.join(repr(h[:40]) for h in bad[:5])}")
    if not refused:  # e.g. Access-Control-Request-Private-Network
        refused.append("this request")
    return problem_response(400, title="CORS preflight rejected", slug="cors-preflight-rejected",
                            detail=f"The {surface} CORS policy does not allow {'; '.join(refused)}",
                            instance=path)


# A random prefix per process and a counter: unique across processes, and no system call per
# request (os.urandom, as uuid4 uses, showed in profiles of the cache-hit path).
_request_prefix = os.urandom(8).hex()
_request_numbers = itertools.count(1)


def _new_prefix() -> None:  # a forked worker must not repeat its parent's ids
    global _request_prefix
    _request_prefix = os.urandom(8).hex()


os.register_at_fork(after_in_child=_new_prefix)


def new_request_id() -> str:
    """32 hex digits, as a uuid4's hex was."""
    return f"{_request_prefix}{next(_request_numbers) & 0xFFFFFFFFFFFFFFFF:016x}"


def _has_body(scope: Scope) -> bool:
    """Whether the request may carry a body: HTTP/1.1 frames one only with a Content-Length
    (other than 0) or chunked transfer coding."""
    for key, value in scope["headers"]:
        if (key == b"content-length" and value.strip() != b"0") or key == b"transfer-encoding":
            return True
    return False


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, *, settings: Settings, limiter: RateLimiter,
                 cache: ResponseCache | None,
                 observers: Sequence[RequestObserver] = ()) -> None:
        self.app = app
        self.cache = cache
        self.limiter = limiter
        self.observers = tuple(observers)
        self.trusted_proxies = settings.trusted_proxies
        self.size_limits = (settings.max_url_bytes, settings.max_header_bytes,
                            settings.max_header_field_bytes)
        self.public_cors, self.editorial_cors = surface_cors(settings)
        # What a public answer carries so that a shared cache may replay it to any origin: the
        # any-origin policy's headers whether or not the request had an `Origin` (they are the
        # same either way), or `Vary: Origin` when the answer depends on it.
        public = self.public_cors
        self.public_shared: list[tuple[bytes, bytes]] = (
            [(k.lower().encode(), v.encode()) for k, v in public.simple_headers.items()]
            if public.allow_all_origins else [(b"vary", b"Origin")])
        self.public_vary: list[tuple[bytes, bytes]] = (
            [] if public.allow_all_origins else [(b"vary", b"Origin")])
        # Bodies are bounded first, then checked for NUL; the cache (for a GET that sends a
        # body anyway) sits inside both, as it always did.
        inner: ASGIApp = app if cache is None else functools.partial(self._cached, app)
        self.with_body = BodyLimitMiddleware(NulBodyMiddleware(inner),
                                             max_bytes=settings.max_body_bytes)
        self.without_body = inner
        # Image uploads: bounded by the upload limit instead, and binary (NUL bytes are data).
        self.upload = BodyLimitMiddleware(inner, max_bytes=settings.max_upload_bytes
                                          + UPLOAD_FORM_OVERHEAD)

    async def _cached(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        cache = self.cache
        assert cache is not None
        if scope["type"] != "http" or not cache.handles(scope):
            await app(scope, receive, send)
            return
        lookup = await cache.lookup(scope)
        if lookup.entry is None:
            await cache.fill(app, scope, receive, send, lookup)
            return
        if lookup.entry.route:
            scope.setdefault("state", {})["route_template"] = lookup.entry.route
        await cache.answer(scope, lookup.entry, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started_at = time.perf_counter()
        state = scope.setdefault("state", {})
        incoming = ""
        for key, value in scope["headers"]:
            if key == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if REQUEST_ID.match(incoming) else new_request_id()
        state["request_id"] = request_id
        path: str = scope["path"]
        normalized = normalize_accept_encoding(scope["headers"])
        if normalized is not None:
            scope["headers"] = normalized
        closing = [(b"x-request-id", request_id.encode()), *SECURITY_HEADERS,
                   DOCS_CSP if path.startswith(DOCS_PATHS) else API_CSP]
        status = 500
        started = False
        cors: CORSMiddleware | None = None
        request_headers: Headers | None = None
        public_cors: list[tuple[bytes, bytes]] = []

        async def merged_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = merge_vary(message["headers"])
            await send(message)

        async def edge_send(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                headers = [(k, v) for k, v in message.get("headers", ()) if k != b"server"]
                decided = state.get(STATE_KEY)
                if shared_cacheable(status, headers):
                    # Counters are one client's: a shared cache would replay them to all.
                    headers = [(k, v) for k, v in headers if k not in PER_CLIENT]
                elif decided:
                    names = {k.lower().encode() for k, _ in decided}
                    headers = [(k, v) for k, v in headers if k not in names]
                    headers.extend((k.lower().encode(), v.encode()) for k, v in decided)
                headers.extend(closing)
                headers.extend(public_cors)
                message = {**message, "headers": headers}  # never edit a message in place
                if cors is not None and request_headers is not None:
                    await cors.send(message, merged_send, request_headers)
                    return
                message["headers"] = merge_vary(headers)
            await send(message)

        try:
            early = nul_problem(scope) or request_size_problem(scope, *self.size_limits)
            if early is not None:
                await early(scope, receive, edge_send)
                return
            if any(k == b"origin" for k, _ in scope["headers"]):
                request_headers = Headers(scope=scope)
                cors = (self.editorial_cors if is_editorial(path)
                        else self.public_cors)
                if (scope["method"] == "OPTIONS"
                        and "access-control-request-method" in request_headers):
                    preflight = cors.preflight_response(request_headers)
                    if preflight.status_code >= 400:
                        surface = "Editorial API" if cors is self.editorial_cors else "public API"
                        preflight = preflight_problem(cors, request_headers, surface, path)
                    cors = None
                    await preflight(scope, receive, edge_send)
                    return
            if not is_editorial(path):
                public_cors = self.public_shared if cors is None else self.public_vary
            if await self._rate_limited(scope, receive, edge_send, state):
                return
            app = self.with_body if _has_body(scope) else self.without_body
            if app is self.with_body and path == UPLOAD_PATH and scope["method"] == "POST":
                app = self.upload
            await app(scope, receive, edge_send)
        except DATABASE_UNAVAILABLE as exc:
            # The app's handlers answer outages inside routes; this one is for the cache's
            # state query, outside them. Re-raised answers would cost the client its
            # keep-alive connection and fill the log with tracebacks.
            if started:
                status = status_of_unhandled(exc)
                raise
            await database_unavailable(path, exc)(scope, receive, edge_send)
        except Exception as exc:
            status = status_of_unhandled(exc)
            raise
        finally:
            self._record(scope, status, time.perf_counter() - started_at)

    async def _rate_limited(self, scope: Scope, receive: Receive, send: Send,
                            state: dict[str, Any]) -> bool:
        """Counts a Content API request against its client's limit; answers 429 past it."""
        item = self.limiter.public
        path: str = scope["path"]
        if item is None or not is_public_content(path):
            return False
        decision = await self.limiter.check(item, "ip", client_ip(scope, self.trusted_proxies))
        if decision is None:
            return False
        if decision.allowed:
            state[STATE_KEY] = decision.headers()
            return False
        exc = decision.error("Too many requests from this address; slow down")
        await problem_response(429, title=exc.title, detail=exc.detail, instance=path,
                               slug=exc.slug, headers=exc.headers)(scope, receive, send)
        return True

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = scope["state"].get("route_template") or route_template(scope)
        if access_log.isEnabledFor(logging.INFO):
            query = scope.get("query_string", b"").decode("latin-1")
            access_log.info(
                "%s %s %s", scope["method"], route, status,
                extra={
                    "request_id": scope["state"].get("request_id"),
                    "method": scope["method"],
                    "route": route,
                    "path": scope["path"],
                    "query": redact_query(query) if query else None,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "client_ip": client_ip(scope, self.trusted_proxies),
                },
            )
        for observe in self.observers:
            observe(scope["method"], route, status, seconds)

