"""Servers a fault test may stop and start: a private PostgreSQL cluster (and a streaming
replica of it) and a private Redis on free ports in temporary directories (never the shared ones
on 5432/6379), and a live `khabar serve` whose log the test reads afterwards.

Each is a context manager that kills what it started and removes its directory, even when the
test fails half-way.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import redis
from sqlalchemy import create_engine, text

from tests.clients.live import REPO, free_port, wait_for

PG_BIN = Path("/usr/lib/postgresql/15/bin")
KHABAR = Path(sys.executable).parent / "khabar"


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {seconds} s")
        time.sleep(0.05)


def _as_postgres(*args: str | Path) -> None:
    # We run as root and PostgreSQL refuses to; its binaries run as the postgres user.
    done = subprocess.run(["runuser", "-u", "postgres", "--", *map(str, args)],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"{Path(str(args[0])).name} failed: {done.stderr or done.stdout}")


@dataclass
class PrivatePostgres:
    root: Path
    port: int

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        _as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.root / "server.log", "-w",
                     "-t", "60", "-o",
                     f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1", "start")

    def stop(self, mode: str = "fast") -> None:
        _as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def create_database(self, name: str) -> str:
        admin = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        return self.url(name)


@contextmanager
def _started(root: Path) -> Iterator[PrivatePostgres]:
    """The cluster in `root`, started on a free port, stopped afterwards."""
    server = PrivatePostgres(root, free_port())
    server.start()
    try:
        yield server
    finally:
        if server.running():
            server.stop("immediate")


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL 15 cluster of our own (trust auth, 127.0.0.1 only), started."""
    if not (PG_BIN / "pg_ctl").exists():
        raise RuntimeError(f"PostgreSQL 15 server binaries are missing from {PG_BIN}: "
                           "install the Debian package postgresql-15")
    root = Path(tempfile.mkdtemp(prefix="khabar-pg-"))
    try:
        shutil.chown(root, "postgres")
        _as_postgres(PG_BIN / "initdb", "-D", root / "data", "-A", "trust", "-U", "postgres",
                     "-E", "UTF8", "--no-sync")
        with _started(root) as server:
            yield server
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def private_replica(primary: PrivatePostgres,
                    timeout: float = 30) -> Iterator[PrivatePostgres]:
    """A hot standby of `primary` (a `private_postgres()`), streaming from it, started. initdb's
    pg_hba.conf already lets the superuser replicate over 127.0.0.1 (trust), and PostgreSQL 15's
    defaults (wal_level=replica, max_wal_senders=10) need nothing more."""
    root = Path(tempfile.mkdtemp(prefix="khabar-pg-replica-"))
    try:
        shutil.chown(root, "postgres")
        # -R writes standby.signal and primary_conninfo; -c fast skips the checkpoint wait.
        _as_postgres(PG_BIN / "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port),
                     "-U", "postgres", "-D", root / "data", "-R", "-X", "stream", "-c", "fast",
                     "--no-sync")
        with _started(root) as server:
            _wait_streaming(server, timeout)
            yield server
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _wait_streaming(replica: PrivatePostgres, timeout: float) -> None:
    engine = create_engine(replica.url(), isolation_level="AUTOCOMMIT")
    deadline = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as conn:
                recovering = conn.execute(text("SELECT pg_is_in_recovery()")).scalar()
                status = conn.execute(text("SELECT status FROM pg_stat_wal_receiver")).scalar()
            if recovering and status == "streaming":
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the replica on port {replica.port} is not streaming "
                                   f"(in recovery: {recovering}, receiver: {status})")
            time.sleep(0.05)
    finally:
        engine.dispose()


@dataclass
class PrivateRedis:
    root: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.root)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 30
        try:
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(
                            f"redis-server on port {self.port} did not start") from None
                    time.sleep(0.05)
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL: Redis vanishes the way a crashed or OOM-killed one does."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        raise RuntimeError("redis-server is missing: install the Debian package redis-server")
    server = PrivateRedis(Path(tempfile.mkdtemp(prefix="khabar-redis-")), free_port())
    try:
        server.start()
        yield server
    finally:
        server.kill()
        shutil.rmtree(server.root, ignore_errors=True)


@dataclass
class LiveServer:
    base_url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def live_server(database_url: str, *, workers: int = 1, **env: str) -> Iterator[LiveServer]:
    """`khabar serve` (production logging, `workers` processes) on a free port. REDIS_URL only
    when given in `env`; the public rate limit is off unless `env` sets it."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environ = {**os.environ, "DATABASE_URL": database_url, "KHABAR_PUBLIC_BASE_URL": base,
               "KHABAR_RATE_LIMIT_PUBLIC": "0", "KHABAR_LOG_LEVEL": "warning", **env}
    if "REDIS_URL" not in env:
        environ.pop("REDIS_URL", None)
    root = Path(tempfile.mkdtemp(prefix="khabar-live-"))
    log_path = root / "server.log"
    try:
        with log_path.open("wb") as log:
            # A session of its own, so the workers can be ended with their supervisor.
            proc = subprocess.Popen(
                [str(KHABAR), "serve", "--host", "127.0.0.1", "--port", str(port),
                 "--workers", str(workers)],
                cwd=REPO, env=environ, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
            try:
                try:
                    wait_for(f"{base}/healthz", proc)
                except (RuntimeError, TimeoutError) as exc:
                    tail = log_path.read_text(errors="replace")[-4000:]
                    raise RuntimeError(f"{exc}\n{tail}") from exc
                yield LiveServer(base, log_path)
            finally:
                _end_group(proc)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _end_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group (a graceful stop), then SIGKILL to whatever of it
    is left: a worker must not outlive the test."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
