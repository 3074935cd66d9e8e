"""Taxonomy pages (`/v1/sections/{slug}`, `/v1/tags/{slug}`) and feeds per author and tag."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.articles import service as articles_service
from app.articles.models import Article, ArticleUpdate
from tests.articles.test_content_api import assert_problem


@pytest.fixture
def content(make_section: Callable[..., Any], make_article: Callable[..., Article],
            make_author: Callable[..., Any]) -> dict[str, Any]:
    make_section("news", "News")
    make_section("empty", "Empty")
    ram = make_author("Ram Sharma")
    published = [make_article(f"Flood story {i}", section="news", tags=["Climate"],
                              authors=[ram.slug]) for i in range(3)]
    draft = make_article("Secret merger", status="draft", tags=["merger-talks"],
                         authors=[ram.slug], section="news")
    return {"published": published, "draft": draft, "author": ram}


@pytest.mark.usefixtures("content")
class TestSectionPage:
    def test_a_section_with_its_published_count(self, client: TestClient) -> None:
        r = client.get("/v1/sections/news")
        assert r.status_code == 200
        assert r.json() == {"slug": "news", "name": "News", "description": None,
                            "article_count": 3}
        assert "section:news" in r.headers["surrogate-key"].split()
        assert r.headers["cache-control"].startswith("public")
        assert client.get("/v1/sections/news",
                          headers={"If-None-Match": r.headers["etag"]}).status_code == 304

    def test_an_empty_section_is_known(self, client: TestClient) -> None:
        assert client.get("/v1/sections/empty").json()["article_count"] == 0

    def test_unknown_is_a_404_problem(self, client: TestClient) -> None:
        assert_problem(client.get("/v1/sections/nope"), 404)

    def test_sparse_fields_and_bad_fields(self, client: TestClient) -> None:
        assert client.get("/v1/sections/news?fields=name").json() == {"name": "News"}
        assert_problem(client.get("/v1/sections/news?fields=secret"), 422)

    def test_a_publication_updates_the_cached_count(
            self, client: TestClient,
            make_article: Callable[..., Article]) -> None:
        assert client.get("/v1/sections/news").json()["article_count"] == 3
        make_article("One more", section="news")
        assert client.get("/v1/sections/news").json()["article_count"] == 4


@pytest.mark.usefixtures("content")
class TestTagPage:
    def test_a_tag_in_use(self, client: TestClient) -> None:
        r = client.get("/v1/tags/climate")
        assert r.status_code == 200
        assert r.json() == {"slug": "climate", "name": "Climate", "article_count": 3}
        assert {"tag:climate", "tags"} <= set(r.headers["surrogate-key"].split())

    def test_a_tag_only_drafts_use_is_unknown(self, client: TestClient) -> None:
        assert_problem(client.get("/v1/tags/merger-talks"), 404)
        assert_problem(client.get("/v1/tags/never-heard"), 404)


@pytest.mark.usefixtures("content")
class TestFeeds:
    @pytest.mark.parametrize("kind", ["rss", "atom", "json"])
    def test_author_feed(self, client: TestClient, kind: str) -> None:
        r = client.get(f"/v1/feeds/authors/ram-sharma.{kind}")
        assert r.status_code == 200, r.text
        titles = _titles(r.text, kind)
        assert sorted(titles) == ["Flood story 0", "Flood story 1", "Flood story 2"]
        assert "Ram Sharma" in (json.loads(r.text)["title"] if kind == "json"
                                else feedparser.parse(r.text).feed.title)

    @pytest.mark.parametrize("kind", ["rss", "atom", "json"])
    def test_tag_feed(self, client: TestClient,
                      make_article: Callable[..., Article], kind: str) -> None:
        make_article("Untagged")
        r = client.get(f"/v1/feeds/tags/climate.{kind}")
        assert r.status_code == 200, r.text
        assert len(_titles(r.text, kind)) == 3
        assert "tag:climate" in r.headers["surrogate-key"].split()

    def test_unknown_or_unpublished_is_404(self, client: TestClient) -> None:
        assert_problem(client.get("/v1/feeds/tags/merger-talks.rss"), 404)
        assert_problem(client.get("/v1/feeds/tags/nope.atom"), 404)
        assert_problem(client.get("/v1/feeds/authors/nobody.json"), 404)
        assert_problem(client.get("/v1/feeds/authors/ram-sharma.xml"), 422)

    def test_an_edit_shows_in_the_feed_at_once(
            self, client: TestClient, content: dict[str, Any], session: Session) -> None:
        assert len(_titles(client.get("/v1/feeds/tags/climate.json").text, "json")) == 3
        article = content["published"][0]
        articles_service.update_article(
            session, article, ArticleUpdate(title="Flood story, retitled"),
            expected_revision=article.revision, by=None,
            now=datetime.now(UTC) + timedelta(seconds=1))
        assert "Flood story, retitled" in _titles(
            client.get("/v1/feeds/tags/climate.json").text, "json")


def _titles(text: str, kind: str) -> list[str]:
    if kind == "json":
        return [i["title"] for i in json.loads(text)["items"]]
    return [e.title for e in feedparser.parse(text).entries]
