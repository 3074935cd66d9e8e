"""Search at scale: `GET /v1/search` latency next to a plain list request, measured in one run.

    python -m bench.search [--db sqlite,postgres] [--articles 100000] [--rounds 60]
                           [--reuse] [--compare PATH]

Per database: a corpus of `--articles` (the demo loader: a fifth in Nepali) is built once (kept
under var/bench, or as a PostgreSQL database, for `--reuse`); the time and size of the search
index are measured by building it again beside the live one (SQLite: a scratch FTS5 table
filled as the migration fills `article_fts`; PostgreSQL: the tsvectors computed again and each
search index rebuilt with REINDEX). Then `khabar serve` (one worker, response cache off) answers
one client, one request at a time, in rounds: each round asks the baseline
(`/v1/articles?limit=20`) and every query once, in a shuffled order, so whatever else the
machine is doing weighs on both alike. Reported: p50/p95 of one-word queries and of three-word
queries whose last word is a prefix, in Nepali and English, and their ratio to the baseline's;
one-word queries also by kind: common words (in 10,000 articles or more: `meta.total` counts to
its cap), rarer ones (1 to 4,000 articles) and long ones (longer than SQLite's longest prefix
index, 10 characters).

The demo vocabulary has no common word of more than 10 characters, and Nepali news has many
(प्रधानमन्त्री, 13): after loading, the harness appends one to the titles of some articles
(`LONG_WORDS`), the same ones in every corpus (chosen by the length of their body, which the
seeded loader fixes).

`--compare PATH` serves a second source tree (e.g. `git archive main | tar -x -C var/base`) in
the same rounds, from a corpus that tree builds itself (its own migrations and loader: the same
articles, its own index): the ratio of this tree's search to that one's, its index figures, and
whether both return the same first pages and `meta.total`.

Results also go to bench/results/<date>-search-<db>-<articles>-<commit>.json.
"""

# ruff: noqa: T201  (a command-line report: printing is its output)
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.run import DEFAULT_PG, RESULTS, base_env, cpu_model, git_commit, percentile
from bench.servers import ROOT, Server, khabar, khabar_server

# Words of the demo vocabulary (app/demo/generate.py), as a reader types them: common ones
# (80% of the English articles, every Nepali one), rarer ones (one article for the English,
# 4,000 for the Nepali: a title's word), and the long words the harness adds (`LONG_WORDS`).
ONE_WORD_KINDS = {
    "common": {"en": ["budget", "health", "kathmandu"], "ne": ["सरकार", "बजेट", "पर्यटन"]},
    "rare": {"en": ["relationship", "interlocutor"], "ne": ["पोखरा", "जलविद्युत"]},
    "long": {"en": ["infrastructure"], "ne": ["प्रधानमन्त्री"]},
}
ONE_WORD = {lang: [q for kind in ONE_WORD_KINDS.values() for q in kind[lang]]
            for lang in ("en", "ne")}
THREE_WORDS = {"en": ["school health minis", "government budget pol", "council water proj",
                      "government budget infrastruct"],
               "ne": ["सरकार बजेट विका", "जनता नीति निर्वा", "संसद अर्थतन्त्र पर्य",
                      "सरकार बजेट प्रधानमन्त्र"]}
# Appended to the titles of the articles in `language` whose body's length is a multiple of
# `every`: a third of the Nepali ones, a sixth of the English ones.
LONG_WORDS = [("ne", "प्रधानमन्त्री", 3), ("en", "infrastructure", 6)]
BASELINE = "/v1/articles?limit=20"
SEARCH_LIMIT = 20


@dataclass
class Figures:
    requests: int
    p50_ms: float
    p95_ms: float
    max_ms: float


@dataclass
class ServerReport:
    name: str
    baseline: Figures | None = None
    one_word: Figures | None = None
    three_words: Figures | None = None
    one_word_kinds: dict[str, Figures | None] = field(default_factory=dict)
    per_query_p50_ms: dict[str, float] = field(default_factory=dict)
    totals: dict[str, list[Any]] = field(default_factory=dict)  # q -> [total, relation]
    first_page: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class EngineReport:
    db: str
    articles: int
    load_seconds: float | None = None
    index: dict[str, Any] = field(default_factory=dict)
    compare_index: dict[str, Any] = field(default_factory=dict)
    servers: list[ServerReport] = field(default_factory=list)
    same_answers: bool | None = None
    differences: list[str] = field(default_factory=list)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both")
    p.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG),
                   help="an admin URL; the harness creates its own database")
    p.add_argument("--articles", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=60, help="each query is asked once a round")
    p.add_argument("--reuse", action="store_true",
                   help="keep the corpus for the next run, and use the one kept by the last")
    p.add_argument("--compare", type=Path, default=None,
                   help="another source tree to serve from the same database")
    p.add_argument("--seed", type=int, default=14)
    args = p.parse_args(argv)
    args.dbs = [d.strip() for d in args.db.split(",") if d.strip()]
    if not args.dbs or set(args.dbs) - {"sqlite", "postgres"}:
        p.error("--db takes sqlite, postgres or both")
    return args


@contextmanager
def corpus_url(args: argparse.Namespace, db: str, tag: str) -> Iterator[tuple[str, bool]]:
    """The database's URL, and whether it already holds the corpus (`--reuse`)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"search_{args.articles}{tag}"
    if db == "sqlite":
        path = ROOT / "var" / "bench" / f"{name}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        ready = args.reuse and path.exists() and Path(f"{path}.ready").exists()
        if not ready:
            for suffix in ("", "-wal", "-shm", ".ready"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        try:
            yield f"sqlite:///{path}", ready
            if args.reuse:
                Path(f"{path}.ready").touch()
        finally:
            if not args.reuse:
                for suffix in ("", "-wal", "-shm", ".ready"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    admin_url = make_url(args.pg_url)
    database = f"khabar_bench_{name}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                              {"n": database}).scalar() is not None
        ready = args.reuse and exists and conn.execute(text(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :n"),
            {"n": database}).scalar() == "ready"
        if not ready:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{database}"'))
    try:
        yield admin_url.set(database=database).render_as_string(hide_password=False), ready
        if args.reuse:
            with admin.connect() as conn:
                conn.execute(text(f"COMMENT ON DATABASE \"{database}\" IS 'ready'"))
    finally:
        if not args.reuse:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def env_for(url: str, source: Path) -> dict[str, str]:
    # The `khabar` script imports the installed package: PYTHONPATH picks the tree served.
    return {**base_env(url), "PYTHONPATH": str(source), "KHABAR_RESPONSE_CACHE": "false"}


def build(env: dict[str, str], articles: int, db: str, url: str) -> float:
    khabar(env, "db", "upgrade")
    started = time.perf_counter()
    khabar(env, "demo", "load", "--articles", str(articles))
    seconds = time.perf_counter() - started
    if db == "postgres":
        from sqlalchemy import create_engine, text

        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("VACUUM ANALYZE"))  # as autovacuum would, soon after a bulk load
        engine.dispose()
    return seconds


def lengthen(db: str, url: str) -> None:
    """`LONG_WORDS` in some titles, once per corpus (the triggers update the search index)."""
    from sqlalchemy import create_engine, text

    import app.core.db  # noqa: F401  (SQLite connections get the triggers' functions)

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    # The same articles as before bodies were packed on SQLite (revision 0020).
    body_length = "length(khabar_unpack(body_text))" if db == "sqlite" else "length(body_text)"
    with engine.connect() as conn:
        language, word, _ = LONG_WORDS[0]
        if conn.execute(text("SELECT 1 FROM article WHERE language = :l AND title LIKE :w"),
                        {"l": language, "w": f"% {word}"}).first() is None:
            started = time.perf_counter()
            for language, word, every in LONG_WORDS:
                conn.execute(text("UPDATE article SET title = title || ' ' || :w "
                                  f"WHERE language = :l AND {body_length} % :n = 0"),
                             {"w": word, "l": language, "n": every})
            if db == "postgres":
                conn.execute(text("VACUUM ANALYZE"))
            print(f"  long words added in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    engine.dispose()


def index_figures(db: str, url: str) -> dict[str, Any]:
    """The search index built again from the articles: seconds and bytes."""
    return _sqlite_index(url) if db == "sqlite" else _postgres_index(url)


def _sqlite_index(url: str) -> dict[str, Any]:
    import sqlite3

    from app.core.db import add_sqlite_functions

    conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    add_sqlite_functions(conn)

    def size(prefix: str) -> int:
        return int(conn.execute("SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE ?",
                                (f"{prefix}%",)).fetchone()[0])

    ddl = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'article_fts'").fetchone()[0]
    scratch = ddl.replace("article_fts", "bench_fts", 1)
    columns = "rowid, article_id, title, excerpt, body_text"
    fill = (f"INSERT INTO bench_fts ({columns}) SELECT rowid, id, "
            "khabar_search_text(language, title), "
            "khabar_search_text(language, coalesce(excerpt, '')), "
            "khabar_search_text(language, body_text) FROM article")
    conn.execute("DROP TABLE IF EXISTS bench_fts")
    started = time.perf_counter()
    conn.execute("BEGIN")
    conn.execute(scratch)
    conn.execute(fill)
    conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    built = size("bench_fts")
    conn.execute("DROP TABLE bench_fts")
    live = {row[0]: row[1] for row in conn.execute(
        "SELECT name, sum(pgsize) FROM dbstat WHERE name LIKE 'article_fts%' GROUP BY name")}
    conn.close()
    return {"build_seconds": round(seconds, 2), "bytes": built,
            "live_bytes": sum(live.values()), "tables": live,
            "note": "FTS5 table filled from article (stems computed in Python), as migration "
                    "0006 fills it"}


def _postgres_index(url: str) -> dict[str, Any]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        expression = conn.execute(text(
            "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a "
            "ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
            "WHERE d.adrelid = 'article'::regclass AND a.attname = 'search_vector'")).scalar_one()
        started = time.perf_counter()
        conn.execute(text(f"SELECT sum(length({expression})) FROM article"))
        vectors = time.perf_counter() - started
        vector_bytes = conn.execute(text(
            "SELECT sum(pg_column_size(search_vector)) FROM article")).scalar_one()
        indexes = conn.execute(text(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'article' AND "
            "(indexdef LIKE '%search_vector%' OR indexname LIKE '%search%')")).scalars().all()
        built: dict[str, Any] = {}
        for name in indexes:
            started = time.perf_counter()
            conn.execute(text(f'REINDEX INDEX "{name}"'))
            built[name] = {"build_seconds": round(time.perf_counter() - started, 2),
                           "bytes": conn.execute(text("SELECT pg_relation_size(:n)"),
                                                 {"n": name}).scalar_one()}
        # Revision 0014's lexemes table (the count's), where the tree has it: filled again
        # in a scratch table as the migration fills it, its GIN index built there.
        lexemes: dict[str, Any] = {}
        if conn.execute(text("SELECT to_regclass('article_lexemes')")).scalar() is not None:
            conn.execute(text("DROP TABLE IF EXISTS bench_lexemes"))
            started = time.perf_counter()
            conn.execute(text("CREATE TABLE bench_lexemes AS "
                              "SELECT id, language, strip(search_vector) AS lexemes FROM article"))
            filled = time.perf_counter() - started
            started = time.perf_counter()
            conn.execute(text("CREATE INDEX bench_lexemes_gin ON bench_lexemes "
                              "USING gin (lexemes)"))
            indexed = time.perf_counter() - started
            lexemes = {"fill_seconds": round(filled, 2), "index_seconds": round(indexed, 2),
                       "table_bytes": conn.execute(text(
                           "SELECT pg_total_relation_size('bench_lexemes')")).scalar_one(),
                       "index_bytes": conn.execute(text(
                           "SELECT pg_relation_size('bench_lexemes_gin')")).scalar_one(),
                       "live_bytes": conn.execute(text(
                           "SELECT pg_total_relation_size('article_lexemes')")).scalar_one()}
            conn.execute(text("DROP TABLE bench_lexemes"))
    engine.dispose()
    extra_seconds = lexemes.get("fill_seconds", 0) + lexemes.get("index_seconds", 0)
    extra_bytes = lexemes.get("table_bytes", 0)  # with its index
    return {"build_seconds": round(vectors + sum(b["build_seconds"] for b in built.values())
                                   + extra_seconds, 2),
            "bytes": int(vector_bytes) + sum(b["bytes"] for b in built.values()) + extra_bytes,
            "vectors_seconds": round(vectors, 2), "vectors_bytes": int(vector_bytes),
            "indexes": built, "lexemes": lexemes,
            "note": "tsvectors computed again (the generated column's expression) plus REINDEX "
                    "of each search index, plus article_lexemes (revision 0014) filled and "
                    "indexed again in a scratch table where the tree has it"}


def _figures(values: list[float]) -> Figures | None:
    if not values:
        return None
    return Figures(len(values), round(percentile(values, 50), 2), round(percentile(values, 95), 2),
                   round(max(values), 2))


def measure(servers: list[Server], rounds: int, seed: int) -> list[ServerReport]:
    kind_of = {q: kind for kind, by_lang in ONE_WORD_KINDS.items()
               for qs in by_lang.values() for q in qs}
    queries = [(q, "one") for qs in ONE_WORD.values() for q in qs]
    queries += [(q, "three") for qs in THREE_WORDS.values() for q in qs]
    reports = [ServerReport(s.name) for s in servers]
    timings: dict[tuple[int, str], list[float]] = {}
    clients = [httpx.Client(base_url=s.base, timeout=60) for s in servers]
    plan = [(i, BASELINE, None) for i in range(len(servers))]
    plan += [(i, "/v1/search", q) for i in range(len(servers)) for q, _ in queries]
    rng = random.Random(seed)
    try:
        for i, path, q in plan * 3:  # warm-up: caches, prepared statements, imports
            clients[i].get(path, params={"q": q, "limit": SEARCH_LIMIT} if q else None)
        for i, path, q in plan:
            if q is None:
                continue
            body = clients[i].get(path, params={"q": q, "limit": SEARCH_LIMIT}).json()
            reports[i].totals[q] = [body["meta"]["total"], body["meta"]["total_relation"]]
            reports[i].first_page[q] = [item["id"] for item in body["data"]]
        for _ in range(rounds):
            order = plan[:]
            rng.shuffle(order)
            for i, path, q in order:
                started = time.perf_counter()
                response = clients[i].get(path, params={"q": q, "limit": SEARCH_LIMIT}
                                          if q else None)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise RuntimeError(f"{servers[i].name} {path} {q!r}: {response.status_code}")
                timings.setdefault((i, q or BASELINE), []).append(elapsed)
    finally:
        for client in clients:
            client.close()
    for i, report in enumerate(reports):
        report.baseline = _figures(timings[(i, BASELINE)])
        report.one_word = _figures([t for q, k in queries if k == "one" for t in timings[(i, q)]])
        report.three_words = _figures([t for q, k in queries if k == "three"
                                       for t in timings[(i, q)]])
        report.one_word_kinds = {kind: _figures([t for q, k in queries
                                                 if k == "one" and kind_of[q] == kind
                                                 for t in timings[(i, q)]])
                                 for kind in ONE_WORD_KINDS}
        report.per_query_p50_ms = {q: round(percentile(timings[(i, q)], 50), 2)
                                   for q, _ in queries}
    return reports


@dataclass
class Source:
    name: str
    tree: Path
    tag: str  # of the corpus' name


def run_engine(args: argparse.Namespace, db: str) -> EngineReport:
    report = EngineReport(db=db, articles=args.articles)
    sources = [Source("this tree", ROOT, "")]
    if args.compare:
        sources.append(Source(f"compare: {args.compare}", args.compare.resolve(), "_compare"))
    with ExitStack() as stack:
        urls = []
        for source in sources:
            url, ready = stack.enter_context(corpus_url(args, db, source.tag))
            env = env_for(url, source.tree)
            if ready:
                khabar(env, "db", "upgrade")
                print(f"{db}, {source.name}: reusing the corpus of {args.articles:,} articles",
                      file=sys.stderr)
            else:
                print(f"{db}, {source.name}: loading {args.articles:,} articles ...",
                      file=sys.stderr)
                seconds = round(build(env, args.articles, db, url), 1)
                report.load_seconds = report.load_seconds or seconds
            lengthen(db, url)
            figures = index_figures(db, url)
            print(f"  index: {figures['build_seconds']} s, {figures['bytes'] / 2**20:.1f} MiB",
                  file=sys.stderr)
            if source.tag:
                report.compare_index = figures
            else:
                report.index = figures
            urls.append(url)
        servers = [stack.enter_context(khabar_server(source.name, env_for(url, source.tree), 1,
                                                     cache=False))
                   for source, url in zip(sources, urls, strict=True)]
        report.servers = measure(servers, args.rounds, args.seed)
    if len(report.servers) == 2:
        ours, theirs = report.servers
        report.differences = [
            f"{q!r}: total {ours.totals[q]} vs {theirs.totals[q]}"
            for q in ours.totals if ours.totals[q] != theirs.totals[q]] + [
            f"{q!r}: first page differs" for q in ours.first_page
            if ours.first_page[q] != theirs.first_page[q]]
        report.same_answers = not report.differences
    return report


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:5.2f}" if a and b else "    -"


def print_report(reports: list[EngineReport], args: argparse.Namespace) -> None:
    print(f"\nsearch at {args.articles:,} articles (a fifth Nepali), one client, "
          f"{args.rounds} rounds; CPU {cpu_model()}; commit {git_commit()[:12]}")
    for r in reports:
        index = r.index
        print(f"\n{r.db}: index built in {index['build_seconds']} s, "
              f"{index['bytes'] / 2**20:.1f} MiB"
              + (f" (compared tree: {r.compare_index['build_seconds']} s, "
                 f"{r.compare_index['bytes'] / 2**20:.1f} MiB)" if r.compare_index else "")
              + (f"; corpus loaded in {r.load_seconds} s" if r.load_seconds else ""))
        print(f"| {'server':<28} | {'kind':<24} | {'p50 ms':>7} | {'p95 ms':>7} "
              f"| {'p50 x base':>10} | {'p95 x base':>10} |")
        print("|" + "-" * 30 + "|" + "-" * 26 + ("|" + "-" * 9) * 2 + ("|" + "-" * 12) * 2 + "|")
        for s in r.servers:
            base = s.baseline
            kinds = [("baseline: list, 20", base), ("search, one word", s.one_word)]
            kinds += [(f"  one word, {k}", f) for k, f in s.one_word_kinds.items()]
            kinds += [("search, 3 words, prefix", s.three_words)]
            for kind, f in kinds:
                if f is None or base is None:
                    continue
                print(f"| {s.name[:28]:<28} | {kind:<24} | {f.p50_ms:7.1f} | {f.p95_ms:7.1f} "
                      f"| {_ratio(f.p50_ms, base.p50_ms):>10} "
                      f"| {_ratio(f.p95_ms, base.p95_ms):>10} |")
        if len(r.servers) == 2:
            ours, theirs = r.servers
            pairs = [("one word", ours.one_word, theirs.one_word)]
            pairs += [(f"one word, {k}", f, theirs.one_word_kinds.get(k))
                      for k, f in ours.one_word_kinds.items()]
            pairs += [("three words", ours.three_words, theirs.three_words)]
            for kind, a, b in pairs:
                if a and b:
                    print(f"  {kind}: this tree / compared: "
                          f"p50 {_ratio(a.p50_ms, b.p50_ms).strip()}, "
                          f"p95 {_ratio(a.p95_ms, b.p95_ms).strip()}")
            print("  same first pages and totals" if r.same_answers
                  else f"  answers differ: {r.differences}")
        for s in r.servers:
            print(f"  {s.name}: per query p50 ms {s.per_query_p50_ms}; totals {s.totals}")


def save(reports: list[EngineReport], args: argparse.Namespace) -> Path:
    RESULTS.mkdir(exist_ok=True)
    commit = git_commit()
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M")
    dbs = "-".join(r.db for r in reports)
    path = RESULTS / f"{stamp}-search-{dbs}-{args.articles}-{commit[:12]}.json"
    path.write_text(json.dumps({
        "commit": commit, "cpu": cpu_model(), "date": datetime.now(UTC).isoformat(),
        "articles": args.articles, "rounds": args.rounds,
        "compare": str(args.compare) if args.compare else None,
        "queries": {"one_word": ONE_WORD_KINDS, "three_words": THREE_WORDS, "baseline": BASELINE,
                    "long_words": LONG_WORDS},
        "engines": [asdict(r) for r in reports]}, indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    reports = [run_engine(args, db) for db in args.dbs]
    print_report(reports, args)
    print(f"\nwrote {save(reports, args).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
