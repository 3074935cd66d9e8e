"""Resident memory of a server's worker processes, read from /proc (Linux)."""

from __future__ import annotations

from pathlib import Path

PROC = Path("/proc")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in (PROC / str(pid) / "task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return found


def _cmdline(pid: int) -> str:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(
            errors="replace")
    except OSError:
        return ""


def rss_mb(pid: int) -> float | None:
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def worker_pids(root: int) -> list[int]:
    """The processes that serve requests: uvicorn's spawned workers under the supervisor, or
    the server process itself when it runs a single worker (no children). multiprocessing's
    resource tracker is not a worker."""
    workers, stack = [], [root]
    while stack:
        pid = stack.pop()
        kids = [k for k in _children(pid) if "resource_tracker" not in _cmdline(k)]
        stack += kids
        if pid != root and "spawn_main" in _cmdline(pid):
            workers.append(pid)
    return sorted(workers) or [root]


def worker_rss(root: int) -> list[float]:
    """RSS in MB of each worker, in pid order."""
    return [round(m, 1) for m in (rss_mb(p) for p in worker_pids(root)) if m is not None]
