"""A small mixed load: threads, each with its own HTTP connection, repeating one action until
told to stop, recording every outcome (an answer, or the transport error instead of one)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from types import TracebackType
from typing import Any

import httpx

# One request: the thread's client and the thread's running count (for unique titles, IPs).
Action = Callable[[httpx.Client, int], httpx.Response]


@dataclass(frozen=True)
class Outcome:
    action: str
    started: float  # time.monotonic()
    seconds: float
    status: int | None  # None: no answer at all (refused, reset, timed out)
    headers: httpx.Headers
    text: str
    error: str | None = None

    @property
    def ended(self) -> float:
        return self.started + self.seconds

    def json(self) -> Any:
        # `text` is already decoded: `headers` may still say gzip, so no new Response from them.
        return json.loads(self.text)


def send(action: str, request: Callable[[], httpx.Response]) -> Outcome:
    started = time.monotonic()
    try:
        response = request()
    except httpx.HTTPError as exc:
        return Outcome(action, started, time.monotonic() - started, None, httpx.Headers(), "",
                       f"{type(exc).__name__}: {exc}")
    return Outcome(action, started, time.monotonic() - started, response.status_code,
                   response.headers, response.text)


class Load:
    """`with Load(base_url, {"read": action, ...}, threads_per_action=2) as load:` runs until the
    block ends; `load.outcomes` then holds every request made."""

    def __init__(self, base_url: str, actions: dict[str, Action], *,
                 threads_per_action: int = 1, timeout: float = 30, pause: float = 0.01) -> None:
        self.base_url = base_url
        self.actions = actions
        self.threads_per_action = threads_per_action
        self.timeout = timeout
        self.pause = pause  # keeps a shared 2-core machine usable while the load runs
        self.outcomes: list[Outcome] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _run(self, name: str, action: Action) -> None:
        with httpx.Client(base_url=self.base_url, timeout=self.timeout) as client:
            count = 0
            while not self._stop.is_set():
                count += 1
                outcome = send(name, partial(action, client, count))
                with self._lock:
                    self.outcomes.append(outcome)
                time.sleep(self.pause)

    def __enter__(self) -> Load:
        self._threads = [threading.Thread(target=self._run, args=(name, action), daemon=True)
                         for name, action in self.actions.items()
                         for _ in range(self.threads_per_action)]
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, _type: type[BaseException] | None, _exc: BaseException | None,
                 _tb: TracebackType | None) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.timeout + 5)

    def of(self, *actions: str, after: float = 0.0, before: float = float("inf")) -> list[Outcome]:
        """Outcomes of these actions (all when none named) started in [after, before)."""
        with self._lock:
            return [o for o in self.outcomes
                    if (not actions or o.action in actions) and after <= o.started < before]


def server_errors(outcomes: Sequence[Outcome]) -> list[str]:
    """A line per outcome that is a 5xx or no answer at all, for assertion messages."""
    return [f"{o.action}: {o.status or o.error} {o.text[:200]}" for o in outcomes
            if o.status is None or o.status >= 500]
