"""Processes the harness starts and stops: `khabar` commands, servers, wrk."""

# ruff: noqa: T201  (a command-line report: printing is its output)
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

ROOT = Path(__file__).resolve().parents[1]
LUA = Path(__file__).with_name("latency.lua")
# `khabar` from this checkout: the venv's console script imports whichever tree was installed
# into it (an editable install of another worktree, say), so the harness runs the CLI's `main`
# with this checkout on the path, for the command and for the workers it spawns. `-P`: not the
# working directory first (`-c` puts it there), so that a tree `env` names on PYTHONPATH
# (bench.search --compare) is the one imported.
KHABAR = [sys.executable, "-P", "-c", "import sys; sys.argv[0] = 'khabar'; "
          "from app.cli import main; main()"]


def checkout_env(env: Mapping[str, str]) -> dict[str, str]:
    """`env` with this checkout on PYTHONPATH, after any tree `env` names there."""
    path = env.get("PYTHONPATH")
    return {**env, "PYTHONPATH": (path + os.pathsep if path else "") + str(ROOT)}


def khabar(env: Mapping[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([*KHABAR, *args], env=checkout_env(env), cwd=ROOT, input=stdin,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"khabar {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("installing wrk (apt-get install -y wrk)", file=sys.stderr)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    if subprocess.run(["apt-get", "install", "-y", "wrk"], check=False, **quiet).returncode:
        subprocess.run(["apt-get", "update"], check=False, **quiet)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, **quiet)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is not installed and apt-get could not install it")
    return found


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _wait_ready(server: Server, path: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}")
        try:
            if httpx.get(server.base + path, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} did not answer {path} within {timeout:.0f} s")


@contextmanager
def serving(name: str, argv: list[str], env: Mapping[str, str], port: int,
            ready_path: str, log: IO[bytes] | None = None) -> Iterator[Server]:
    # A process group of its own, so stopping it stops uvicorn's workers too. `log` receives
    # the server's stderr: a long run must not leave it in a pipe nobody reads (a full pipe
    # blocks the server's next log line).
    process = subprocess.Popen(argv, env=checkout_env(env), cwd=ROOT, start_new_session=True,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE if log is None else log)
    server = Server(name, port, process)
    try:
        _wait_ready(server, ready_path)
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def khabar_server(name: str, env: Mapping[str, str], workers: int, *,
                  cache: bool, log: IO[bytes] | None = None) -> AbstractContextManager[Server]:
    port = free_port()
    env = {**env, "KHABAR_RESPONSE_CACHE": "true" if cache else "false"}
    return serving(name, [*KHABAR, "serve", "--host", "127.0.0.1", "--port", str(port),
                          "--workers", str(workers)], env, port, "/healthz", log=log)


def ceiling_server(env: Mapping[str, str], workers: int,
                   sample: Path) -> AbstractContextManager[Server]:
    port = free_port()
    env = {**env, "BENCH_PORT": str(port), "BENCH_WORKERS": str(workers),
           "BENCH_SAMPLE": str(sample)}
    return serving("ceiling", [sys.executable, "-m", "bench.ceiling"], env, port, "/raw")


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    requests: int
    errors: int


def wrk(url: str, *, duration: float, threads: int, connections: int,
        headers: Mapping[str, str] | None = None) -> WrkResult:
    argv = [ensure_wrk(), f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s",
            "-s", str(LUA)]
    for key, value in (headers or {}).items():
        argv += ["-H", f"{key}: {value}"]
    out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    seconds = data["duration_us"] / 1e6
    return WrkResult(rps=data["requests"] / seconds if seconds else 0.0,
                     p50_ms=data["p50_us"] / 1000, p95_ms=data["p95_us"] / 1000,
                     p99_ms=data["p99_us"] / 1000,
                     requests=data["requests"],
                     errors=data["status_errors"] + data["socket_errors"])
