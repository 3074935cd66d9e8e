"""Commit to first webhook attempt: p50 and p95 (goal p95 <= 2 s).

    python -m bench.webhooks [--db sqlite|postgres] [--events 100] [--workers 2]

A fresh database, `khabar serve --workers N` and a receiver (uvicorn, 127.0.0.1) that records
when each message arrives. An editor publishes articles through the API one after another
(every `--interval` seconds); each publish's latency is the first arrival of its
`article.published` message minus the moment the publish request was *sent*: the commit lies
between that moment and the response, so the figure is an upper bound of commit-to-attempt.
Two set-ups:

* `in-process`: the default, a sender in every `khabar serve` process, woken by its own commits.
* `poll`: `khabar serve` with `KHABAR_WEBHOOK_WORKER=false` and one `khabar worker` beside it,
  which learns of the commits only by polling (`KHABAR_WEBHOOK_POLL_SECONDS`, 0.5 s).

Results also go to bench/results/<date>-webhooks-<db>-<commit>.json.
"""

# ruff: noqa: T201  (a command-line report: printing is its output)
from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.run import DEFAULT_PG, RESULTS, base_env, cpu_model, database, git_commit
from bench.servers import KHABAR, ROOT, checkout_env, free_port, khabar, khabar_server

EMAIL = "bench-webhooks@example.com"


class Receiver:
    def __init__(self) -> None:
        self.port = free_port()
        self.first: dict[str, float] = {}  # article id -> first arrival (perf_counter)

    async def hook(self, request: Request) -> Response:
        at = time.perf_counter()
        body = orjson.loads(await request.body())
        if body["type"] == "article.published":
            self.first.setdefault(body["data"]["id"], at)
        return Response(status_code=204)

    @contextmanager
    def running(self) -> Iterator[str]:
        app = Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                               log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.01)
        try:
            yield f"http://127.0.0.1:{self.port}/hook"
        finally:
            server.should_exit = True
            thread.join(5)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(env: dict[str, str], args: argparse.Namespace, mode: str) -> dict[str, Any]:
    receiver = Receiver()
    with ExitStack() as stack:
        hook_url = stack.enter_context(receiver.running())
        serve_env = {**env, "KHABAR_WEBHOOK_WORKER": "true" if mode == "in-process" else "false"}
        server = stack.enter_context(khabar_server("khabar", serve_env, args.workers,
                                                   cache=True))
        if mode == "poll":
            worker = subprocess.Popen([*KHABAR, "worker"], env=checkout_env(env), cwd=ROOT,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      start_new_session=True)
            stack.callback(lambda: (worker.terminate(), worker.wait(10)))
        client = stack.enter_context(httpx.Client(base_url=server.base, timeout=30))
        token = client.post("/v1/auth/token", data={
            "grant_type": "password", "username": EMAIL, "password": env["BENCH_PASSWORD"],
        }).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        created = client.post("/v1/editorial/webhooks", headers=auth, json={
            "url": hook_url, "events": ["article.published"]})
        created.raise_for_status()
        author = client.post("/v1/editorial/authors", headers=auth,
                             json={"name": f"Bench {mode} {secrets.token_hex(3)}"})
        author.raise_for_status()
        sent: dict[str, float] = {}
        for n in range(args.events):
            draft = client.post("/v1/editorial/articles", headers=auth, json={
                "title": f"Webhook bench {mode} {n}", "authors": [author.json()["slug"]],
                "body_text": "A paragraph."})
            draft.raise_for_status()
            article_id = draft.json()["id"]
            started = time.perf_counter()
            published = client.post(f"/v1/editorial/articles/{article_id}/publish",
                                    headers={**auth, "If-Match": draft.headers["etag"]})
            published.raise_for_status()
            sent[article_id] = started
            time.sleep(args.interval)
        deadline = time.monotonic() + 30
        while len(receiver.first) < len(sent) and time.monotonic() < deadline:
            time.sleep(0.05)
    latencies = [(receiver.first[a] - t) * 1000 for a, t in sent.items() if a in receiver.first]
    return {"mode": mode, "events": len(sent), "delivered": len(latencies),
            "p50_ms": round(percentile(latencies, 0.50), 1),
            "p95_ms": round(percentile(latencies, 0.95), 1),
            "max_ms": round(max(latencies), 1), "mean_ms": round(statistics.mean(latencies), 1)}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.webhooks", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG))
    p.add_argument("--events", type=int, default=100)
    p.add_argument("--interval", type=float, default=0.1, help="seconds between publishes")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--modes", default="in-process,poll")
    args = p.parse_args(argv)
    rows = []
    with database(args) as url:
        env = base_env(url)
        env["BENCH_PASSWORD"] = secrets.token_urlsafe(16)
        khabar(env, "db", "upgrade")
        khabar({**env, "KHABAR_PASSWORD": env["BENCH_PASSWORD"]}, "user", "create", EMAIL,
               "--role", "admin")
        for mode in args.modes.split(","):
            rows.append(run(env, args, mode))
    print(f"commit -> first webhook attempt ({args.db}, {args.workers} workers, "
          f"{args.events} publishes, upper bounds)")
    print(f"{'set-up':<12}{'delivered':>10}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for row in rows:
        print(f"{row['mode']:<12}{row['delivered']:>6}/{row['events']:<3}{row['p50_ms']:>9}"
              f"{row['p95_ms']:>9}{row['max_ms']:>9}")
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M")
    out = RESULTS / f"{stamp}-webhooks-{args.db}-{git_commit()[:12]}.json"
    out.write_text(json.dumps({"db": args.db, "workers": args.workers, "cpu": cpu_model(),
                               "commit": git_commit(), "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
