"""Request checks and the headers every answer carries; `EdgeMiddleware` (app/core/edge.py)
applies them in one layer. The body checks stay middleware: only requests with a body pass them."""

from __future__ import annotations

import re
from collections.abc import Awaitable

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import problem_response

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"cross-origin"),
]
API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
DOCS_CSP = (b"content-security-policy", b"frame-ancestors 'none'")  # Swagger UI runs scripts
DOCS_PATHS = ("/docs", "/redoc")


def nul_problem(scope: Scope) -> Response | None:
    """No URL this API serves contains NUL, and PostgreSQL text cannot hold one: refuse it
    before it reaches a query as a driver error. No resource has such a path (404); in a query
    it is an invalid value (422)."""
    if "\x00" in scope["path"]:
        return problem_response(404, detail="No resource has a NUL character in its path",
                                instance=scope["path"].replace("\x00", ""))
    if _has_nul(scope.get("query_string", b"")):
        return problem_response(422, detail="NUL characters are not allowed in the query",
                                instance=scope["path"], errors=[
                                    {"loc": ["query"], "msg": "NUL character in the query"}])
    return None


def _has_nul(query: bytes) -> bool:
    return b"%00" in query or b"\x00" in query


class BodyLimitMiddleware:
    """Refuse request bodies over the limit with 413, whether or not `Content-Length` is sent
    (uvicorn has no limit of its own, and chunked bodies carry no length)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        def too_large(scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
            return problem_response(413, detail=f"Request bodies are limited to {self.max_bytes} "
                                    "bytes", instance=scope["path"])(scope, receive, send)

        for key, value in scope["headers"]:
            if key == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.max_bytes or declared < 0:
                    await too_large(scope, receive, send)
                    return
        if _is_chunked(scope):
            # No length to check up front, and a route that never reads its body (a 404, a
            # 405, a GET) would not notice the excess: read it here, up to the limit.
            buffered = await _read_body(receive, self.max_bytes)
            if buffered is None:
                await too_large(scope, receive, send)
                return
            receive = _replay(buffered, receive)
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not response_started:
                await too_large(scope, receive, send)


def request_size_problem(scope: Scope, max_url_bytes: int, max_header_bytes: int,
                         max_header_field_bytes: int) -> Response | None:
    """A request target (path and query) over `max_url_bytes` is refused with 414, and header
    fields over `max_header_bytes` in all or `max_header_field_bytes` in one with 431, before any
    other work: a front proxy usually bounds both, but uvicorn alone bounds neither (httptools)
    or only loosely (h11), and every later step would otherwise parse them."""
    path = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string", b"")
    # The instance is cut short: echoing an oversized path back would defeat the point.
    if len(path) + len(query) + (1 if query else 0) > max_url_bytes:
        return problem_response(414, detail=(
            f"The request target (path and query) is limited to {max_url_bytes} bytes"),
            instance=scope["path"][:200])
    total = largest = 0
    for name, value in scope["headers"]:
        size = len(name) + len(value)
        total += size
        largest = max(largest, size)
    if total > max_header_bytes or largest > max_header_field_bytes:
        return problem_response(431, detail=(
            f"Request headers are limited to {max_header_bytes} bytes in all and "
            f"{max_header_field_bytes} bytes per field"), instance=scope["path"][:200])
    return None


# A NUL escape in JSON is a backslash-u0000 after an even number of backslashes; after an odd
# number the first backslash belongs to an escaped backslash, and the text is harmless.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_FORM_NUL = re.compile(rb"%00|\x00")


class NulBodyMiddleware:
    """Refuse request bodies that carry a NUL character with 422, as the query already is:
    PostgreSQL text cannot hold one (the write would fail as a 500), and SQLite would store it.
    Bodies are JSON or form-encoded, already bounded by `BodyLimitMiddleware` outside this."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        content_type = next((v for k, v in scope["headers"] if k == b"content-type"), b"").lower()
        nul = _FORM_NUL if b"form-urlencoded" in content_type else _JSON_NUL
        messages = await _read_body(receive, max_bytes=2**62) or []  # bounded outside
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        if b"\x00" in body or nul.search(body):
            await problem_response(422, detail="NUL characters are not allowed in the body",
                                   instance=scope["path"], errors=[
                                       {"loc": ["body"], "msg": "NUL character in the body"}],
                                   )(scope, receive, send)
            return
        await self.app(scope, _replay(messages, receive), send)


def _is_chunked(scope: Scope) -> bool:
    return any(k == b"transfer-encoding" and b"chunked" in v.lower() for k, v in scope["headers"])


async def _read_body(receive: Receive, max_bytes: int) -> list[Message] | None:
    """The request's body messages, or None once they pass `max_bytes`."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages  # a disconnect: let the app see it
        size += len(message.get("body", b""))
        if size > max_bytes:
            return None
        if not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


class _BodyTooLarge(StarletteHTTPException):
    # An HTTPException, so that FastAPI's body parsing re-raises it as is (it turns other
    # exceptions from `receive` into a 400) and the problem handler renders the 413.
    def __init__(self) -> None:
        super().__init__(413, "The request body is over the size limit")


def client_ip(scope: Scope, trusted_proxies: list[str]) -> str:
    """The caller's address; `X-Forwarded-For` is believed only from a trusted proxy."""
    peer = (scope.get("client") or ("unknown", 0))[0]
    if peer in trusted_proxies:
        for key, value in scope["headers"]:
            if key == b"x-forwarded-for":
                header: str = value.decode("latin-1")
                hops = [h.strip() for h in header.split(",") if h.strip()]
                for hop in reversed(hops):
                    if hop not in trusted_proxies:
                        return hop
    return str(peer)


class GZipExceptImages(GZipMiddleware):
    """gzip for feeds, docs and editorial answers; images (`/media/...`) are compressed
    already, and gzip would cost CPU on every request for nothing."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/media/"):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
