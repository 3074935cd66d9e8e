"""HTTP semantics the routes should not each handle: `HEAD` and `Accept-Encoding` weights.

- `HEAD` on a GET route answers as GET would, headers included (`Content-Length`, `ETag`), with no
  body (RFC 9110 9.3.2); FastAPI routes declare GET alone, so without this HEAD was a 405.
- `Accept-Encoding` is reduced to the codings the client accepts: `gzip;q=0` means "not gzip"
  (RFC 9110 12.5.3), and everything downstream (our own gzip, Starlette's GZipMiddleware, the
  response cache's key) only asks whether "gzip" is in the header.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def accepted_codings(header: str) -> list[str]:
    """The content codings of an `Accept-Encoding` value with a weight above 0, in order."""
    out = []
    for part in header.split(","):
        coding, *params = (p.strip() for p in part.split(";"))
        if not coding:
            continue
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value.strip())
                except ValueError:
                    weight = 0.0  # an unreadable weight is not consent
        if weight > 0:
            out.append(coding.lower())
    return out


class HttpSemanticsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        for name, value in headers:
            if name == b"accept-encoding":
                kept = ", ".join(accepted_codings(value.decode("latin-1"))).encode("latin-1")
                headers = [(n, kept if n == b"accept-encoding" else v) for n, v in headers]
                scope = {**scope, "headers": headers}
                break
        if scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)
