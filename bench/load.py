"""`make load`: mixed reads and writes against `khabar serve` on a fresh database, then a check,
in the database itself, that every write the server acknowledged is stored.

    python -m bench.load [--db sqlite|postgres] [--duration 60] [--readers 32] [--writers 8]

It migrates a new database (a SQLite file under var/bench, or a new PostgreSQL database it drops
afterwards), loads the demo, starts `khabar serve --workers 2` on 127.0.0.1, and for
`--duration` seconds runs readers (Content API lists, details, search, briefs) and writers
(Editorial API: create a draft, then change its title with `If-Match`, over and over) as fast
as the server answers: no pauses, so the rate is what the machine sustains.

Every acknowledged write is recorded: the id of each 201, the title and revision of each 200
to a PATCH. Afterwards the database is read directly: each acknowledged article must exist,
with the last acknowledged title (or one whose acknowledgement was lost in transit) at its
acknowledged revision or later, and the table must hold at least as many load-test drafts as
were acknowledged. Exit status 1 on any 5xx, transport error or missing write.
"""

# ruff: noqa: T201  (a command-line report: printing is its output)
from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.run import DEFAULT_PG, base_env, database
from bench.servers import khabar, khabar_server

EDITOR = "load@example.com"
MARKER = "Load draft"  # every title a writer sends starts with it
READS = ["/v1/articles", "/v1/articles?limit=50", "/v1/articles?include=body&limit=10",
         "/v1/briefs/today", "/v1/sections", "/v1/tags", "/v1/authors", "/v1/search?q=nepal",
         "/v1/search?q=budget&limit=5", "/v1/feeds/latest.json"]


@dataclass
class Article:
    """What the server acknowledged for one draft, and what is in doubt (sent, no answer)."""

    revision: int
    title: str
    in_doubt: set[str] = field(default_factory=set)


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    transport_errors: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    articles: dict[str, Article] = field(default_factory=dict)
    creates_in_doubt: int = 0
    acknowledged_creates: int = 0
    acknowledged_updates: int = 0

    refusals: list[str] = field(default_factory=list)

    def note_refusal(self, response: httpx.Response) -> None:
        """A write the server refused (4xx): legitimate, but shown when the run fails."""
        if len(self.refusals) < 5:
            self.refusals.append(f"{response.request.method} {response.request.url.path} -> "
                                 f"{response.status_code} {response.text[:200]}")

    async def send(self, client: httpx.AsyncClient, method: str, url: str,
                   **kwargs: Any) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            self.transport_errors[type(exc).__name__] += 1
            if len(self.server_errors) < 5:
                self.server_errors.append(f"{method} {url} after "
                                          f"{time.perf_counter() - started:.2f} s: {exc!r}")
            return None
        self.latencies.append(time.perf_counter() - started)
        self.statuses[response.status_code] += 1
        if response.status_code >= 500 and len(self.server_errors) < 5:
            self.server_errors.append(f"{method} {url} -> {response.status_code} "
                                      f"{response.text[:300]}")
        return response


async def reader(client: httpx.AsyncClient, deadline: float, tally: Tally, rng: random.Random,
                 slugs: list[str]) -> None:
    while time.monotonic() < deadline:
        if slugs and rng.random() < 0.3:
            url = f"/v1/articles/{rng.choice(slugs)}"
        else:
            url = rng.choice(READS)
        await tally.send(client, "GET", url)


async def writer(client: httpx.AsyncClient, deadline: float, tally: Tally, n: int,
                 edits: int, author: str) -> None:
    """Create a draft, change its title `edits` times with If-Match, start again."""
    serial = 0
    while time.monotonic() < deadline:
        serial += 1
        title = f"{MARKER} {n}-{serial}"
        created = await tally.send(client, "POST", "/v1/editorial/articles", json={
            "title": title, "authors": [author],
            "body_text": "Written by bench.load.\n\nA second paragraph."})
        if created is None:
            tally.creates_in_doubt += 1
            continue
        if created.status_code != 201:
            tally.note_refusal(created)
            continue
        body = created.json()
        article = tally.articles[body["id"]] = Article(body["revision"], title)
        tally.acknowledged_creates += 1
        for edit in range(1, edits + 1):
            if time.monotonic() >= deadline:
                break
            new_title = f"{title} edit {edit}"
            changed = await tally.send(
                client, "PATCH", f"/v1/editorial/articles/{body['id']}", json={"title": new_title},
                headers={"If-Match": f'"{body["id"]}.{article.revision}"'})
            if changed is None:
                article.in_doubt.add(new_title)
                break  # the revision is unknown now: a new draft
            if changed.status_code != 200:
                tally.note_refusal(changed)
                break
            article.revision, article.title = changed.json()["revision"], new_title
            tally.acknowledged_updates += 1


def missing_writes(url: str, tally: Tally) -> list[str]:
    """Each acknowledged write, looked up in the database (not through the API)."""
    from sqlalchemy import bindparam, create_engine, text

    engine = create_engine(url)
    ids = list(tally.articles)
    stored: dict[str, tuple[str, int]] = {}
    try:
        with engine.connect() as conn:
            query = text("SELECT id, title, revision FROM article WHERE id IN :ids").bindparams(
                bindparam("ids", expanding=True))
            for chunk in range(0, len(ids), 500):
                for row in conn.execute(query, {"ids": ids[chunk:chunk + 500]}):
                    stored[row.id] = (row.title, row.revision)
            drafts = conn.execute(text("SELECT count(*) FROM article WHERE title LIKE :m"),
                                  {"m": f"{MARKER} %"}).scalar_one()
    finally:
        engine.dispose()
    missing = []
    for article_id, acked in tally.articles.items():
        if article_id not in stored:
            missing.append(f"{article_id}: not stored")
            continue
        title, revision = stored[article_id]
        if revision < acked.revision or title not in {acked.title, *acked.in_doubt}:
            missing.append(f"{article_id}: stored {title!r} r{revision}, acknowledged "
                           f"{acked.title!r} r{acked.revision}")
    if drafts < tally.acknowledged_creates:
        missing.append(f"{drafts} load drafts stored, {tally.acknowledged_creates} acknowledged")
    return missing


async def drive(args: argparse.Namespace, base: str, password: str) -> Tally:
    tally = Tally()
    # Idle connections are dropped by the client before uvicorn's 5 s keep-alive timeout can
    # close them under a request being sent (a ReadError that says nothing about the server).
    limits = httpx.Limits(max_connections=args.readers + args.writers + 4,
                          max_keepalive_connections=args.readers + args.writers + 4,
                          keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        token = await client.post("/v1/auth/token", data={
            "grant_type": "password", "username": EDITOR, "password": password})
        token.raise_for_status()
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        slugs = [a["slug"] for a in (await client.get("/v1/articles?limit=100")).json()["data"]]
        author = (await client.get("/v1/authors?limit=1")).json()["data"][0]["slug"]
        rng = random.Random(1)
        deadline = time.monotonic() + args.duration
        async with httpx.AsyncClient(base_url=base, timeout=30, headers=auth,
                                     limits=limits) as editor:
            await asyncio.gather(
                *(reader(client, deadline, tally, random.Random(rng.random()), slugs)
                  for _ in range(args.readers)),
                *(writer(editor, deadline, tally, n, args.edits, author)
                  for n in range(args.writers)))
    return tally


def percentile(values: list[float], fraction: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=1000, method="inclusive")[int(fraction * 1000) - 1]


def report(args: argparse.Namespace, tally: Tally, seconds: float, missing: list[str],
           server_log: str) -> int:
    total = sum(tally.statuses.values())
    server_errors = sum(n for status, n in tally.statuses.items() if status >= 500)
    acknowledged = tally.acknowledged_creates + tally.acknowledged_updates
    print(f"db={args.db} workers=2 readers={args.readers} writers={args.writers} "
          f"duration={seconds:.1f} s")
    print(f"requests           {total:,} ({total / seconds:,.0f} req/s)")
    print(f"latency            p50 {percentile(tally.latencies, 0.50) * 1000:.1f} ms, "
          f"p99 {percentile(tally.latencies, 0.99) * 1000:.1f} ms")
    print(f"statuses           {dict(sorted(tally.statuses.items()))}")
    print(f"server errors      {server_errors}")
    print(f"transport errors   {sum(tally.transport_errors.values())} "
          f"{dict(tally.transport_errors) or ''}")
    print(f"acknowledged writes {acknowledged:,} ({tally.acknowledged_creates:,} creates, "
          f"{tally.acknowledged_updates:,} updates; "
          f"{tally.creates_in_doubt} creates unanswered)")
    print(f"missing writes     {len(missing)}")
    for line in missing[:10] + tally.server_errors + (tally.refusals if not acknowledged else []):
        print(f"  {line}")
    ok = server_errors == 0 and not missing and not tally.transport_errors and acknowledged > 0
    if not ok and server_log.strip():
        print("server log (last lines):\n" + "\n".join(server_log.splitlines()[-30:]))
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


def run(args: argparse.Namespace) -> int:
    with database(args) as url, tempfile.TemporaryFile() as log:
        env = base_env(url)
        password = secrets.token_urlsafe(16)
        print(f"preparing a fresh {args.db} database ({args.articles} demo articles) ...",
              file=sys.stderr)
        khabar(env, "db", "upgrade")
        khabar(env, "demo", "load", "--articles", str(args.articles))
        khabar({**env, "KHABAR_PASSWORD": password}, "user", "create", EDITOR, "--role",
               "editor")
        with khabar_server("load", env, 2, cache=True, log=log) as server:
            print(f"driving {server.base} for {args.duration:g} s ...", file=sys.stderr)
            started = time.monotonic()
            tally = asyncio.run(drive(args, server.base, password))
            seconds = time.monotonic() - started
        missing = missing_writes(url, tally)
        log.seek(0)
        return report(args, tally, seconds, missing, log.read().decode(errors="replace"))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG),
                   help="an admin URL; a new database is created and dropped")
    p.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    p.add_argument("--articles", type=int, default=500, help="demo articles loaded first")
    p.add_argument("--readers", type=int, default=32, help="concurrent readers")
    p.add_argument("--writers", type=int, default=8, help="concurrent writers")
    p.add_argument("--edits", type=int, default=3, help="title changes per draft")
    sys.exit(run(p.parse_args(argv)))


if __name__ == "__main__":
    main()
