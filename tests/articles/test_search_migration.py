"""Revisions that touch the search index, on a database with articles in it, on this run's
database: 0006 (the index rebuilt with stems, and back again on downgrade; briefs gain
`language`), 0016 (a contentless index) and 0020 (bodies packed under the index)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import create_engine, text, update
from sqlmodel import Session, col, select

from app.articles import search, search_text
from app.articles.models import Article, ArticleRevision
from app.articles.queries import ArticleFilters
from app.core.migrate import downgrade, upgrade

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
ROWS = [("a1", "ne", "नेपालको राजनीति: नयाँ मोड", "प्रधानमन्त्रीले संसदमा भने।"),
        ("a2", "en", "Ministers discuss hydropower", "The ministers met on Monday."),
        ("a3", "ne", "चुनावको तयारी", "निर्वाचन आयोगले मिति तोक्यो।")]


def _insert(conn) -> None:  # type: ignore[no-untyped-def]
    conn.execute(text("INSERT INTO section (id, slug, name) VALUES (7, 'politics', 'Politics')"))
    conn.execute(text("INSERT INTO tag (id, slug, name) VALUES (8, 'budget', 'Budget')"))
    for aid, language, title, body in ROWS:
        conn.execute(text(
            "INSERT INTO article (id, slug, title, body, body_html, body_text, language, status, "
            "published_at, created_at, updated_at, revision, word_count, reading_time_minutes, "
            "syndication) VALUES (:id, :id, :title, '[]', '', :body, :language, 'published', "
            ":at, :at, :at, 1, 5, 1, 'allowed')"),
            {"id": aid, "title": title, "body": body, "language": language,
             "at": datetime(2026, 11, 30, 6, 0)})
    conn.execute(text("UPDATE article SET section_id = 7 WHERE id = 'a1'"))
    conn.execute(text("INSERT INTO article_tag (article_id, tag_id) VALUES ('a1', 8)"))
    conn.execute(text("INSERT INTO brief (date, position, headline, created_at, updated_at) "
                      "VALUES ('2026-11-30', 0, 'A brief', :at, :at)"),
                 {"at": datetime(2026, 11, 30, 6, 0)})


def _found(engine, q: str) -> list[str]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        found = search.search_page(session, q, ArticleFilters(), now=NOW,
                                   sort="-published_at", limit=10, cursor=None)
        # The count comes from the index alone (revision 0015: on PostgreSQL a table filled
        # from the rows there before, then kept by a trigger): the same articles.
        assert (found.total, found.total_relation) == (len(found.ids), "eq")
        return sorted(found.ids)


def _old_search(engine, q: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Revision 0002's index, read as 0002's code read it (whole words, no stems)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            sql = "SELECT article_id FROM article_fts WHERE article_fts MATCH :q"
        else:
            sql = ("SELECT id FROM article WHERE search_vector @@ "
                   "plainto_tsquery('simple', :q)")
        return sorted(conn.execute(text(sql), {"q": f'"{q}"' if "sqlite" in str(engine.url)
                                               else q}).scalars())


def test_upgrade_rebuilds_the_index_and_downgrade_restores_it(scratch_url: str) -> None:
    upgrade("0002", scratch_url)
    engine = create_engine(scratch_url)
    try:
        with engine.begin() as conn:
            _insert(conn)
        assert _old_search(engine, "नेपाल") == []  # the bug: no stems before 0006
        assert _old_search(engine, "नेपालको") == ["a1"]

        upgrade("head", scratch_url)  # 0006 rebuilds the index; the app reads at head
        engine.dispose()
        assert _found(engine, "नेपाल") == ["a1"]
        assert _found(engine, "प्रधानमन्त्री") == ["a1"]
        assert _found(engine, "minister") == ["a2"]
        assert _found(engine, "चुनाव") == ["a3"]
        assert search_text.parse("चीन")
        assert _found(engine, "चीन") == []
        with engine.connect() as conn:
            assert conn.execute(text("SELECT language FROM brief")).scalar_one() == "en"
            assert conn.execute(text("SELECT names, position FROM section")).one() == (None, 0)
            assert conn.execute(text("SELECT names FROM tag")).scalar_one() is None
        # A row written after the upgrade is indexed by the new trigger / generated column.
        with engine.begin() as conn:
            conn.execute(text("UPDATE article SET title = 'चीनसँग सम्झौता' WHERE id = 'a3'"))
        assert _found(engine, "चीन") == ["a3"]

        downgrade("0002", scratch_url)
        engine.dispose()
        assert _old_search(engine, "नेपालको") == ["a1"]
        assert _old_search(engine, "नेपाल") == []
        assert _old_search(engine, "चीनसँग") == ["a3"]
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM article")).scalar_one() == 3
            assert conn.execute(text("SELECT count(*) FROM brief")).scalar_one() == 1
            assert conn.execute(text("SELECT section_id FROM article WHERE id = 'a1'")
                                ).scalar_one() == 7
            assert conn.execute(text("SELECT count(*) FROM article_tag")).scalar_one() == 1
    finally:
        engine.dispose()


def test_0016_keeps_the_index_without_its_copy_and_downgrade_makes_it_again(
        scratch_url: str) -> None:
    """Revision 0016 (SQLite: a contentless FTS5 table) on a database with articles: the same
    matches before and after, edits keep the index right, and downgrade stores the stems again
    as 0015 did. PostgreSQL: nothing changes, and the same searches answer."""
    upgrade("0015", scratch_url)
    engine = create_engine(scratch_url)
    sqlite = engine.dialect.name == "sqlite"

    def fts_tables() -> set[str]:
        with engine.connect() as conn:
            return set(conn.execute(text(
                "SELECT name FROM sqlite_master WHERE name LIKE 'article_fts%'")).scalars())

    try:
        with engine.begin() as conn:
            _insert(conn)
        before = {q: _found(engine, q) for q in ("नेपाल", "minister", "चुनाव", "monday")}
        assert before["नेपाल"] == ["a1"]
        assert before["monday"] == ["a2"]
        if sqlite:
            assert "article_fts_content" in fts_tables()

        upgrade("0016", scratch_url)
        engine.dispose()
        assert {q: _found(engine, q) for q in before} == before
        if sqlite:
            assert "article_fts_content" not in fts_tables()
        with engine.begin() as conn:  # the update trigger takes the old stems out
            conn.execute(text("UPDATE article SET body_text = 'They met on Tuesday.' "
                              "WHERE id = 'a2'"))
            conn.execute(text("DELETE FROM article_tag WHERE article_id = 'a1'"))
            conn.execute(text("DELETE FROM article WHERE id = 'a1'"))
        assert _found(engine, "monday") == []
        assert _found(engine, "tuesday") == ["a2"]
        assert _found(engine, "नेपाल") == []

        downgrade("0015", scratch_url)
        engine.dispose()
        if sqlite:
            assert "article_fts_content" in fts_tables()
            with engine.connect() as conn:
                assert conn.execute(text(
                    "SELECT body_text FROM article_fts WHERE article_id = 'a2'")).scalar_one() \
                    == search_text.index_text("en", "They met on Tuesday.")
        assert _found(engine, "tuesday") == ["a2"]
        assert _found(engine, "minister") == ["a2"]
        assert _found(engine, "चुनाव") == ["a3"]
        with engine.begin() as conn:  # 0015's triggers are back and work
            conn.execute(text("UPDATE article SET title = 'Ministers adjourn' WHERE id = 'a2'"))
        assert _found(engine, "adjourn") == ["a2"]
    finally:
        engine.dispose()


def test_0020_packs_the_bodies_keeping_the_index_and_downgrade_inflates_them(
        scratch_url: str) -> None:
    """Revision 0020 on a database with articles (SQLite: bodies deflated; PostgreSQL: nothing
    changes): the app reads the same bodies, the index is neither rebuilt nor lost, edits keep
    it right, and downgrade stores the text again."""
    upgrade("0019", scratch_url)
    engine = create_engine(scratch_url)
    sqlite = engine.dialect.name == "sqlite"

    def stored() -> tuple[set[tuple[str, ...]], set[tuple[str, ...]]]:
        """How the database stores the articles' bodies and the revisions' snapshots."""
        kind = "typeof({})" if sqlite else "pg_typeof({})::text"
        bodies, snapshot = (", ".join(kind.format(c) for c in columns)
                            for columns in (("body", "body_html", "body_text"), ("snapshot",)))
        with engine.connect() as conn:
            return (set(conn.execute(text(f"SELECT {bodies} FROM article")).all()),
                    set(conn.execute(text(f"SELECT {snapshot} FROM article_revision")).all()))

    # SQLite stores them as text up to 0019 and deflated from 0020; PostgreSQL as ever.
    unpacked = ({("text",) * 3}, {("text",)}) if sqlite else (
        {("json", "text", "text")}, {("json",)})
    packed = ({("blob",) * 3}, {("blob",)}) if sqlite else unpacked

    def bodies() -> list[tuple[object, ...]]:  # as the app reads them
        with Session(engine) as session:
            return [tuple(row) for row in session.exec(
                select(Article.id, Article.body, Article.body_text).order_by(Article.id))]

    try:
        with engine.begin() as conn:
            _insert(conn)
            conn.execute(text(
                "INSERT INTO article_revision (article_id, revision, snapshot, created_at) "
                "VALUES ('a2', 1, :snapshot, :at)"),
                {"snapshot": '{"title": "मन्त्री", "body": []}', "at": datetime(2026, 11, 30)})
        assert stored() == unpacked
        before = {q: _found(engine, q) for q in ("नेपाल", "minister", "चुनाव", "monday")}
        as_read = bodies()
        assert as_read[1] == ("a2", [], "The ministers met on Monday.")

        upgrade("0020", scratch_url)
        engine.dispose()
        assert stored() == packed
        assert bodies() == as_read
        with Session(engine) as session:
            assert session.exec(select(ArticleRevision.snapshot)).one() == {
                "title": "मन्त्री", "body": []}
        assert {q: _found(engine, q) for q in before} == before
        with Session(engine) as session:  # the update trigger is back, and unpacks the old row
            session.exec(update(Article).where(col(Article.id) == "a2").values(
                body_text="They met on Tuesday."))
            session.commit()
        assert _found(engine, "monday") == []
        assert _found(engine, "tuesday") == ["a2"]

        downgrade("0019", scratch_url)
        engine.dispose()
        assert stored() == unpacked
        with engine.connect() as conn:
            body = "body" if sqlite else "body::text"
            assert conn.execute(text(f"SELECT {body}, body_text FROM article WHERE id = 'a2'")
                                ).one() == ("[]", "They met on Tuesday.")
        assert _found(engine, "tuesday") == ["a2"]
        assert _found(engine, "नेपाल") == ["a1"]
    finally:
        engine.dispose()
