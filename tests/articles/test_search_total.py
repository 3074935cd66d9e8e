"""`meta.total` is counted from the search index (app/articles/search.py, `_index_matches`):
exact up to the cap, so it must equal a count of the articles themselves, by the visibility
rule read from each row, when matching articles are drafts, killed, deleted, scheduled, due or
in the other language. And a last word longer than SQLite's longest prefix index, asked as the
terms it begins, finds what the prefix finds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.articles import search, search_text
from app.articles.models import Article, Status
from app.articles.queries import ArticleFilters
from app.articles.visibility import is_embargoed_now, is_public_now
from app.core.db import utcnow

WORD = "quokka"


@pytest.fixture
def archive(session: Session, make_article: Callable[..., Article]) -> None:
    now = utcnow()
    for n in range(4):
        make_article(f"Quokka census {n}", language="en")
    for n in range(3):
        make_article(f"Quokka {n} नेपालमा", language="ne")
    make_article("Wombat census", language="en")  # public, not matching
    # Matching, never shown: a draft, a deleted and a killed article, one scheduled later.
    make_article("Quokka draft", status="draft", language="en")
    make_article("Quokka deleted", status="deleted", language="ne")
    make_article("Quokka scheduled", status="scheduled", language="en")
    killed = make_article("Quokka killed", language="en")
    killed.status = Status.killed
    # Scheduled and due: public with no job run (visibility.is_public).
    due = make_article("Quokka due", status="scheduled", language="en")
    due.published_at = now - timedelta(minutes=5)
    session.add_all([killed, due])
    session.commit()


def brute_force(session: Session, language: str | None = None, *, early: bool = False) -> int:
    """The matching articles shown, each row read and judged in Python."""
    now = utcnow()
    shown = 0
    for a in session.exec(select(Article)).all():
        visible = is_public_now(a.status, a.published_at, a.deleted_at, now) or (
            early and is_embargoed_now(a.status, a.published_at, a.deleted_at, now))
        if visible and WORD in a.title.lower() and language in (None, a.language):
            shown += 1
    return shown


def total(session: Session, sort: str = "-relevance", **filters: object) -> tuple[int, str]:
    found = search.search_page(session, WORD, ArticleFilters(**filters), now=utcnow(),
                               sort=sort, limit=1, cursor=None)  # type: ignore[arg-type]
    return found.total, found.total_relation


@pytest.mark.usefixtures("archive")
@pytest.mark.parametrize("candidates", [2, 500], ids=["counted-apart", "all-candidates"])
def test_total_is_the_count_of_the_articles_shown(session: Session,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  candidates: int) -> None:
    # Two candidates: the matches are more, so they are counted from the index.
    monkeypatch.setattr(search, "CANDIDATES", candidates)
    expected = {None: 8, "en": 5, "ne": 3}
    for language, count in expected.items():
        assert brute_force(session, language) == count  # the fixture is what it says
        assert total(session, language=language) == (count, "eq")
        assert total(session, sort="-published_at", language=language) == (count, "eq")
    # Other filters count through the articles' rows: the same number.
    assert total(session, section="") == (8, "eq")
    assert total(session, published_after=utcnow() - timedelta(days=1)) == (8, "eq")
    # A partner with early access is also shown the scheduled one.
    assert brute_force(session, early=True) == 9
    assert total(session, early=True) == (9, "eq")


@pytest.mark.usefixtures("archive")
def test_the_count_follows_edits(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "CANDIDATES", 2)
    article = session.exec(select(Article).where(Article.title == "Quokka census 0")).one()
    article.title = "Wombat census 0"  # the index's triggers follow the row
    session.add(article)
    session.commit()
    assert brute_force(session) == 7
    assert total(session) == (7, "eq")
    article.language = "ne"
    article.title = "Quokka census 0"
    session.add(article)
    session.commit()
    assert total(session, language="ne") == (4, "eq")


@pytest.mark.usefixtures("archive")
def test_total_says_gte_past_the_cap(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "CANDIDATES", 2)
    monkeypatch.setattr(search, "TOTAL_CAP", 8)
    assert total(session) == (8, "eq")
    monkeypatch.setattr(search, "TOTAL_CAP", 7)
    assert total(session) == (7, "gte")
    assert total(session, language="en") == (5, "eq")


@pytest.mark.usefixtures("archive")
def test_meta_total_over_http(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "CANDIDATES", 2)
    meta = client.get("/v1/search", params={"q": WORD, "limit": 1}).json()["meta"]
    assert (meta["total"], meta["total_relation"]) == (8, "eq")


LONG = ["interlocutor", "interlocutors", "interlocutory"]


def test_a_long_last_word_finds_what_its_prefix_finds(
        session: Session, make_article: Callable[..., Article],
        monkeypatch: pytest.MonkeyPatch) -> None:
    ids = {make_article(f"An {word} spoke", language="en").id for word in LONG}
    make_article("An interlocution", language="en")  # shares 10 characters only
    make_article(f"A hidden {LONG[0]}", status="draft", language="en")
    terms = search_text.parse(LONG[0])
    prefix = terms.prefixes()[0]
    assert len(prefix) > search.LONGEST_PREFIX_INDEX

    def found() -> tuple[set[str], int, str]:
        page = search.search_page(session, terms, ArticleFilters(), now=utcnow(),
                                  sort="-relevance", limit=10, cursor=None)
        return set(page.ids), page.total, page.total_relation

    assert found() == (ids, 3, "eq")
    # After other words too.
    page = search.search_page(session, f"spoke {LONG[0]}", ArticleFilters(), now=utcnow(),
                              sort="-relevance", limit=10, cursor=None)
    assert (set(page.ids), page.total) == (ids, 3)
    monkeypatch.setattr(search, "CANDIDATES", 1)  # the newest ranked, all counted apart
    page, *counted = found()
    assert page < ids
    assert counted == [3, "eq"]
    monkeypatch.setattr(search, "CANDIDATES", 500)
    if session.get_bind().dialect.name == "sqlite":
        # Asked as the terms it begins, not as a prefix...
        assert sorted(search._long_prefixes(session, terms)[prefix]) == sorted(
            {search_text.stem("english", w) for w in LONG})
        assert "*" not in search.with_long_prefixes(session, terms).fts_match()
        # ... and as a prefix when they are too many: the same articles.
        monkeypatch.setattr(search, "MAX_EXPANSION", 1)
        assert search.with_long_prefixes(session, terms).fts_match().endswith('*)')
        assert found() == (ids, 3, "eq")


@pytest.mark.usefixtures("archive")
def test_the_count_reads_no_article_row(session: Session) -> None:
    """The articles left out come from indexes, on a database nobody analyzed (SQLite) and
    with sequential scans off (PostgreSQL), as tests/articles/test_query_plans.py asks."""
    from sqlalchemy import func
    from sqlalchemy import select as core_select

    from tests.articles.test_query_plans import nodes, postgres_plan, sqlite_plan

    engine = session.get_bind()
    stmt = search._index_matches(session, search_text.parse(WORD), ArticleFilters(), utcnow())
    sql = str(core_select(func.count()).select_from(stmt.subquery()).compile(
        dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    if engine.dialect.name == "sqlite":
        plan = sqlite_plan(engine, sql, [])
        reads = [step for step in plan if "article " in f"{step} " and "article_fts" not in step]
        assert reads, plan
        assert all(" INDEX " in step for step in reads), plan
        assert any("ix_article_never_public" in step for step in reads), plan
        return
    plan = postgres_plan(engine, sql, {})
    scans = [n for n in nodes(plan) if n.get("Relation Name") == "article"]
    assert scans, plan
    assert all("Index" in n["Node Type"] for n in scans), plan
    assert any(n.get("Index Name") == "ix_article_never_public" for n in scans), plan
