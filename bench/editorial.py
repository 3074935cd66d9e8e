"""Editorial API load: create and publish articles through `khabar serve`, and what they cost
on disk.

    python -m bench.editorial [--db sqlite,postgres] [--articles 10000] [--clients 4]

For each database it migrates a fresh one (a SQLite file under var/bench, or a new PostgreSQL
database it drops afterwards), creates an editor, starts `khabar serve --workers 2` and, with
`--clients` concurrent httpx clients, creates each article (`POST /v1/editorial/articles`,
a body of 4-8 KB in blocks, a fifth of them in Nepali) and publishes it (`POST .../publish`
with the `ETag` of the create in `If-Match`), as fast as the server answers.

The baseline, measured by the same clients against the same server before and after the load
(the machine is noisy): `GET /v1/editorial/articles/{id}`, an authenticated read of one
article. Reported: articles/s, p50/p95 of each operation, and the ratio of each operation's
rate to the baseline's.

Then the database's size once the server has stopped (SQLite: the file after a WAL checkpoint;
PostgreSQL: `pg_database_size`), broken down per table and index (SQLite's `dbstat`,
PostgreSQL's `pg_relation_size` of each relation with its TOAST), and a check that revisions
are complete: every article has revision 1 stored, and a sample of them, read back through
`GET .../revisions/1`, holds exactly the body, title and tags that were sent.
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
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.run import DEFAULT_PG, ROOT, base_env, database
from bench.servers import khabar, khabar_server

EDITOR = "editorial-bench@example.com"
WORDS = ["the", "a", "of", "to", "in", "and", "on", "for", "with", "as", "by", "officials", "said",
         "project", "city", "plan", "year", "people", "government", "new", "public", "local",
         "market", "water", "road", "school", "health", "energy", "support", "council", "minister",
         "report", "growth", "budget", "district", "residents", "policy", "week", "hydropower",
         "monsoon", "tourism", "election", "parliament"]
NEPALI_WORDS = ["सरकार", "संसद", "बजेट", "विकास", "जनता", "नीति", "निर्वाचन", "अर्थतन्त्र",
                "पर्यटन", "काठमाडौं", "पोखरा", "मनसुन", "जलविद्युत", "आयोजना", "मन्त्रालय",
                "नागरिक", "स्थानीय"]
TAGS = ["Politics", "Economy", "Monsoon", "Tourism", "Energy", "Health", "Education", "Trade"]


def _sentence(rng: random.Random, words: list[str]) -> str:
    text = " ".join(rng.choices(words, k=rng.randint(8, 20)))
    return text[0].upper() + text[1:] + ("।" if words is NEPALI_WORDS else ".")


def article_payload(n: int, author: str) -> dict[str, Any]:
    """Article `n`: 4-8 KB of blocks (UTF-8 JSON), paragraphs with a heading, a quote and a
    list now and then; every fifth one in Nepali."""
    rng = random.Random(n)
    nepali = n % 5 == 3
    words = NEPALI_WORDS if nepali else WORDS
    target = rng.randint(4096, 8192)
    blocks: list[dict[str, Any]] = []
    size = 0
    while size < target:
        kind = rng.random()
        if blocks and kind < 0.1:
            block: dict[str, Any] = {"type": "heading", "level": 2,
                                     "text": _sentence(rng, words)[:80].strip()}
        elif blocks and kind < 0.15:
            block = {"type": "blockquote", "text": _sentence(rng, words),
                     "cite": "A spokesperson"}
        elif blocks and kind < 0.2:
            block = {"type": "list", "ordered": False,
                     "items": [_sentence(rng, words) for _ in range(3)]}
        else:
            block = {"type": "paragraph",
                     "text": " ".join(_sentence(rng, words) for _ in range(rng.randint(2, 5)))}
        blocks.append(block)
        size += len(json.dumps(block, ensure_ascii=False).encode())
    title = _sentence(rng, words)[:120].rstrip(".।")
    return {"title": f"{title} {n}", "excerpt": _sentence(rng, words), "body": blocks,
            "authors": [author], "tags": rng.sample(TAGS, 2),
            "language": "ne" if nepali else "en"}


@dataclass
class Timings:
    create: list[float] = field(default_factory=list)
    publish: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    ids: dict[int, str] = field(default_factory=dict)
    done_at: list[float] = field(default_factory=list)  # when each article was published

    def rate(self, first: float, last: float) -> float:
        """Articles/s between two fractions of the run (does the rate fall as the table grows?)"""
        times = sorted(self.done_at)
        a, b = int(first * (len(times) - 1)), int(last * (len(times) - 1))
        return (b - a) / (times[b] - times[a]) if b > a and times[b] > times[a] else 0.0


def percentile(values: list[float], fraction: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[int(fraction * 100) - 1]


async def _timed(client: httpx.AsyncClient, method: str, url: str,
                 **kwargs: Any) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = await client.request(method, url, **kwargs)
    return response, time.perf_counter() - started


async def load(client: httpx.AsyncClient, payloads: list[dict[str, Any]],
               clients: int) -> tuple[Timings, float]:
    timings = Timings()
    queue = list(enumerate(payloads))
    queue.reverse()

    async def one_client() -> None:
        while queue:
            n, payload = queue.pop()
            created, seconds = await _timed(client, "POST", "/v1/editorial/articles", json=payload)
            if created.status_code != 201:
                timings.errors.append(f"create -> {created.status_code} {created.text[:300]}")
                continue
            timings.create.append(seconds)
            article_id = created.json()["id"]
            published, seconds = await _timed(
                client, "POST", f"/v1/editorial/articles/{article_id}/publish",
                headers={"If-Match": created.headers["etag"]})
            if published.status_code != 200:
                timings.errors.append(f"publish -> {published.status_code} "
                                      f"{published.text[:300]}")
                continue
            timings.publish.append(seconds)
            timings.ids[n] = article_id
            timings.done_at.append(time.perf_counter())

    started = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    return timings, time.perf_counter() - started


async def baseline(client: httpx.AsyncClient, article_id: str, clients: int,
                   seconds: float) -> tuple[float, list[float]]:
    """Requests/s and latencies of an authenticated GET of one article, `clients` at once."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def one_client() -> None:
        while time.perf_counter() < deadline:
            response, took = await _timed(client, "GET", f"/v1/editorial/articles/{article_id}")
            response.raise_for_status()
            latencies.append(took)

    started = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    return len(latencies) / (time.perf_counter() - started), latencies


async def check_revisions(client: httpx.AsyncClient, payloads: list[dict[str, Any]],
                          ids: dict[int, str], sample: int) -> list[str]:
    """Revision 1 of a sample of articles, read back: what was sent, exactly."""
    problems = []
    for n in random.Random(0).sample(sorted(ids), min(sample, len(ids))):
        response = await client.get(f"/v1/editorial/articles/{ids[n]}/revisions/1")
        if response.status_code != 200:
            problems.append(f"{ids[n]} revision 1 -> {response.status_code}")
            continue
        snap = response.json()["snapshot"]
        sent = payloads[n]
        body = [{k: v for k, v in b.items() if v is not None} for b in snap["body"]]
        if body != sent["body"]:
            problems.append(f"{ids[n]} revision 1: body differs")
        if snap["title"] != sent["title"] or snap["status"] != "draft":
            problems.append(f"{ids[n]} revision 1: title or status differs")
        if sorted(snap["tags"]) != sorted(t.lower() for t in sent["tags"]):
            problems.append(f"{ids[n]} revision 1: tags {snap['tags']} != {sent['tags']}")
    return problems


async def drive(base: str, password: str, args: argparse.Namespace) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=args.clients + 2, keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        token = await client.post("/v1/auth/token", data={
            "grant_type": "password", "username": EDITOR, "password": password})
        token.raise_for_status()
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        author = await client.post("/v1/editorial/authors", json={"name": "Bench Reporter"})
        author.raise_for_status()
        slug = author.json()["slug"]
        payloads = [article_payload(n, slug) for n in range(args.articles)]
        # A warm-up that the baseline then reads, one client at a time: the tags are created
        # here (concurrent creates of the same new tag lose the race with a 409, as they should).
        warm_up = [article_payload(10**9 + n, slug) for n in range(8)]
        warm_up[0]["tags"] = TAGS
        warm, _ = await load(client, warm_up, 1)
        if warm.errors:
            raise RuntimeError(warm.errors[0])
        probe = next(iter(warm.ids.values()))
        before_rps, before_lat = await baseline(client, probe, args.clients, args.baseline)
        timings, seconds = await load(client, payloads, args.clients)
        after_rps, after_lat = await baseline(client, probe, args.clients, args.baseline)
        problems = await check_revisions(client, payloads, timings.ids, args.check)
    body_kb = statistics.mean(len(json.dumps(p["body"], ensure_ascii=False).encode())
                              for p in payloads) / 1024
    base_rps = (before_rps + after_rps) / 2
    done = len(timings.ids)
    return {
        "articles": done, "seconds": round(seconds, 2),
        "articles_per_s": round(done / seconds, 1), "mean_body_kb": round(body_kb, 2),
        "articles_per_s_first_fifth": round(timings.rate(0.0, 0.2), 1),
        "articles_per_s_last_fifth": round(timings.rate(0.8, 1.0), 1),
        "create": {"p50_ms": round(percentile(timings.create, 0.5) * 1000, 1),
                   "p95_ms": round(percentile(timings.create, 0.95) * 1000, 1)},
        "publish": {"p50_ms": round(percentile(timings.publish, 0.5) * 1000, 1),
                    "p95_ms": round(percentile(timings.publish, 0.95) * 1000, 1)},
        "baseline_get": {"rps_before": round(before_rps, 1), "rps_after": round(after_rps, 1),
                         "p50_ms": round(percentile(before_lat + after_lat, 0.5) * 1000, 1)},
        # Two requests per article: its request rate against the baseline's.
        "ratio_to_baseline": round(2 * done / seconds / base_rps, 3) if base_rps else None,
        "errors": timings.errors[:5], "error_count": len(timings.errors),
        "revision_problems": problems[:10], "revisions_checked": min(args.check, done),
    }


def sqlite_sizes(url: str) -> dict[str, Any]:
    import sqlite3

    path = url.removeprefix("sqlite:///")
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        rows = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name "
                            "ORDER BY 2 DESC").fetchall()
        revisions = conn.execute("SELECT count(*) FROM article_revision").fetchone()[0]
    finally:
        conn.close()
    total = sum(os.path.getsize(f"{path}{s}") for s in ("", "-wal") if Path(f"{path}{s}").exists())
    return {"total_mb": round(total / 2**20, 1), "revisions": revisions,
            "relations": {name: round(size / 2**20, 2) for name, size in rows}}


def postgres_sizes(url: str) -> dict[str, Any]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            # Once autovacuum has had its chance: the size a newsroom's database settles at.
            conn.execute(text("VACUUM ANALYZE"))
            total = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
            rows = conn.execute(text("""
                SELECT c.relname, pg_relation_size(c.oid)
                       + coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0)
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i', 'm')
                ORDER BY 2 DESC""")).all()
            revisions = conn.execute(text("SELECT count(*) FROM article_revision")).scalar_one()
    finally:
        engine.dispose()
    return {"total_mb": round(total / 2**20, 1), "revisions": revisions,
            "relations": {name: round(size / 2**20, 2) for name, size in rows if size >= 2**16}}


def run_one(db: str, args: argparse.Namespace) -> dict[str, Any]:
    args.db = db
    with database(args) as url, tempfile.TemporaryFile() as log:
        env = base_env(url)
        password = secrets.token_urlsafe(16)
        khabar(env, "db", "upgrade")
        khabar({**env, "KHABAR_PASSWORD": password}, "user", "create", EDITOR, "--role", "editor")
        with khabar_server("editorial", env, args.workers, cache=True, log=log) as server:
            print(f"{db}: {args.articles} articles through {server.base}, {args.clients} "
                  "clients ...", file=sys.stderr)
            result = asyncio.run(drive(server.base, password, args))
        if result["error_count"]:
            log.seek(0)
            result["server_log"] = log.read().decode(errors="replace").splitlines()[-20:]
        result["size"] = sqlite_sizes(url) if db == "sqlite" else postgres_sizes(url)
    result["db"] = db
    return result


def report(result: dict[str, Any]) -> None:
    size = result["size"]
    print(f"\n== {result['db']}: {result['articles']} articles (bodies {result['mean_body_kb']} KB "
          f"on average) in {result['seconds']} s")
    print(f"articles/s        {result['articles_per_s']} (first fifth "
          f"{result['articles_per_s_first_fifth']}, last fifth "
          f"{result['articles_per_s_last_fifth']})")
    for op in ("create", "publish"):
        print(f"{op:<17} p50 {result[op]['p50_ms']} ms, p95 {result[op]['p95_ms']} ms")
    b = result["baseline_get"]
    print(f"baseline GET      {b['rps_before']} req/s before, {b['rps_after']} after, "
          f"p50 {b['p50_ms']} ms")
    print(f"ratio             {result['ratio_to_baseline']} (write requests/s over baseline)")
    print(f"errors            {result['error_count']} {result['errors']}")
    print(f"revisions         {size['revisions']} stored; {result['revisions_checked']} read "
          f"back, problems: {result['revision_problems'] or 'none'}")
    print(f"database size     {size['total_mb']} MB")
    for name, mb in list(size["relations"].items())[:25]:
        print(f"  {name:<48} {mb:>8.2f} MB")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.editorial", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both")
    p.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG),
                   help="an admin URL; a new database is created and dropped")
    p.add_argument("--articles", type=int, default=10_000)
    p.add_argument("--clients", type=int, default=4, help="concurrent clients")
    p.add_argument("--workers", type=int, default=2, help="server workers")
    p.add_argument("--baseline", type=float, default=5.0, help="seconds of baseline, each side")
    p.add_argument("--check", type=int, default=200, help="revisions read back")
    p.add_argument("--out", help="write the results as JSON here (default bench/results/)")
    args = p.parse_args(argv)
    results = [run_one(db.strip(), args) for db in args.db.split(",") if db.strip()]
    for result in results:
        report(result)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M")
    out = Path(args.out) if args.out else (
        ROOT / "bench" / "results" / f"{stamp}-editorial-{args.articles}.json")
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    print(f"\nwritten to {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    failed = any(r["error_count"] or r["revision_problems"] for r in results)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
