"""The demo loader: deterministic, idempotent, and its shortcuts store what the services would."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, func, select

from app.articles.blocks import BlockList
from app.articles.models import Article
from app.articles.service import body_columns
from app.demo.generate import compose_body, load_demo, pools

NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


class TestComposedBodies:
    def test_match_what_body_columns_computes(self) -> None:
        pool = pools()["en"]
        blocks = [*pool.paragraphs[:2], pool.headings[0], *pool.paragraphs[2:5]]
        typed = BlockList.validate_python([b.block for b in blocks])
        assert compose_body(blocks) == body_columns(typed)


class TestLoadDemo:
    def test_is_deterministic_and_idempotent(self, session: Session) -> None:
        added = load_demo(session, articles=30, now=NOW)
        assert added["articles"] == 30
        first = session.exec(select(Article.slug, Article.title, Article.body_text)
                             .order_by(Article.slug)).all()
        assert load_demo(session, articles=30, now=NOW)["articles"] == 0
        assert session.exec(select(func.count()).select_from(Article)).one() == 31
        assert session.exec(select(Article.slug, Article.title, Article.body_text)
                            .order_by(Article.slug)).all() == first

    def test_loaded_articles_are_listed_and_searchable(self, session: Session,
                                                       client: TestClient) -> None:
        load_demo(session, articles=20, now=datetime.now(UTC))
        listing = client.get("/v1/articles?limit=5").json()
        assert len(listing["data"]) == 5
        word = listing["data"][0]["title"].split()[0]
        assert client.get("/v1/search", params={"q": word}).json()["data"]

    def test_leaves_the_search_trigger_in_place(self, session: Session, is_postgres: bool) -> None:
        load_demo(session, articles=5, now=NOW)
        if not is_postgres:
            names = session.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars().all()
            assert "article_fts_ai" in names
            assert session.execute(text("SELECT count(*) FROM article_fts")).scalar_one() == 6
