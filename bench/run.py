"""`make bench`: load a deterministic corpus, serve it with `khabar serve`, drive it with wrk and
print req/s, p50 and p99 per scenario next to the framework's raw and encoded ceilings.

    python -m bench.run [--db sqlite|postgres] [--articles 10000] [--duration 10]
                        [--workers 2 | --workers 1,2,4] [--only search,changes]

The scenario table runs with 2 workers (or the one count given); with several counts
(`--workers 1,2,4`) a scaling table follows: list throughput (cache on and off) and the raw
ceiling per worker count, with each worker's resident memory. Besides wrk's figures (64
connections) it reports search latency from one client (p50/p95/p99 over varied queries, the
response cache off) and a walk of the whole change feed with the workers' memory before and
after it. `--only` picks scenario groups: {groups}.

Results also go to bench/results/<date>-<db>-<commit>.json with the CPU model and the commit.
"""

# ruff: noqa: T201  (a command-line report: printing is its output)
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.procs import worker_rss
from bench.servers import (
    ROOT,
    Server,
    WrkResult,
    ceiling_server,
    ensure_wrk,
    khabar,
    khabar_server,
    wrk,
)

RESULTS = Path(__file__).with_name("results")
GROUPS = ("list", "detail", "revalidation", "cursor", "search", "briefs", "changes", "feeds",
          "mixed", "scaling")
# The one-client search probe: common and rare words of the demo corpus, English and Nepali,
# one to three words; each is asked in turn.
SEARCH_QUERIES = ["budget", "kathmandu", "hydropower project", "monsoon preparations",
                  "school reform", "election commission", "सरकार", "बजेट विकास",
                  "nuclear peace", "pokhara airport upgrade", "tourism", "supreme court delays"]
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BENCH_EMAIL = "bench@example.com"


@dataclass
class Row:
    scenario: str
    rps: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    errors: int = 0
    raw_ratio: float | None = None
    encoded_ratio: float | None = None
    note: str = ""


@dataclass
class Report:
    db: str
    articles: int
    duration: float
    workers: list[int]
    commit: str
    cpu: str
    date: str
    load_seconds: float = 0.0
    load_rate: float = 0.0  # articles/s of the whole CLI run, start-up included
    load_rate_loader: float = 0.0  # what `khabar demo load` reports: the load itself
    rows: list[Row] = field(default_factory=list)
    rss_mb: dict[str, list[float]] = field(default_factory=dict)  # per worker, after the runs
    search_latency: dict[str, Any] = field(default_factory=dict)
    change_walk: dict[str, Any] = field(default_factory=dict)
    scaling: list[dict[str, Any]] = field(default_factory=list)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.format(
                                    groups=", ".join(GROUPS)),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG),
                   help="an admin URL; the harness creates and drops its own database")
    p.add_argument("--articles", type=int, default=10_000)
    p.add_argument("--duration", type=float, default=10.0, help="seconds per scenario")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds before each scenario")
    p.add_argument("--workers", default="2", help="2, or a list such as 1,2,4 (scaling mode)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--write-rate", type=float, default=5.0, help="PATCHes/s in the mixed run")
    p.add_argument("--only", default=",".join(GROUPS),
                   help=f"comma-separated scenario groups (default all): {', '.join(GROUPS)}")
    p.add_argument("--search-requests", type=int, default=300,
                   help="requests in the one-client search latency probe")
    args = p.parse_args(argv)
    args.groups = {g.strip() for g in args.only.split(",") if g.strip()}
    unknown = args.groups - set(GROUPS)
    if unknown:
        p.error(f"unknown --only groups: {', '.join(sorted(unknown))}")
    return args


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()} x{os.cpu_count()}"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()} x{os.cpu_count()}"


def git_commit() -> str:
    done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    return done.stdout.strip() or "unknown"


@contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    if args.db == "sqlite":
        folder = ROOT / "var" / "bench"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"bench-{stamp}-{os.getpid()}.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = make_url(args.pg_url)
    name = f"khabar_bench_{stamp}_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def base_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHABAR_")}
    env.update(DATABASE_URL=url, KHABAR_LOG_LEVEL="warning", KHABAR_RATE_LIMIT_PUBLIC="0",
               KHABAR_SECRET_KEY=secrets.token_hex(32), PYTHONUNBUFFERED="1")
    return env


def load_corpus(env: dict[str, str], articles: int, report: Report) -> tuple[str, str]:
    khabar(env, "db", "upgrade")
    started = time.perf_counter()
    out = khabar(env, "demo", "load", "--articles", str(articles))
    report.load_seconds = time.perf_counter() - started
    report.load_rate = articles / report.load_seconds if report.load_seconds else 0.0
    found = re.search(r"\(([\d,]+) articles/s\)", out)
    report.load_rate_loader = float(found.group(1).replace(",", "")) if found else 0.0
    key = khabar(env, "partner", "create", "bench", "--section", "news",
                 "--rate-limit", "9999999/minute").strip().splitlines()[-1].strip()
    password = secrets.token_urlsafe(16)
    khabar({**env, "KHABAR_PASSWORD": password}, "user", "create", BENCH_EMAIL,
           "--role", "editor")
    return key, password


@dataclass
class Targets:
    """Paths and validators read once from the running server."""

    sample: Path
    slug: str
    article_id: str
    etag: str
    deep_cursor: str | None


def discover(server: Server, workdir: Path, *, deep: bool) -> Targets:
    with httpx.Client(base_url=server.base, timeout=30) as client:
        page = client.get("/v1/articles")
        page.raise_for_status()
        sample = workdir / "list-sample.json"
        sample.write_bytes(page.content)
        first = page.json()["data"][0]
        detail = client.get(f"/v1/articles/{first['slug']}")
        detail.raise_for_status()
        # Walk 90 pages of 100 once: the cursor that starts at item 9,000.
        cursor, walked = None, 0
        while deep and walked < 9000:
            params: dict[str, Any] = {"limit": 100}
            if cursor:
                params["cursor"] = cursor
            body = client.get("/v1/articles", params=params).json()
            walked += len(body["data"])
            cursor = body["meta"]["next_cursor"]
            if cursor is None:
                break
    return Targets(sample, first["slug"], first["id"], detail.headers["etag"],
                   cursor if walked >= 9000 else None)


def settle(server: Server, limit: float = 60.0) -> None:
    """Wait until the server has drained what the last run queued (wrk leaves requests behind
    when it stops), so one scenario does not slow the next."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        started = time.monotonic()
        with suppress(httpx.HTTPError):
            # /readyz asks the database: queued requests that still hold pooled connections
            # make it slow too, where /healthz would answer at once.
            httpx.get(server.base + "/readyz", timeout=limit)
        if time.monotonic() - started < 0.2:
            return
        time.sleep(0.5)


def measure(args: argparse.Namespace, server: Server, path: str,
            headers: dict[str, str] | None = None) -> WrkResult:
    settle(server)
    url = server.base + path
    if args.warmup > 0:
        wrk(url, duration=args.warmup, threads=args.threads, connections=args.connections,
            headers=headers)
    return wrk(url, duration=args.duration, threads=args.threads, connections=args.connections,
               headers=headers)


def answers(server: Server, path: str, headers: dict[str, str] | None = None) -> int:
    settle(server)
    try:
        return httpx.get(server.base + path, headers=headers, timeout=60).status_code
    except httpx.HTTPError:
        return 0


class Writer(threading.Thread):
    """PATCHes through the Editorial API at a steady rate while wrk reads."""

    def __init__(self, base: str, token: str, article_id: str, rate: float) -> None:
        super().__init__(daemon=True)
        self.client = httpx.Client(base_url=base, timeout=30,
                                   headers={"Authorization": f"Bearer {token}"})
        self.path = f"/v1/editorial/articles/{article_id}"
        self.interval = 1.0 / rate
        self.stop = threading.Event()
        self.ok = self.failed = 0

    def run(self) -> None:
        n = 0
        while not self.stop.wait(self.interval):
            n += 1
            try:
                etag = self.client.get(self.path).headers.get("etag", "")
                done = self.client.patch(self.path, json={"subtitle": f"Bench edit {n}"},
                                         headers={"If-Match": etag})
                if done.status_code < 300:
                    self.ok += 1
                else:
                    self.failed += 1
            except httpx.HTTPError:
                self.failed += 1
        self.client.close()


def editor_token(server: Server, password: str) -> str | None:
    settle(server)
    try:
        done = httpx.post(server.base + "/v1/auth/token", timeout=60,
                          data={"grant_type": "password", "username": BENCH_EMAIL,
                                "password": password})
    except httpx.HTTPError:
        return None
    return done.json().get("access_token") if done.status_code == 200 else None


def run_scenarios(args: argparse.Namespace, report: Report, env: dict[str, str], key: str,
                  password: str, workdir: Path, workers: int) -> None:
    groups = args.groups
    with ExitStack() as stack:
        on = stack.enter_context(khabar_server("khabar (cache on)", env, workers, cache=True))
        off = stack.enter_context(khabar_server("khabar (cache off)", env, workers, cache=False))
        t = discover(off, workdir, deep="cursor" in groups)
        ceiling = stack.enter_context(ceiling_server(env, workers, t.sample))
        raw = measure(args, ceiling, "/raw")
        encoded = measure(args, ceiling, "/encoded")

        def add(name: str, result: WrkResult | None, note: str = "") -> None:
            row = Row(name, note=note)
            if result is not None:
                row.rps, row.p50_ms, row.p99_ms = result.rps, result.p50_ms, result.p99_ms
                row.p95_ms, row.errors = result.p95_ms, result.errors
                row.raw_ratio = result.rps / raw.rps if raw.rps else None
                row.encoded_ratio = result.rps / encoded.rps if encoded.rps else None
            report.rows.append(row)
            print(f"  {name}: {format_row(row)}", file=sys.stderr)

        add("ceiling: raw bytes", raw, f"{t.sample.stat().st_size} B body")
        add("ceiling: encoded (20 items, response model)", encoded)
        detail = f"/v1/articles/{t.slug}"
        partner = {"X-API-Key": key}
        plan: list[tuple[str, str, Server, str, dict[str, str] | None]] = [
            ("list", "article list (cache on)", on, "/v1/articles", None),
            ("list", "article list (cache off)", off, "/v1/articles", None),
            ("detail", "article detail (cache on)", on, detail, None),
            ("detail", "article detail (cache off)", off, detail, None),
            ("revalidation", "detail revalidation 304 (cache on)", on, detail,
             {"If-None-Match": t.etag}),
            ("revalidation", "detail revalidation 304 (cache off)", off, detail,
             {"If-None-Match": t.etag}),
        ]
        if t.deep_cursor:
            deep = f"/v1/articles?cursor={t.deep_cursor}"
            plan += [("cursor", "cursor page at depth 9,000 (cache on)", on, deep, None),
                     ("cursor", "cursor page at depth 9,000 (cache off)", off, deep, None)]
        elif "cursor" in groups:
            add("cursor page at depth 9,000", None, "skipped: fewer than 9,000 articles")
        plan += [
            ("search", "search 'budget' (cache on)", on, "/v1/search?q=budget", None),
            ("search", "search 'budget' (cache off)", off, "/v1/search?q=budget", None),
            ("briefs", "briefs today (cache on)", on, "/v1/briefs/today", None),
            ("changes", "change feed, partner key", on, "/v1/syndication/changes", partner),
            ("feeds", "partner full-text feed.json (50 items)", on, "/v1/syndication/feed.json",
             partner),
            ("feeds", "public feed latest.json (cache on)", on, "/v1/feeds/latest.json", None),
            ("feeds", "public feed latest.json (cache off)", off, "/v1/feeds/latest.json", None),
        ]
        for group, name, server, path, headers in plan:
            if group not in groups:
                continue
            status = answers(server, path, headers)
            if status == 404:
                add(name, None, f"skipped: {path.split('?')[0]} answers 404")
                continue
            result = measure(args, server, path, headers)
            expected = 304 if headers and "If-None-Match" in headers else 200
            note = "" if status == expected else f"answers {status or 'nothing (timeout)'}"
            add(name, result, note)
        if "search" in groups:
            report.search_latency = search_latency(args, off)
        if "changes" in groups:
            report.change_walk = change_walk(off, partner)
        if "mixed" in groups:
            mixed(args, on, t, password, add)
        report.rss_mb = {"cache on": worker_rss(on.process.pid),
                         "cache off": worker_rss(off.process.pid)}


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def search_latency(args: argparse.Namespace, server: Server) -> dict[str, Any]:
    """One client, one request at a time, varied queries, the response cache off: what a
    search costs the server, without wrk's 64-connection queueing in the figure."""
    settle(server)
    timings: list[float] = []
    per_query: dict[str, list[float]] = {q: [] for q in SEARCH_QUERIES}
    errors: list[str] = []
    with httpx.Client(base_url=server.base, timeout=60) as client:
        for q in SEARCH_QUERIES:  # warm-up: one of each
            client.get("/v1/search", params={"q": q})
        for i in range(args.search_requests):
            q = SEARCH_QUERIES[i % len(SEARCH_QUERIES)]
            started = time.perf_counter()
            response = client.get("/v1/search", params={"q": q})
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                errors.append(f"{q!r}: {response.status_code}")
                settle(server)
                continue
            timings.append(elapsed)
            per_query[q].append(elapsed)
    if not timings:
        raise RuntimeError(f"search answered no request: {errors[:5]}")
    result = {"requests": len(timings), "errors": errors, "p50_ms": percentile(timings, 50),
              "p95_ms": percentile(timings, 95), "p99_ms": percentile(timings, 99),
              "max_ms": max(timings),
              "per_query_p50_ms": {q: percentile(v, 50) for q, v in per_query.items() if v}}
    print(f"  search latency, one client: p50 {result['p50_ms']:.1f} ms, "
          f"p95 {result['p95_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
          f"{len(errors)} errors {errors[:3]}", file=sys.stderr)
    return result


def change_walk(server: Server, headers: dict[str, str]) -> dict[str, Any]:
    """Poll the change feed from the start to the end (100 per page), noting the workers'
    memory before and after: a feed that streams keeps it flat whatever the item count."""
    settle(server)
    before = worker_rss(server.process.pid)
    pages = items = 0
    started = time.perf_counter()
    since: str | None = None
    with httpx.Client(base_url=server.base, timeout=60, headers=headers) as client:
        while True:
            params: dict[str, Any] = {"limit": 100, **({"since": since} if since else {})}
            body = client.get("/v1/syndication/changes", params=params).raise_for_status().json()
            pages += 1
            items += len(body["data"])
            since = body["meta"]["next_cursor"]
            if not body["data"]:
                break
    seconds = time.perf_counter() - started
    after = worker_rss(server.process.pid)
    result = {"pages": pages, "items": items, "seconds": seconds,
              "items_per_s": items / seconds if seconds else 0.0,
              "rss_before_mb": before, "rss_after_mb": after}
    print(f"  change feed walk: {items:,} items in {pages:,} pages, {seconds:.1f} s; "
          f"worker RSS {before} -> {after} MB", file=sys.stderr)
    return result


def mixed(args: argparse.Namespace, server: Server, t: Targets, password: str,
          add: Any) -> None:
    name = f"mixed: list reads + {args.write_rate:g} PATCH/s (cache on)"
    token = editor_token(server, password)
    if token is None:
        add(name, None, "skipped: POST /v1/auth/token gave no token")
        return
    probe = httpx.get(f"{server.base}/v1/editorial/articles/{t.article_id}", timeout=30,
                      headers={"Authorization": f"Bearer {token}"})
    if probe.status_code == 404:
        add(name, None, "skipped: /v1/editorial/articles/{id} answers 404")
        return
    writer = Writer(server.base, token, t.article_id, args.write_rate)
    writer.start()
    try:
        result = measure(args, server, "/v1/articles")
    finally:
        writer.stop.set()
        writer.join()
    add(name, result, f"{writer.ok} writes ok, {writer.failed} failed")


def run_scaling(args: argparse.Namespace, report: Report, env: dict[str, str],
                workdir: Path) -> None:
    for workers in report.workers:
        entry: dict[str, Any] = {"workers": workers}
        for cache in (True, False):
            name = "cache_on" if cache else "cache_off"
            with khabar_server(f"khabar x{workers}", env, workers, cache=cache) as server:
                if not (workdir / "list-sample.json").exists():
                    discover(server, workdir, deep=False)
                entry[name] = asdict(measure(args, server, "/v1/articles"))
                entry[f"rss_mb_{name}"] = worker_rss(server.process.pid)
        with ceiling_server(env, workers, workdir / "list-sample.json") as ceiling:
            entry["raw"] = asdict(measure(args, ceiling, "/raw"))
        report.scaling.append(entry)
        print(f"  {workers} workers: {entry}", file=sys.stderr)


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}" if base else "-"


def format_row(row: Row) -> str:
    return (f"{_num(row.rps, ',.0f')} req/s, p50 {_num(row.p50_ms, '.2f')} ms, "
            f"p99 {_num(row.p99_ms, '.2f')} ms {row.note}")


def print_table(report: Report, args: argparse.Namespace) -> None:
    print(f"\nKhabar bench: {report.db}, {report.articles:,} articles, {report.duration:g} s per "
          f"scenario, wrk -t{args.threads} -c{args.connections}, workers {report.workers}")
    print(f"CPU {report.cpu}; commit {report.commit[:12]}; demo load "
          f"{report.load_seconds:.1f} s: {report.load_rate_loader:,.0f} articles/s as the loader "
          f"reports it, {report.load_rate:,.0f}/s with the CLI's start-up")
    if report.rows:
        head = (f"| {'scenario':<46} | {'req/s':>8} | {'p50 ms':>7} | {'p95 ms':>7} "
                f"| {'p99 ms':>7} | {'x raw':>5} | {'x enc':>5} | note")
        print(head)
        print("|" + "-" * 48 + "|" + "-" * 10 + ("|" + "-" * 9) * 3 + "|" + "-" * 7
              + "|" + "-" * 7 + "|------")
        for r in report.rows:
            errors = f"{r.errors} errors; " if r.errors else ""
            print(f"| {r.scenario:<46} | {_num(r.rps, ',.0f'):>8} | {_num(r.p50_ms, '.2f'):>7} "
                  f"| {_num(r.p95_ms, '.2f'):>7} | {_num(r.p99_ms, '.2f'):>7} "
                  f"| {_num(r.raw_ratio, '.2f'):>5} | {_num(r.encoded_ratio, '.2f'):>5} "
                  f"| {errors}{r.note}")
    if report.search_latency:
        s = report.search_latency
        print(f"\nsearch, one client, cache off, {s['requests']} requests over "
              f"{len(SEARCH_QUERIES)} queries: p50 {s['p50_ms']:.1f} ms, p95 {s['p95_ms']:.1f} ms, "
              f"p99 {s['p99_ms']:.1f} ms, max {s['max_ms']:.1f} ms; {len(s['errors'])} errors")
    if report.change_walk:
        c = report.change_walk
        print(f"change feed walk: {c['items']:,} items in {c['pages']:,} pages, "
              f"{c['seconds']:.1f} s ({c['items_per_s']:,.0f} items/s); worker RSS "
              f"{c['rss_before_mb']} MB before, {c['rss_after_mb']} MB after")
    for name, rss in report.rss_mb.items():
        print(f"worker RSS after the runs ({name}): {rss} MB")
    if report.scaling:
        base = report.scaling[0]
        print(f"\n| {'workers':>7} | {'list, cache on':>14} | {'list, cache off':>15} "
              f"| {'raw ceiling':>11} | {'x1 on':>5} | {'x1 off':>6} | worker RSS MB (on / off)")
        for e in report.scaling:
            print(f"| {e['workers']:>7} | {e['cache_on']['rps']:>14,.0f} "
                  f"| {e['cache_off']['rps']:>15,.0f} | {e['raw']['rps']:>11,.0f} "
                  f"| {_ratio(e['cache_on']['rps'], base['cache_on']['rps']):>5} "
                  f"| {_ratio(e['cache_off']['rps'], base['cache_off']['rps']):>6} "
                  f"| {e['rss_mb_cache_on']} / {e['rss_mb_cache_off']}")


def save(report: Report) -> Path:
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M")
    path = RESULTS / f"{stamp}-{report.db}-{report.articles}-{report.commit[:12]}.json"
    path.write_text(json.dumps(asdict(report), indent=2) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    ensure_wrk()
    workers = [int(w) for w in args.workers.split(",") if w.strip()]
    report = Report(db=args.db, articles=args.articles, duration=args.duration, workers=workers,
                    commit=git_commit(), cpu=cpu_model(), date=datetime.now(UTC).isoformat())
    with database(args) as url:
        env = base_env(url)
        print(f"loading {args.articles:,} articles into {args.db} ...", file=sys.stderr)
        key, password = load_corpus(env, args.articles, report)
        workdir = ROOT / "var" / "bench"
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "list-sample.json").unlink(missing_ok=True)
        if args.groups - {"scaling"}:
            # The issue's setting: 2 workers, or the one count asked for.
            run_scenarios(args, report, env, key, password, workdir,
                          workers=2 if len(workers) > 1 else workers[0])
        if len(workers) > 1 and "scaling" in args.groups:
            run_scaling(args, report, env, workdir)
    print_table(report, args)
    print(f"\nwrote {save(report).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
