"""Change delivery figures: publish-to-long-poll latency and a 2-of-8-sections partner's sync.

    python -m bench.changes [--db sqlite|postgres] [--articles 10000] [--rounds 40] [--workers 2]

1. A corpus of `--articles` (the demo loader) spread over eight sections; two partners: one
   entitled to two sections, one to all. Each does an initial sync of `/v1/syndication/changes`
   (100 per page): requests, bytes and items, next to its own article count.
2. `khabar serve --workers N` holds a `GET /v1/sync?cursor=<head>&wait=25`; this process (another
   process, as an editor's request would be) publishes a draft; the time from the commit to the
   held answer, per round: p50, p95, max.
"""

# ruff: noqa: T201  (a command-line report: printing is its output)
from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.run import DEFAULT_PG, RESULTS, base_env, database, percentile
from bench.servers import khabar, khabar_server


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.changes", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG))
    p.add_argument("--articles", type=int, default=10_000)
    p.add_argument("--rounds", type=int, default=40)
    p.add_argument("--workers", type=int, default=2)
    return p.parse_args(argv)


def eight_sections(url: str) -> None:
    """The demo has six sections: add two and move a quarter of the articles there (in the
    change log's scopes too, as if they had been published there)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        for slug in ("culture", "health"):
            conn.execute(text("INSERT INTO section (slug, name, description) "
                              "VALUES (:s, :s, '')"), {"s": slug})
        ids = dict(conn.execute(text("SELECT slug, id FROM section")).all())
        rows = conn.execute(text("SELECT id FROM article ORDER BY id")).scalars().all()
        for i, article_id in enumerate(rows):
            if i % 8 in (6, 7):
                sid = ids["culture" if i % 8 == 6 else "health"]
                conn.execute(text("UPDATE article SET section_id = :s WHERE id = :a"),
                             {"s": sid, "a": article_id})
                conn.execute(text("UPDATE change_scope SET section_id = :s WHERE article_id = :a"),
                             {"s": sid, "a": article_id})
    engine.dispose()


def initial_sync(base: str, key: str) -> dict[str, Any]:
    requests = size = items = 0
    since = None
    started = time.perf_counter()
    with httpx.Client(base_url=base, timeout=60, headers={"X-API-Key": key}) as client:
        while True:
            r = client.get("/v1/syndication/changes",
                           params={"limit": 100, **({"since": since} if since else {})})
            r.raise_for_status()
            requests += 1
            size += len(r.content)
            body = r.json()
            items += len(body["data"])
            since = body["meta"]["next_cursor"]
            if not body["meta"]["has_more"]:
                break
    return {"requests": requests, "bytes": size, "items": items,
            "seconds": round(time.perf_counter() - started, 2)}


def own_items(url: str, sections: list[str] | None) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    clause = "" if not sections else (
        " AND section_id IN (SELECT id FROM section WHERE slug IN ("
        + ",".join(f"'{s}'" for s in sections) + "))")
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM article WHERE status = 'published'"
                              " AND deleted_at IS NULL AND syndication = 'allowed'" + clause)
                         ).scalar_one()
    engine.dispose()
    return int(n)


def publish_to_long_poll(base: str, url: str, rounds: int) -> dict[str, Any]:
    os.environ["DATABASE_URL"] = url
    from sqlmodel import Session, select

    from app.articles import service
    from app.articles.models import ArticleCreate
    from app.authors.models import Author
    from app.core.config import get_settings
    from app.core.db import get_write_engine

    get_settings.cache_clear()
    latencies: list[float] = []
    with Session(get_write_engine(), expire_on_commit=False) as session:
        author = session.exec(select(Author.slug)).first()
        for n in range(rounds):
            draft = service.create_article(session, ArticleCreate(
                title=f"Bench breaking {n}", authors=[author], body_text="Words."),
                by=None, now=datetime.now(UTC))
            head = httpx.get(f"{base}/v1/sync", params={"since": "latest"}).json()
            answered: dict[str, float] = {}

            def hold(cursor: str = head["meta"]["next_cursor"],
                     answered: dict[str, float] = answered) -> None:
                r = httpx.get(f"{base}/v1/sync", params={"cursor": cursor, "wait": 25},
                              timeout=40)
                answered["at"] = time.perf_counter()
                answered["items"] = len(r.json()["data"])
                answered["body"] = r.text[:300]  # type: ignore[assignment]

            thread = threading.Thread(target=hold)
            thread.start()
            time.sleep(0.5)
            service.publish_article(session, draft, publish_at=None,
                                    expected_revision=draft.revision, by=None,
                                    now=datetime.now(UTC))
            committed = time.perf_counter()
            thread.join()
            assert answered.get("items"), (n, answered, answered["at"] - committed)
            latencies.append(answered["at"] - committed)
    ms = [v * 1000 for v in latencies]
    return {"rounds": rounds, "p50_ms": round(statistics.median(ms), 1),
            "p95_ms": round(percentile(ms, 95), 1), "max_ms": round(max(ms), 1)}


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    report: dict[str, Any] = {"db": args.db, "articles": args.articles,
                              "workers": args.workers}
    with database(args) as url:
        env = base_env(url)
        khabar(env, "db", "upgrade")
        khabar(env, "demo", "load", "--articles", str(args.articles))
        eight_sections(url)
        two = ["news", "culture"]
        key_two = khabar(env, "partner", "create", "two-of-eight", "--section", two[0],
                         "--section", two[1], "--rate-limit", "9999999/minute").split()[-1]
        key_all = khabar(env, "partner", "create", "all-eight",
                         "--rate-limit", "9999999/minute").split()[-1]
        with khabar_server("khabar", env, args.workers, cache=True) as server:
            report["partner_two_of_eight"] = {**initial_sync(server.base, key_two),
                                              "own_items": own_items(url, two)}
            report["partner_all"] = {**initial_sync(server.base, key_all),
                                     "own_items": own_items(url, None)}
            report["publish_to_long_poll"] = publish_to_long_poll(server.base, url, args.rounds)
    print(json.dumps(report, indent=2))
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    out = Path(RESULTS) / f"changes-{args.db}-{stamp}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
