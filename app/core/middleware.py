"""Pure ASGI middleware: request ids, security headers, body size limit."""

from __future__ import annotations

import re
import uuid
from typing import Any

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import problem_response

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"cross-origin"),
]
API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
DOCS_PATHS = ("/docs", "/redoc")


class RequestContextMiddleware:
    """Echo a sane `X-Request-ID` (or make one) and add the security headers of a JSON API."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"),
                        "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        is_docs = scope["path"].startswith(DOCS_PATHS)
        app = self.app
        # No URL this API serves contains NUL, and PostgreSQL text cannot hold one: refuse it
        # here rather than let it reach a query as a driver error. No resource has such a path
        # (404); in a query it is an invalid value (422).
        if "\x00" in scope["path"]:
            app = problem_response(404, detail="No resource has a NUL character in its path",
                                   instance=scope["path"].replace("\x00", ""))
        elif _has_nul(scope.get("query_string", b"")):
            app = problem_response(422, detail="NUL characters are not allowed in the query",
                                   instance=scope["path"], errors=[
                                       {"loc": ["query"], "msg": "NUL character in the query"}])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"server"]
                headers.append((b"x-request-id", request_id.encode()))
                headers.extend(SECURITY_HEADERS)
                if not is_docs:
                    headers.append(API_CSP)
                else:
                    headers.append((b"content-security-policy", b"frame-ancestors 'none'"))
                message = {**message, "headers": headers}  # never edit a message in place
            await send(message)

        await app(scope, receive, send_with_headers)


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
        too_large = problem_response(413, detail=f"Request bodies are limited to {self.max_bytes} bytes",
                                     instance=scope["path"])
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


def client_ip(scope: dict[str, Any], trusted_proxies: list[str]) -> str:
    """The caller's address; `X-Forwarded-For` is believed only from a trusted proxy."""
    peer = (scope.get("client") or ("unknown", 0))[0]
    if peer in trusted_proxies:
        for key, value in scope["headers"]:
            if key == b"x-forwarded-for":
                hops = [h.strip() for h in value.decode("latin-1").split(",") if h.strip()]
                for hop in reversed(hops):
                    if hop not in trusted_proxies:
                        return hop
    return str(peer)
