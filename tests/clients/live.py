"""A real uvicorn serving the app on a free 127.0.0.1 port, against the test's database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    # Generous: importing the app takes seconds, more on a busy CI machine.
    deadline = time.monotonic() + timeout
    # One client for every try: each new one loads the CA bundle (13 ms of CPU).
    with httpx.Client(timeout=1) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"{proc.args} exited with {proc.returncode} before answering {url}")
            try:
                if client.get(url).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


@contextmanager
def serving(command: list[str], base: str, health_path: str = "/healthz",
            **popen: Any) -> Iterator[str]:
    """Runs `command` (a server that will answer on `base`) until the block ends; yields `base`
    once `health_path` answers. Its output goes to a temporary file, quoted if it never answers."""
    with tempfile.TemporaryFile() as log:
        popen.setdefault("stdout", log)
        proc = subprocess.Popen(command, stderr=subprocess.STDOUT, **popen)
        try:
            try:
                wait_for(f"{base}{health_path}", proc)
            except (RuntimeError, TimeoutError) as exc:
                log.seek(0)
                output = log.read().decode(errors="replace")[-4000:]
                raise RuntimeError(f"{exc}\n{output}") from exc
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def live_api(database_url: str, *, redis_url: str | None = None, **env: str) -> Iterator[str]:
    """Yields the base URL (`http://127.0.0.1:<port>`) of `uvicorn app.asgi:app`. It uses Redis
    only when `redis_url` is given (never one inherited from the environment)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environ = {**os.environ, "DATABASE_URL": database_url, "KHABAR_PUBLIC_BASE_URL": base,
               "KHABAR_RATE_LIMIT_PUBLIC": "0", **env}
    environ.pop("REDIS_URL", None)
    if redis_url:
        environ["REDIS_URL"] = redis_url
    with serving([sys.executable, "-m", "uvicorn", "app.asgi:app", "--host", "127.0.0.1",
                  "--port", str(port), "--log-level", "warning"], base, cwd=REPO, env=environ):
        yield base


@contextmanager
def static_site(directory: Path) -> Iterator[str]:
    """`python -m http.server` serving `directory` on another free port: another origin."""
    port = free_port()
    with serving([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                  "--directory", str(directory)], f"http://127.0.0.1:{port}", "/") as base:
        yield base
