"""Property: an author's public article count (stored live count less the articles whose time
has not come, `app/authors/counts.py`) equals a COUNT under the visibility rule after every kind
of write, with or without the scheduled-publication sweep; and what the public API shows
through the response cache (author pages, bylines of details) is that count."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import event, func
from sqlmodel import Session, col, select

from app.articles import service as articles_service
from app.articles.models import Article, ArticleCreate, ArticleUpdate
from app.articles.visibility import is_public
from app.authors import counts
from app.authors.models import ArticleAuthor, Author
from app.changelog.schedule import sweep
from app.core.listing import now as now_dependency
from tests.syndication.test_convergence import Clock, prop, reset

AUTHORS = ("a", "b", "c")
slot = st.integers(min_value=0, max_value=5)
byline = st.lists(st.sampled_from(AUTHORS), min_size=1, max_size=2, unique=True)
operations = st.lists(st.one_of(
    st.tuples(st.just("create"), byline, st.booleans()),
    st.tuples(st.just("publish"), slot),
    st.tuples(st.just("schedule"), slot),
    st.tuples(st.just("tick"), st.booleans()),  # the clock passes; the sweep runs or not
    st.tuples(st.just("unpublish"), slot),
    st.tuples(st.just("kill"), slot),
    st.tuples(st.just("delete"), slot),
    st.tuples(st.just("restore"), slot),
    st.tuples(st.just("byline"), slot, byline),
    st.tuples(st.just("edit"), slot),
), min_size=1, max_size=10)


def apply(session: Session, op: tuple[Any, ...], clock: Clock) -> None:
    now = clock()
    kind = op[0]
    if kind == "create":
        article = articles_service.create_article(
            session, ArticleCreate(title="T", authors=op[1], body_text="Words."), by=None,
            now=now)
        if op[2]:
            articles_service.publish_article(session, article, publish_at=None,
                                             expected_revision=article.revision, by=None, now=now)
        return
    if kind == "tick":
        clock.offset += timedelta(hours=2)
        if op[1]:
            sweep(session, clock())
        return
    existing = session.exec(select(Article).order_by(Article.created_at, Article.id)).all()
    if not existing:
        return
    article = existing[op[1] % len(existing)]
    deleted, killed = article.deleted_at is not None, article.status == "killed"
    live = article.status in ("published", "scheduled")
    if deleted and kind not in ("restore", "delete"):
        return
    common: dict[str, Any] = {"expected_revision": article.revision, "by": None, "now": now}
    if kind in ("publish", "schedule") and not killed:
        at = now + timedelta(hours=1) if kind == "schedule" else None
        articles_service.publish_article(session, article, publish_at=at, **common)
    elif kind == "unpublish" and live:
        articles_service.unpublish_article(session, article, **common)
    elif kind == "kill" and live:
        articles_service.kill_article(session, article, reason="Legal", **common)
    elif kind == "delete" and not deleted:
        articles_service.delete_article(session, article, **common)
    elif kind == "restore" and (deleted or killed):
        articles_service.restore_article(session, article, **common)
    elif kind == "byline" and not killed:
        articles_service.update_article(session, article, ArticleUpdate(authors=op[2]), **common)
    elif kind == "edit" and not killed:
        articles_service.update_article(session, article, ArticleUpdate(title="T2"), **common)


def truth(session: Session, clock: Clock) -> dict[str, int]:
    """COUNT(*) under the visibility rule: what the stored count must equal."""
    now = clock()
    found = dict(session.exec(
        select(Author.slug, func.count(col(Article.id)))
        .join(ArticleAuthor, col(ArticleAuthor.author_id) == Author.id)
        .join(Article, col(Article.id) == ArticleAuthor.article_id)
        .where(is_public(now)).group_by(Author.slug)).all())
    return {slug: found.get(slug, 0) for slug in AUTHORS}


@prop(60)
@given(ops=operations)
# Unpublished after its time came, before the sweep recorded its publication: the pages that
# showed it (an author page counting it) stayed cached.
@example(ops=[("create", ["a"], False), ("schedule", 0), ("tick", False), ("unpublish", 0)])
def test_the_count_equals_the_truth_after_every_write(engine, session: Session, app, client,  # type: ignore[no-untyped-def]
                                                     ops) -> None:
    session.rollback()
    session.expunge_all()
    reset(engine)
    clock = Clock()
    app.dependency_overrides[now_dependency] = clock
    now = clock()
    session.add_all([Author(slug=s, name=s.upper(), created_at=now, updated_at=now)
                     for s in AUTHORS])
    session.commit()
    for op in ops:
        apply(session, op, clock)
        session.expire_all()
        expected = truth(session, clock)
        stored = dict(session.exec(select(Author.slug, counts.public_count(clock()))).all())
        assert stored == expected, (op, stored, expected)
        for slug, n in expected.items():  # through the response cache, as readers see it
            page = client.get(f"/v1/authors/{slug}")
            assert (page.json()["article_count"] if page.status_code == 200 else 0) == n, op
        listed = {a["slug"]: a["article_count"] for a in client.get("/v1/authors").json()["data"]}
        assert listed == {slug: n for slug, n in expected.items() if n}, op
        public = session.exec(select(Article.slug).where(is_public(clock()))).all()
        for slug in public:
            detail = client.get(f"/v1/articles/{slug}").json()
            assert {a["slug"]: a["article_count"] for a in detail["authors"]} == {
                a["slug"]: expected[a["slug"]] for a in detail["authors"]}, op
        session.rollback()


def test_a_write_moves_its_authors_counts_without_counting_their_archive(
        session: Session) -> None:
    """A desk byline carries thousands of articles: a publish, unpublish or byline change adds
    and subtracts what the written article counts for; it never counts the author's archive
    again (that read every article row of the author, a cost that grew with the archive)."""
    now = Clock()()
    session.add_all([Author(slug=s, name=s.upper(), created_at=now, updated_at=now)
                     for s in AUTHORS])
    session.commit()
    for _ in range(3):
        old = articles_service.create_article(
            session, ArticleCreate(title="Old", authors=["a"], body_text="Words."), by=None,
            now=now)
        articles_service.publish_article(session, old, publish_at=None,
                                         expected_revision=old.revision, by=None, now=now)
    article = articles_service.create_article(
        session, ArticleCreate(title="New", authors=["a", "b"], body_text="Words."), by=None,
        now=now)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    bind = session.get_bind()
    event.listen(bind, "before_cursor_execute", seen)
    try:
        article = articles_service.publish_article(
            session, article, publish_at=None, expected_revision=article.revision, by=None,
            now=now)
        articles_service.update_article(session, article, ArticleUpdate(authors=["b", "c"]),
                                        expected_revision=article.revision, by=None, now=now)
    finally:
        event.remove(bind, "before_cursor_execute", seen)
    stored = dict(session.exec(select(Author.slug, Author.live_articles)).all())
    assert stored == {"a": 3, "b": 1, "c": 1}
    assert not [s for s in statements if "count(" in s.lower() and "article_author" in s], (
        statements)
