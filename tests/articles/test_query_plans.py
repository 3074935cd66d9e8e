"""The hot public statements reach their rows through an index that also gives their order, on
a database filled through the Editorial API, where nobody ran ANALYZE.

Without statistics SQLite guesses; with a standalone index on `status` it guessed that index
and sorted every live row (100 ms a page at 10,000 articles instead of 0.14 ms). PostgreSQL keeps
statistics itself, and its plan for a handful of rows is a sequential scan, so there the question
asked is whether an index serving both the filter and the order exists (sequential and bitmap
scans off).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, text
from sqlmodel import Session

from app.articles.models import Article
from app.articles.public_reads import PageShape, _detail_statement, _page_statement
from app.articles.visibility import is_due
from app.authors import counts
from app.authors.models import Author
from app.changelog import views
from app.changelog.views import Viewer
from app.core.cache import STATE_SQL
from tests.articles.newsroom import Newsroom

NOW = datetime.now(UTC)
SHAPES = {
    "list": {},
    "list after a cursor": {"cursor": True},
    "section": {"section": True},
    "language": {"language": True},
    "updated since": {"sort": "-updated_at", "updated_since": True},
}
VALUES: dict[str, Any] = {"now": NOW, "visible_at": NOW, "limit": 21, "section": 1,
                          "language": "en", "after0": NOW, "after1": "zzz", "slug": "a-story",
                          "updated_since": datetime(2020, 1, 1, tzinfo=UTC)}


def shape(dialect: str, **changes: Any) -> PageShape:
    return PageShape(**{"dialect": dialect, "sort": "-published_at", "cursor": False,
                        "section": False, "tags": 0, "author": False, "language": False,
                        "published_after": False, "published_before": False,
                        "updated_since": False, "formats": (), **changes})


@pytest.fixture
def loaded(client, newsroom: Newsroom, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    editor = newsroom.headers["editor"]
    if engine.dialect.name == "postgresql":
        # The plan is asked of a table whose size the planner has not seen: the suite empties
        # tables with DELETE, which leaves the pages (and sizes) of earlier tests behind, and
        # with those PostgreSQL may sort the few rows of "updated since" instead of walking an
        # index. TRUNCATE gives the article table back its just-migrated state.
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '10s'"))
            conn.execute(text("TRUNCATE article CASCADE"))
    for i in range(30):
        r = client.post("/v1/editorial/articles", headers=editor,
                        json={"title": f"Story {i}", "body_text": "A paragraph."})
        assert r.status_code == 201, r.text
        if i % 3:
            etag = r.headers["ETag"]
            r = client.post(f"/v1/editorial/articles/{r.json()['id']}/publish",
                            headers={**editor, "If-Match": etag})
            assert r.status_code == 200, r.text


def sqlite_plan(engine: Engine, sql: str, params: list[Any]) -> list[str]:
    # A connection of its own, with no statistics: as on a database nobody analyzed.
    db = sqlite3.connect(engine.url.database)
    try:
        if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
            db.execute("DELETE FROM sqlite_stat1")
            db.commit()
        db.close()
        db = sqlite3.connect(engine.url.database)
        return [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
    finally:
        db.close()


def postgres_plan(engine: Engine, sql: str, params: dict[str, Any],
                  *off: str) -> dict[str, Any]:
    with engine.connect() as conn:
        for method in ("seqscan", "bitmapscan", *off):
            conn.execute(text(f"SET LOCAL enable_{method} = off"))
        plan = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {sql}", params).scalar_one()
        return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def bound(engine: Engine, compiled: Any) -> dict[str, Any]:
    """The statement's parameters as the driver receives them (UTC datetimes made naive...)."""
    values = {**compiled.params, **VALUES}
    out = {}
    for bind, name in compiled.bind_names.items():
        process = bind.type.bind_processor(engine.dialect)
        out[name] = process(values[name]) if process else values[name]
    return out


@pytest.mark.usefixtures("loaded")
@pytest.mark.parametrize("name", [*SHAPES, "detail"])
def test_hot_statement_uses_an_ordered_index(engine: Engine, name: str) -> None:
    dialect = engine.dialect.name
    statement = (_detail_statement(dialect, ()) if name == "detail"
                 else _page_statement(shape(dialect, **SHAPES[name]))).stmt
    compiled = statement.compile(dialect=engine.dialect)
    params = bound(engine, compiled)
    if dialect == "sqlite":
        plan = sqlite_plan(engine, str(compiled), [params[k] for k in compiled.positiontup])
        reads = [step for step in plan if step.startswith(("SEARCH article ", "SCAN article "))]
        assert reads, plan
        assert reads[0].startswith("SEARCH article USING"), plan
        assert not any("TEMP B-TREE FOR ORDER BY" in step for step in plan), plan
        return
    plan = postgres_plan(engine, str(compiled), params)
    article_scans = [n for n in nodes(plan) if n.get("Relation Name") == "article"
                     and n.get("Alias") == "article"]
    assert article_scans, plan
    assert all("Index" in n["Node Type"] for n in article_scans), plan
    assert not any(n["Node Type"] in ("Sort", "Incremental Sort") for n in nodes(plan)), plan


@pytest.mark.usefixtures("loaded")
@pytest.mark.parametrize("name", ["a scheduled article is due", "the next one due"])
def test_the_scheduled_checks_read_only_scheduled_articles(engine: Engine, name: str) -> None:
    """Before every sync and partner feed request, each sweep and the response cache's state
    read: through `ix_article_scheduled` (a handful of rows), not a walk of every article
    published before now."""
    dialect = engine.dialect.name
    if name == "the next one due":
        statement: Any = STATE_SQL
    else:
        statement = select(Article.id).where(is_due(NOW, dialect=dialect)).limit(1)
    compiled = statement.compile(dialect=engine.dialect)
    params = bound(engine, compiled)
    if dialect == "sqlite":
        plan = sqlite_plan(engine, str(compiled), [params[k] for k in compiled.positiontup])
        reads = [step for step in plan if " article " in f"{step} " or " a " in f"{step} "]
        assert reads, plan
        assert all("USING INDEX ix_article_scheduled" in s for s in reads), plan
        return
    plan = postgres_plan(engine, str(compiled), params)
    scans = [n for n in nodes(plan) if n.get("Relation Name") == "article"]
    assert scans, plan
    assert all(n.get("Index Name") == "ix_article_scheduled" for n in scans), plan


@pytest.mark.usefixtures("loaded")
def test_a_sections_initial_sync_walks_the_change_log_in_its_order(engine: Engine,
                                                                    session: Session) -> None:
    """A partner's initial sync (a section allowlist) reads its page in `seq` order from the
    change log's index, each article by id: without the hint SQLite drove it from the
    section's index and sorted all of the section's articles, for every page. (PostgreSQL
    plans it from the statistics it keeps: on this tiny table, sorting a section is right.)"""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite plans without statistics; PostgreSQL keeps its own")
    executed: list[tuple[str, Any]] = []

    def grab(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        executed.append((statement, parameters))

    viewer = Viewer(sections=(1, 2), syndicated=True, partner_id=1)
    bind = session.get_bind()
    event.listen(bind, "before_cursor_execute", grab)
    try:
        views.initial(session, viewer, after=0, limit=101, now=NOW)
    finally:
        event.remove(bind, "before_cursor_execute", grab)
    sql, params = next((s, p) for s, p in executed if "article_change" in s)
    plan = sqlite_plan(engine, sql, list(params))
    assert plan[0].startswith("SEARCH article_change USING INDEX"), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan


@pytest.mark.usefixtures("loaded")
def test_a_bylines_count_checks_only_the_articles_not_yet_public(engine: Engine) -> None:
    """Every byline shown (a detail's, an author page's) subtracts the author's articles whose
    time has not come: found from the articles dated after now (a handful), each checked
    against the byline. PostgreSQL turned that check into a join driven from the author's
    byline list, reading every article of the author for each byline (5 ms at 1,500 articles,
    growing with them)."""
    statement = select(counts.public_count(NOW)).select_from(Author)
    compiled = statement.compile(dialect=engine.dialect)
    params = bound(engine, compiled)
    if engine.dialect.name == "sqlite":
        plan = sqlite_plan(engine, str(compiled), [params[k] for k in compiled.positiontup])
        bylines = [step for step in plan if "later_byline" in step]
        assert bylines, plan
        assert all("article_id=?" in step for step in bylines), plan
        return
    # The planner picks the join on a large archive, not on this small one; with nested loops
    # off, any join it could make of the check reads the byline list whole, while a check of
    # each article (a subplan, not a join) is unaffected.
    plan = postgres_plan(engine, str(compiled), params, "nestloop")
    bylines = [n for n in nodes(plan) if n.get("Alias") == "later_byline"]
    assert bylines, plan
    assert all("article_id" in n.get("Index Cond", "") for n in bylines), plan


def test_a_taken_slug_is_resolved_through_the_unique_index(client, newsroom: Newsroom,  # type: ignore[no-untyped-def]
                                                            engine: Engine) -> None:
    """A daily brief keeps its title: each new one asks which numbered slugs are taken. It
    asks for them by value (`-2` ... `-51`, then on), each a lookup in the unique index; a
    prefix match (`LIKE 'title-%'`) read every article on PostgreSQL and SQLite alike."""
    editor = newsroom.headers["editor"]
    slugs = []
    executed: list[tuple[str, Any]] = []

    def grab(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        executed.append((statement, parameters))

    for i in range(53):
        if i == 52:
            event.listen(engine, "before_cursor_execute", grab)
        r = client.post("/v1/editorial/articles", headers=editor,
                        json={"title": "Today's news in a nutshell", "body_text": "Briefly."})
        assert r.status_code == 201, r.text
        slugs.append(r.json()["slug"])
    event.remove(engine, "before_cursor_execute", grab)
    assert slugs == ["today-s-news-in-a-nutshell",
                     *(f"today-s-news-in-a-nutshell-{n}" for n in range(2, 54))]
    lookups = [(s, p) for s, p in executed if s.lstrip().startswith("SELECT article.slug")]
    assert len(lookups) == 2, executed  # the first batch of fifty taken, the second has one free
    for sql, params in lookups:
        if engine.dialect.name == "sqlite":
            plan = sqlite_plan(engine, sql, list(params))
            assert all(step.startswith("SEARCH article USING COVERING INDEX")
                       for step in plan), plan
        else:
            plan = postgres_plan(engine, sql, params)
            scans = [n for n in nodes(plan) if n.get("Relation Name") == "article"]
            assert scans, plan
            assert all(n.get("Index Name") == "uq_article_slug" for n in scans), plan
