"""`GET /v1/search`: ranked full text on SQLite FTS5 and PostgreSQL, in any script."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from app.articles import service as articles_service
from app.articles.models import Article, ArticleUpdate
from app.core.db import utcnow
from tests.articles.test_content_api import assert_problem, walk

T0 = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)


def found(client: TestClient, q: str, **params: Any) -> list[str]:
    response = client.get("/v1/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return [item["slug"] for item in response.json()["data"]]


class TestRanking:
    def test_title_hit_outranks_body_only_hit(
        self, client: TestClient, make_article: Callable[..., Article]
    ) -> None:
        # The body-only hit is the newer one and mentions the word more, so neither date nor
        # term frequency can put the title hit first: only the field weights can.
        title_hit = make_article(
            "Zephyr winds reach the valley",
            published_at=T0,
            body_text="Weather report for the week.",
        )
        body_hit = make_article(
            "A weekly roundup",
            published_at=T0 + timedelta(hours=1),
            body_text="Late in the day a zephyr came, then another zephyr.",
        )
        make_article("Unrelated", body_text="Nothing to see.")
        assert found(client, "zephyr") == [title_hit.slug, body_hit.slug]
        assert found(client, "ZEPHYR") == [title_hit.slug, body_hit.slug]

    def test_every_word_must_match(
        self, client: TestClient, make_article: Callable[..., Article]
    ) -> None:
        both = make_article("Monsoon and landslides", body_text="Rain everywhere.")
        make_article("Monsoon arrives", body_text="Rain everywhere.")
        assert found(client, "monsoon landslides") == [both.slug]

    def test_excerpt_is_searched(
        self, client: TestClient, make_article: Callable[..., Article]
    ) -> None:
        article = make_article("Plain title", excerpt="The quetzal story")
        assert found(client, "quetzal") == [article.slug]

    def test_devanagari(self, client: TestClient, make_article: Callable[..., Article]) -> None:
        nepali = make_article(
            "काठमाडौंमा भारी वर्षा",
            language="ne",
            body_text="उपत्यकामा आज दिनभर पानी पर्‍यो। बाढीको खतरा छ।",
        )
        make_article("Rain in Kathmandu", body_text="It rained all day in the valley.")
        assert found(client, "वर्षा") == [nepali.slug]
        assert found(client, "उपत्यकामा") == [nepali.slug]
        assert found(client, "वर्षा", language="ne") == [nepali.slug]
        assert found(client, "वर्षा", language="en") == []

    def test_pull_quotes_are_not_searched(
        self, client: TestClient, make_article: Callable[..., Article]
    ) -> None:
        article = make_article(
            "With a pull quote",
            body=[
                {"type": "paragraph", "text": "The ordinary paragraph talks about budgets."},
                {"type": "pullquote", "text": "Axolotl wisdom is rare"},
            ],
        )
        assert found(client, "budgets") == [article.slug]
        assert found(client, "axolotl") == []

    def test_drafts_are_not_found(
        self, client: TestClient, make_article: Callable[..., Article]
    ) -> None:
        make_article("Secret okapi plan", status="draft")
        assert found(client, "okapi") == []


class TestIndexUpkeep:
    def test_an_edit_or_a_delete_leaves_no_words_behind(
        self, client: TestClient, make_article: Callable[..., Article], session: Session
    ) -> None:
        """SQLite's index is contentless: the triggers remove a row by recomputing the stems it
        was indexed with. A removal with other stems would leave the old words findable."""
        edited = make_article("Quokka sightings", body_text="A quokka in the garden.")
        removed = make_article("Quokka census", language="ne", body_text="उपत्यकामा क्वोक्का।")
        articles_service.update_article(
            session, edited, ArticleUpdate(title="Wombat sightings",
                                           body_text="A wombat in the garden."),
            expected_revision=edited.revision, by=None, now=utcnow())
        assert found(client, "quokka") == [removed.slug]
        assert found(client, "wombat") == [edited.slug]
        assert found(client, "garden") == [edited.slug]
        for table in ("article_author", "article_tag", "article_revision", "article_change",
                      "change_scope", "article"):
            column = "id" if table == "article" else "article_id"
            session.execute(text(f"DELETE FROM {table} WHERE {column} = :id"), {"id": removed.id})
        session.commit()
        # Words not searched before (an answer may be cached until the next recorded change).
        assert found(client, "census") == []
        assert found(client, "उपत्यकामा") == []
        if session.get_bind().dialect.name == "sqlite":
            # Nothing but the index is kept: no copy of the stems (revision 0016).
            assert session.execute(text(
                "SELECT count(*) FROM sqlite_master WHERE name = 'article_fts_content'")
            ).scalar_one() == 0
            session.execute(text(
                "INSERT INTO article_fts (article_fts, rank) VALUES ('integrity-check', 1)"))


class TestQuerySyntax:
    @pytest.mark.parametrize(
        "q",
        [
            '"',
            '""',
            '"unbalanced',
            "*",
            "zephyr*",
            "NEAR",
            "NEAR(a b)",
            "a NEAR b",
            "-",
            "-zephyr",
            ":",
            "title:zephyr",
            "(",
            ")",
            "((a)",
            "a AND",
            "OR",
            "NOT",
            "AND OR NOT",
            "^",
            "a & b",
            "a | b",
            "!a",
            "a <-> b",
            "'",
            "''",
            "\\",
            "%",
            "_",
            "{}",
            "[]",
            "zephyr:*",
            "a:B",
            "\u200d",
            "ि",
            "🙂",
            "a" * 200,
            "a " * 100,
            "'; DROP TABLE article; --",
        ],
    )
    def test_never_a_server_error(
        self, client: TestClient, make_article: Callable[..., Article], q: str
    ) -> None:
        make_article("Zephyr and friends", body_text="a b title NEAR and zephyr")
        response = client.get("/v1/search", params={"q": q})
        assert response.status_code == 200, response.text
        assert "data" in response.json()

    def test_operator_characters_are_words(
        self, client: TestClient, make_article: Callable[..., Article]
    ) -> None:
        article = make_article("Zephyr season", body_text="Breezes.")
        assert found(client, '"zephyr"') == [article.slug]
        assert found(client, "zephyr*") == [article.slug]
        assert found(client, "-zephyr") == [article.slug]  # not a NOT
        assert found(client, "title:zephyr") == []  # a word "title" too, not a column filter

    @pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "x" * 201}])
    def test_missing_or_oversized_q(self, client: TestClient, params: dict[str, str]) -> None:
        assert_problem(client.get("/v1/search", params=params), 422)

    @pytest.mark.parametrize("sort", ["title", "relevance", "updated_at"])
    def test_unknown_sort(self, client: TestClient, sort: str) -> None:
        assert_problem(client.get("/v1/search", params={"q": "x", "sort": sort}), 400)

    def test_bad_cursor(self, client: TestClient, make_article: Callable[..., Article]) -> None:
        for _ in range(3):
            make_article("Zephyr again")
        cursor = client.get("/v1/search?q=zephyr&limit=1").json()["meta"]["next_cursor"]
        assert cursor
        assert_problem(client.get("/v1/search", params={"q": "zephyr", "cursor": "nope"}), 400)
        assert_problem(
            client.get(
                "/v1/search", params={"q": "zephyr", "cursor": cursor, "sort": "-published_at"}
            ),
            400,
        )
        assert_problem(client.get("/v1/articles", params={"cursor": cursor}), 400)


class TestPagingAndFilters:
    @pytest.fixture
    def corpus(
        self,
        make_article: Callable[..., Article],
        make_section: Callable[..., Any],
        make_author: Callable[..., Any],
    ) -> list[Article]:
        make_section("news")
        make_section("opinion")
        writer = make_author("Search Writer")
        out = []
        for i in range(23):
            # Varied term frequency gives varied ranks; repeats give equal ranks (id breaks ties).
            out.append(
                make_article(
                    f"Glacier report {i}" if i % 5 == 0 else f"Report {i}",
                    body_text=" ".join(["glacier"] * (1 + i % 3)) + " melting fast.",
                    section="news" if i % 2 else "opinion",
                    tags=["climate"] if i % 3 else ["ice"],
                    **({"authors": [writer.slug]} if i % 4 == 0 else {}),
                    language="ne" if i == 7 else "en",
                    published_at=T0 + timedelta(minutes=i // 2),
                )
            )
        return out

    @pytest.mark.parametrize("sort", ["-relevance", "-published_at", "published_at", "-updated_at"])
    @pytest.mark.usefixtures("corpus")
    def test_cursor_walk(self, client: TestClient, sort: str) -> None:
        whole = client.get(f"/v1/search?q=glacier&sort={sort}&limit=100").json()
        assert whole["meta"]["next_cursor"] is None
        one_page = [item["id"] for item in whole["data"]]
        assert len(one_page) == 23
        walked = [item["id"] for item in walk(client, f"/v1/search?q=glacier&sort={sort}", 4)]
        assert walked == one_page
        assert len(set(walked)) == 23

    def test_relevance_puts_title_hits_first(
        self, client: TestClient, corpus: list[Article]
    ) -> None:
        ids = [i["id"] for i in client.get("/v1/search?q=glacier&limit=100").json()["data"]]
        title_hits = {a.id for a in corpus if a.title.startswith("Glacier")}
        assert set(ids[: len(title_hits)]) == title_hits

    def test_filters_combine(self, client: TestClient, corpus: list[Article]) -> None:
        def ids(**params: Any) -> set[str]:
            return {
                i["id"]
                for i in walk(
                    client,
                    "/v1/search?q=glacier&" + "&".join(f"{k}={v}" for k, v in params.items()),
                    50,
                )
            }

        news = {a.id for i, a in enumerate(corpus) if i % 2}
        climate = {a.id for i, a in enumerate(corpus) if i % 3}
        writer = {a.id for i, a in enumerate(corpus) if i % 4 == 0}
        assert ids(section="news") == news
        assert ids(section="news", tag="climate") == news & climate
        assert ids(author="search-writer", tag="ice") == writer - climate
        assert ids(language="ne") == {corpus[7].id}
        cutoff = (T0 + timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
        assert ids(published_before=cutoff, section="opinion") == {
            a.id for i, a in enumerate(corpus) if i // 2 < 5 and i % 2 == 0
        }
        assert ids(published_after=cutoff) == {a.id for i, a in enumerate(corpus) if i // 2 > 5}
