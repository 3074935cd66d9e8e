"""A newsroom day (issue #13): Zipf-popular public reads while writers save drafts and an editor
publishes, with the response cache on; its hit ratio and the readers' latency.

    python -m bench.newsroom_day [--db sqlite|postgres] [--duration 120] [--articles 10000]
                                 [--baseline 30] [--warmup 30] [--workers 2] [--zipf 1.0]
                                 [--cache-mb N]

A fresh database gets `--articles` demo articles; `khabar serve --workers 2` serves it with the
response cache on (its default size, `KHABAR_RESPONSE_CACHE_MB`, unless `--cache-mb`). wrk
drives 64 reader connections (`bench/newsroom_day.lua`) as fast as the server answers. Each
read draws a kind (article detail 70%, article list 18%, `/v1/front` 6%,
`/v1/briefs/today` 4%, search 2%), then a path of that kind by Zipf popularity (exponent
`--zipf`): every published article's detail, ranked in a seeded random order; the list and its
section and language filters with their second and third pages; the front page and today's
briefs in both languages; a dozen search queries.

Phases, one after the other, on the same server:
1. warm-up (`--warmup` s): readers only, from a cold cache (each worker renders every page it
   is asked for the first time): reported, not judged (a newsroom's cache is warm all day);
   then the cache is primed: one keep-alive connection per worker (a connection stays with the
   worker that accepted it; told apart by `X-Cache` on a fresh path) asks for every path of the
   catalogue, so the day's misses are the writes' doing, not the Zipf tail's first requests;
2. baseline (`--baseline` s): readers only, the cache's steady state;
3. the day (`--duration` s): readers, while 20 writers (one editor account) each create a draft
   and then save it again every 10 s (title and body, `If-Match`), and an editor publishes one
   of those drafts every 60 s (the first half an interval in). Both intervals are the issue's at
   a 120 s day and scale down with a shorter `--duration` (60 s: saves every 5 s, a publish
   every 30 s); they never scale up.

Every answer of the cached surface says `X-Cache: HIT` or `MISS` (`app/core/cache.py`); the hit
ratio is HIT / (HIT + MISS) as wrk counted them. Reported per phase: requests/s, p50/p95/p99 and
the hit ratio; for the day also its ratios to the baseline, the writes made and their latency,
how far the content version moved (it should move once per publish, never for a draft) and
each worker's resident memory (the cache's entries are in it).
The issue's targets, checked for the day: hit ratio >= 95% and read p99 <= 50 ms. A publish
drops the pages that show the article (its detail, the lists, front page and search, its
author's page and, through the byline's article count, the author's other articles), not the
rest (`app/core/cache.py`).
Results go to bench/results/<date>-newsroom-day-<db>-<commit>.json.
"""

# ruff: noqa: T201  (a command-line report: printing is its output)
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from bench.procs import worker_rss
from bench.run import (
    DEFAULT_PG,
    RESULTS,
    SEARCH_QUERIES,
    base_env,
    cpu_model,
    database,
    git_commit,
    settle,
)
from bench.servers import ROOT, Server, ensure_wrk, khabar, khabar_server

EDITOR = "newsroom-day@example.com"
LUA = Path(__file__).with_name("newsroom_day.lua")
REFERENCE_DAY = 120.0  # seconds: the intervals hold at this duration
WRITER_INTERVAL = 10.0
PUBLISH_INTERVAL = 60.0
KIND_WEIGHTS = {"detail": 0.70, "list": 0.18, "front": 0.06, "briefs": 0.04, "search": 0.02}
TARGET_HIT_RATIO = 0.95
TARGET_P99_MS = 50.0
PARAGRAPH = ("The council met again on Tuesday to discuss the budget for the coming year, and "
             "the reporters on the desk kept the draft up to date as the figures came in.")


@dataclass
class Phase:
    name: str
    seconds: float
    requests: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    hits: int
    misses: int
    unmarked: int  # answers without X-Cache (should be none: every read is a cached surface)
    hit_ratio: float | None
    ok: int
    not_modified: int
    client_errors: int
    server_errors: int
    socket_errors: int


@dataclass
class Writes:
    saves_ok: int = 0
    creates_ok: int = 0
    publishes_ok: int = 0
    failed: list[str] = field(default_factory=list)
    save_ms: list[float] = field(default_factory=list)
    publish_ms: list[float] = field(default_factory=list)

    def note(self, what: str, response: httpx.Response | None, error: str = "") -> None:
        if len(self.failed) < 20:
            detail = (f"{response.status_code} {response.text[:200]}" if response is not None
                      else error)
            self.failed.append(f"{what}: {detail}")


@dataclass
class Report:
    db: str
    articles: int
    workers: int
    connections: int
    zipf: float
    cache_mb: int  # per worker process
    commit: str
    cpu: str
    date: str
    warmup_s: float
    baseline_s: float
    day_s: float
    writers: int
    writer_interval_s: float
    publish_interval_s: float
    catalogue: dict[str, int] = field(default_factory=dict)
    warmup: Phase | None = None  # from a cold cache
    primed: dict[str, Any] = field(default_factory=dict)  # paths, workers found, seconds
    baseline: Phase | None = None
    day: Phase | None = None
    writes: dict[str, Any] = field(default_factory=dict)
    content_version_moves: int = 0
    rss_mb: list[float] = field(default_factory=list)  # each worker's, after the day
    ratios: dict[str, float | None] = field(default_factory=dict)
    targets: dict[str, bool] = field(default_factory=dict)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.newsroom_day", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG),
                   help="an admin URL; a new database is created and dropped")
    p.add_argument("--articles", type=int, default=10_000)
    p.add_argument("--duration", type=float, default=REFERENCE_DAY,
                   help="seconds of the day (readers, writers and the editor)")
    p.add_argument("--baseline", type=float, default=30.0, help="seconds of readers alone")
    p.add_argument("--warmup", type=float, default=30.0,
                   help="seconds of readers first, from a cold cache (reported, not judged)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--connections", type=int, default=64, help="reader connections")
    p.add_argument("--threads", type=int, default=2, help="wrk threads")
    p.add_argument("--writers", type=int, default=20)
    p.add_argument("--zipf", type=float, default=1.0, help="the popularity exponent")
    p.add_argument("--cache-mb", type=int, default=None,
                   help="KHABAR_RESPONSE_CACHE_MB (default: the server's own default)")
    p.add_argument("--seed", type=int, default=13)
    return p.parse_args(argv)


# ---- the readers' catalogue -------------------------------------------------------------------


def zipf_cdf(n: int, exponent: float) -> list[float]:
    weights = [1.0 / (rank ** exponent) for rank in range(1, n + 1)]
    total, running, cdf = sum(weights), 0.0, []
    for w in weights:
        running += w
        cdf.append(running / total)
    return cdf


def published_slugs(url: str) -> list[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(
                "SELECT slug FROM article WHERE status = 'published' AND deleted_at IS NULL "
                "ORDER BY published_at DESC, id")).scalars())
    finally:
        engine.dispose()


def content_version(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(
                "SELECT value FROM counter WHERE name = 'content_version'")).scalar_one())
    finally:
        engine.dispose()


def list_paths(client: httpx.Client) -> list[str]:
    """The list variants readers ask for, most popular first: the home list, each section,
    each language, a section in Nepali, a long page, then second and third pages."""
    sections = [s["slug"] for s in client.get("/v1/sections").raise_for_status().json()["data"]]
    firsts: list[dict[str, str]] = [{}, *({"section": s} for s in sections),
                                    {"language": "ne"}, {"language": "en"},
                                    {"section": sections[0], "language": "ne"}]
    paths = ["/v1/articles" + (f"?{urlencode(q)}" if q else "") for q in firsts]
    paths.append("/v1/articles?limit=50")
    for query in firsts[:4]:  # deeper pages of the home list and the first sections
        cursor = None
        for _ in range(2):
            page = client.get("/v1/articles", params={**query, **({"cursor": cursor} if cursor
                                                                    else {})})
            cursor = page.raise_for_status().json()["meta"].get("next_cursor")
            if not cursor:
                break
            paths.append(f"/v1/articles?{urlencode({**query, 'cursor': cursor})}")
    return paths


def write_catalogue(server: Server, url: str, exponent: float, seed: int,
                    path: Path) -> dict[str, list[str]]:
    slugs = published_slugs(url)
    random.Random(seed).shuffle(slugs)  # popularity is not publication order
    with httpx.Client(base_url=server.base, timeout=60) as client:
        kinds: dict[str, list[str]] = {
            "detail": [f"/v1/articles/{quote(s, safe='')}" for s in slugs],
            "list": list_paths(client),
            "front": ["/v1/front", "/v1/front?language=ne"],
            "briefs": ["/v1/briefs/today", "/v1/briefs/today?language=ne"],
            "search": [f"/v1/search?{urlencode({'q': q})}" for q in SEARCH_QUERIES],
        }
        for paths in kinds.values():  # every path answers before it is timed
            for p in paths[:3]:
                status = client.get(p).status_code
                if status != 200:
                    raise RuntimeError(f"{p} answers {status}")
    lines: list[str] = []
    for name, paths in kinds.items():
        lines.append(f"K {KIND_WEIGHTS[name]!r} {name}")
        lines += [f"P {c!r} {p}" for c, p in zip(zipf_cdf(len(paths), exponent), paths,
                                                 strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return kinds


def prime(server: Server, paths: list[str], workers: int) -> dict[str, Any]:
    """Have every worker render every path once. A keep-alive connection stays with the worker
    process that accepted it, so connections are opened until one per worker is found: a new
    one belongs to a known worker when a fresh path stored through that worker's connection is
    a HIT on it. Each worker's connection then walks the catalogue, all in parallel."""
    import http.client
    import threading

    known: list[http.client.HTTPConnection] = []

    def get(conn: http.client.HTTPConnection, path: str) -> str:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.getheader("x-cache") or ""

    started = time.perf_counter()
    for attempt in range(20 * workers):
        if len(known) == workers:
            break
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        same = False
        for i, rep in enumerate(known):
            probe = f"/v1/search?{urlencode({'q': f'probe{attempt}x{i}x{secrets.token_hex(4)}'})}"
            get(rep, probe)
            if get(conn, probe) == "HIT":
                same = True
                break
        if same:
            conn.close()
        else:
            known.append(conn)
    misses = [0] * len(known)

    def walk(n: int) -> None:
        for path in paths:
            misses[n] += get(known[n], path) == "MISS"

    threads = [threading.Thread(target=walk, args=(n,)) for n in range(len(known))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for conn in known:
        conn.close()
    return {"paths": len(paths), "workers_found": len(known), "misses": misses,
            "seconds": round(time.perf_counter() - started, 1)}


# ---- readers (wrk) ------------------------------------------------------------------------------


def readers(args: argparse.Namespace, server: Server, catalogue: Path, seconds: float,
            name: str, seed: int) -> Phase:
    env = {**os.environ, "NEWSROOM_DAY_CATALOGUE": str(catalogue),
           "NEWSROOM_DAY_SEED": str(seed)}
    argv = [ensure_wrk(), f"-t{args.threads}", f"-c{args.connections}",
            f"-d{max(1, round(seconds))}s", "--timeout", "10s", "-s", str(LUA), server.base + "/"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")
    d = json.loads(line.removeprefix("BENCH_JSON "))
    measured = d["duration_us"] / 1e6
    counted = d["hits"] + d["misses"]
    return Phase(name=name, seconds=round(measured, 1), requests=d["requests"],
                 rps=round(d["requests"] / measured, 1) if measured else 0.0,
                 p50_ms=d["p50_us"] / 1000, p95_ms=d["p95_us"] / 1000,
                 p99_ms=d["p99_us"] / 1000, max_ms=d["max_us"] / 1000,
                 hits=d["hits"], misses=d["misses"], unmarked=d["unmarked"],
                 hit_ratio=round(d["hits"] / counted, 4) if counted else None,
                 ok=d["ok"], not_modified=d["not_modified"], client_errors=d["client_errors"],
                 server_errors=d["server_errors"], socket_errors=d["socket_errors"])


# ---- writers and the editor ---------------------------------------------------------------------


@dataclass
class Draft:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    id: str | None = None
    etag: str | None = None
    saves: int = 0


async def timed(client: httpx.AsyncClient, method: str, url: str,
                **kwargs: Any) -> tuple[httpx.Response | None, float, str]:
    started = time.perf_counter()
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        return None, 0.0, repr(exc)
    return response, (time.perf_counter() - started) * 1000, ""


async def writer(client: httpx.AsyncClient, n: int, draft: Draft, author: str, section: str,
                 start: float, deadline: float, interval: float, writers: int,
                 writes: Writes) -> None:
    """Save a draft every `interval` seconds: create it, then PATCH it with If-Match; once
    the editor has published it, start a new one."""
    tick = start + interval * n / writers  # staggered over the first interval
    serial = 0
    while tick < deadline:
        await asyncio.sleep(max(0.0, tick - time.monotonic()))
        tick += interval
        serial += 1
        body_text = "\n\n".join([f"Update {serial}. {PARAGRAPH}"] * (2 + serial % 4))
        async with draft.lock:
            if draft.id is None:
                response, ms, error = await timed(client, "POST", "/v1/editorial/articles", json={
                    "title": f"Newsroom day draft {n}-{serial}", "authors": [author],
                    "section": section, "body_text": body_text})
                if response is None or response.status_code != 201:
                    writes.note("create", response, error)
                    continue
                writes.creates_ok += 1
                draft.id, draft.saves = response.json()["id"], 0
            else:
                response, ms, error = await timed(
                    client, "PATCH", f"/v1/editorial/articles/{draft.id}",
                    json={"title": f"Newsroom day draft {n}-{serial}", "body_text": body_text},
                    headers={"If-Match": draft.etag or ""})
                if response is None or response.status_code != 200:
                    writes.note("save", response, error)
                    continue
                writes.saves_ok += 1
                draft.saves += 1
            draft.etag = response.headers["etag"]
            writes.save_ms.append(ms)


async def editor(client: httpx.AsyncClient, drafts: list[Draft], start: float, deadline: float,
                 interval: float, writes: Writes) -> None:
    """Publish one draft every `interval` seconds, the first half an interval in; the writer
    whose draft it was starts a new one."""
    tick = start + interval / 2
    turn = 0
    while tick < deadline:
        await asyncio.sleep(max(0.0, tick - time.monotonic()))
        tick += interval
        for _ in range(len(drafts)):  # the next writer in turn that has a draft
            draft = drafts[turn % len(drafts)]
            turn += 1
            if draft.id is not None:
                break
        else:
            writes.note("publish", None, "no draft to publish")
            continue
        async with draft.lock:
            response, ms, error = await timed(
                client, "POST", f"/v1/editorial/articles/{draft.id}/publish",
                headers={"If-Match": draft.etag or ""})
            if response is None or response.status_code != 200:
                writes.note("publish", response, error)
                continue
            writes.publishes_ok += 1
            writes.publish_ms.append(ms)
            draft.id = draft.etag = None


async def newsroom(base: str, token: str, author: str, section: str, seconds: float,
                   writers: int, writer_interval: float, publish_interval: float,
                   writes: Writes) -> None:
    start = time.monotonic()
    deadline = start + seconds
    drafts = [Draft() for _ in range(writers)]
    async with httpx.AsyncClient(base_url=base, timeout=30,
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        await asyncio.gather(
            *(writer(client, n, drafts[n], author, section, start, deadline, writer_interval,
                     writers, writes) for n in range(writers)),
            editor(client, drafts, start, deadline, publish_interval, writes))


async def day(args: argparse.Namespace, server: Server, catalogue: Path, token: str,
              author: str, section: str, report: Report, writes: Writes) -> Phase:
    reading = asyncio.create_task(asyncio.to_thread(
        readers, args, server, catalogue, args.duration, "day", args.seed + 2))
    await newsroom(server.base, token, author, section, args.duration, args.writers,
                   report.writer_interval_s, report.publish_interval_s, writes)
    return await reading


# ---- the report ---------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]


def ratio(value: float | None, base: float | None) -> float | None:
    return round(value / base, 2) if value is not None and base else None


def print_report(report: Report) -> None:
    print(f"\nA newsroom day: {report.db}, {report.articles:,} articles, {report.workers} workers, "
          f"{report.connections} reader connections, Zipf {report.zipf:g}, "
          f"a {report.cache_mb} MB cache per worker; CPU {report.cpu}; "
          f"commit {report.commit[:12]}")
    print(f"catalogue {report.catalogue}; warm-up {report.warmup_s:g} s, baseline "
          f"{report.baseline_s:g} s, day {report.day_s:g} s with {report.writers} writers saving "
          f"every {report.writer_interval_s:g} s and a publish every "
          f"{report.publish_interval_s:g} s")
    print(f"primed: {report.primed}")
    print(f"| {'phase':<34} | {'req/s':>8} | {'p50 ms':>7} | {'p95 ms':>7} | {'p99 ms':>7} "
          f"| {'max ms':>7} | {'hit ratio':>9} | errors")
    labels = {"warm-up": "readers, cold cache (warm-up)", "baseline": "readers alone (baseline)",
              "day": "readers + writers + editor (day)"}
    for phase in (report.warmup, report.baseline, report.day):
        if phase is None:
            continue
        label = labels[phase.name]
        errors = phase.server_errors + phase.socket_errors + phase.client_errors
        hit = f"{phase.hit_ratio:.2%}" if phase.hit_ratio is not None else "-"
        print(f"| {label:<34} | {phase.rps:>8,.0f} | {phase.p50_ms:>7.2f} | {phase.p95_ms:>7.2f} "
              f"| {phase.p99_ms:>7.2f} | {phase.max_ms:>7.1f} | {hit:>9} | {errors}"
              + (f" ({phase.unmarked} without X-Cache)" if phase.unmarked else ""))
    r = report.ratios
    print(f"day / baseline: req/s x{r.get('rps')}, p50 x{r.get('p50')}, p99 x{r.get('p99')}, "
          f"hit ratio {r.get('hit_ratio_points')} points")
    w = report.writes
    print(f"writes: {w['creates_ok']} drafts created, {w['saves_ok']} saves, "
          f"{w['publishes_ok']} publishes; save p50 {w['save_p50_ms']} ms, p99 "
          f"{w['save_p99_ms']} ms; {len(w['failed'])} failed {w['failed'][:3]}")
    print(f"content version moved {report.content_version_moves} times during the day "
          f"({w['publishes_ok']} publishes)")
    print(f"worker RSS after the day: {report.rss_mb} MB")
    print("targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}"
                                  for k, v in report.targets.items()))


def run(args: argparse.Namespace) -> Report:
    scale = min(1.0, args.duration / REFERENCE_DAY)
    report = Report(db=args.db, articles=args.articles, workers=args.workers,
                    connections=args.connections, zipf=args.zipf,
                    cache_mb=args.cache_mb or default_cache_mb(),
                    commit=git_commit(), cpu=cpu_model(), date=datetime.now(UTC).isoformat(),
                    warmup_s=args.warmup, baseline_s=args.baseline, day_s=args.duration,
                    writers=args.writers, writer_interval_s=WRITER_INTERVAL * scale,
                    publish_interval_s=PUBLISH_INTERVAL * scale)
    with database(args) as url, tempfile.TemporaryDirectory() as workdir, \
            tempfile.TemporaryFile() as log:
        env = base_env(url)
        if args.cache_mb:
            env["KHABAR_RESPONSE_CACHE_MB"] = str(args.cache_mb)
        password = secrets.token_urlsafe(16)
        print(f"loading {args.articles:,} demo articles into {args.db} ...", file=sys.stderr)
        khabar(env, "db", "upgrade")
        khabar(env, "demo", "load", "--articles", str(args.articles))
        khabar({**env, "KHABAR_PASSWORD": password}, "user", "create", EDITOR, "--role",
               "editor")
        with khabar_server("newsroom day", env, args.workers, cache=True, log=log) as server:
            catalogue = Path(workdir) / "catalogue.txt"
            kinds = write_catalogue(server, url, args.zipf, args.seed, catalogue)
            report.catalogue = {name: len(paths) for name, paths in kinds.items()}
            with httpx.Client(base_url=server.base, timeout=60) as client:
                token = client.post("/v1/auth/token", data={
                    "grant_type": "password", "username": EDITOR, "password": password,
                }).raise_for_status().json()["access_token"]
                author = client.get("/v1/authors?limit=1").json()["data"][0]["slug"]
                section = client.get("/v1/sections?limit=1").json()["data"][0]["slug"]
            if args.warmup > 0:
                print(f"warm-up {args.warmup:g} s ...", file=sys.stderr)
                report.warmup = readers(args, server, catalogue, args.warmup, "warm-up",
                                        args.seed)
            print("priming every worker's cache ...", file=sys.stderr)
            report.primed = prime(server, [p for paths in kinds.values() for p in paths],
                                  args.workers)
            settle(server)
            print(f"baseline {args.baseline:g} s (readers alone) ...", file=sys.stderr)
            report.baseline = readers(args, server, catalogue, args.baseline, "baseline",
                                      args.seed + 1)
            settle(server)
            print(f"day {args.duration:g} s (readers, {args.writers} writers every "
                  f"{report.writer_interval_s:g} s, a publish every "
                  f"{report.publish_interval_s:g} s) ...", file=sys.stderr)
            writes = Writes()
            version_before = content_version(url)
            report.day = asyncio.run(day(args, server, catalogue, token, author, section,
                                         report, writes))
            report.content_version_moves = content_version(url) - version_before
            report.rss_mb = worker_rss(server.process.pid)
        log.seek(0)
        server_log = log.read().decode(errors="replace")
    base, d = report.baseline, report.day
    report.writes = {
        "creates_ok": writes.creates_ok, "saves_ok": writes.saves_ok,
        "publishes_ok": writes.publishes_ok, "failed": writes.failed,
        "save_p50_ms": _round(percentile(writes.save_ms, 0.5)),
        "save_p99_ms": _round(percentile(writes.save_ms, 0.99)),
        "publish_ms": [round(ms, 1) for ms in writes.publish_ms]}
    report.ratios = {
        "rps": ratio(d.rps, base.rps), "p50": ratio(d.p50_ms, base.p50_ms),
        "p95": ratio(d.p95_ms, base.p95_ms), "p99": ratio(d.p99_ms, base.p99_ms),
        "hit_ratio_points": (round((d.hit_ratio - base.hit_ratio) * 100, 2)
                             if d.hit_ratio is not None and base.hit_ratio is not None
                             else None)}
    report.targets = {"hit ratio >= 95%": (d.hit_ratio or 0.0) >= TARGET_HIT_RATIO,
                      "read p99 <= 50 ms": d.p99_ms <= TARGET_P99_MS}
    if d.server_errors or d.socket_errors or writes.failed:
        print("server log (last lines):\n" + "\n".join(server_log.splitlines()[-20:]),
              file=sys.stderr)
    return report


def default_cache_mb() -> int:
    from app.core.config import Settings

    return int(Settings.model_fields["response_cache_mb"].default)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def save(report: Report) -> Path:
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M")
    path = RESULTS / f"{stamp}-newsroom-day-{report.db}-{report.commit[:12]}.json"
    path.write_text(json.dumps(asdict(report), indent=2) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    ensure_wrk()
    report = run(args)
    print_report(report)
    print(f"\nwrote {save(report).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
