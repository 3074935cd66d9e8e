"""uvicorn's HTTP protocol with a deadline for request headers.

uvicorn arms its keep-alive timer only after a response, and cancels it as soon as any byte
arrives: a client that opens connections and sends headers a byte at a time, or never finishes
them (slowloris), kept each connection, and its slot, for ever. Here every request's headers
must be complete within `KHABAR_HEADER_TIMEOUT` seconds of its first byte (of the connection,
for the first request); otherwise the connection is closed.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.core.config import get_settings


class HeaderTimeoutProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = get_settings().header_timeout
        self.header_timer: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        if self.header_timer is None:
            self.header_timer = self.loop.call_later(self.header_timeout, self._headers_late)

    def _disarm(self) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def _headers_late(self) -> None:
        self.header_timer = None
        self.logger.info("closing a connection whose request headers took over %s s",
                         self.header_timeout)
        self.transport.close()

    # uvicorn's base takes any BaseTransport; a TCP server gives a Transport
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()  # the next request on a kept-alive connection

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)
