"""A real webhook receiver: a small ASGI app served by uvicorn on a free 127.0.0.1 port, in a
thread. Each path (`/hooks/<name>`) answers from its script of responses, then 200; every
request is recorded with its headers, body and arrival time."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.clients.live import free_port


@dataclass
class Received:
    name: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class Receiver:
    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    scripts: dict[str, list[tuple[int, dict[str, str]]]] = field(
        default_factory=lambda: defaultdict(list))
    delay: float = 0.0

    def url(self, name: str = "main") -> str:
        return f"http://127.0.0.1:{self.port}/hooks/{name}"

    def answer(self, name: str, *responses: tuple[int, dict[str, str]]) -> None:
        """The next responses of `/hooks/<name>`, in order (then 200s)."""
        self.scripts[name].extend(responses)

    def of(self, name: str = "main") -> list[Received]:
        return [r for r in list(self.received) if r.name == name]

    def wait_for(self, condition: Callable[[list[Received]], bool], name: str = "main",
                 seconds: float = 15.0) -> list[Received]:
        deadline = time.monotonic() + seconds
        while True:
            got = self.of(name)
            if condition(got):
                return got
            if time.monotonic() > deadline:
                raise AssertionError(f"receiver {name!r} got {[r.json for r in got]}")
            time.sleep(0.02)

    async def _hook(self, request: Request) -> Response:
        name = request.path_params["name"]
        body = await request.body()
        self.received.append(Received(name, dict(request.headers), body, time.monotonic()))
        if self.delay:
            time.sleep(self.delay)  # a slow receiver (blocks this server's loop, on purpose)
        script = self.scripts[name]
        status, headers = script.pop(0) if script else (200, {})
        return Response(status_code=status, headers=headers)

    def serve(self) -> uvicorn.Server:
        app = Starlette(routes=[Route("/hooks/{name}", self._hook, methods=["POST"])])
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                               log_level="warning", lifespan="off"))
        threading.Thread(target=server.run, daemon=True).start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "the receiver did not start"
            time.sleep(0.01)
        return server
