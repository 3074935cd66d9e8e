"""Content API contract: /v1/sections and /v1/tags count only what the public can read."""

from __future__ import annotations

import pytest


@pytest.fixture
def newsroom(make_section, make_article) -> None:  # type: ignore[no-untyped-def]
    make_section("news", "News")
    make_section("opinion", "Opinion")
    make_section("empty", "Empty")
    make_article(section="news", tags=["Trade", "Asia"])
    make_article(section="news", tags=["Trade"])
    make_article(section="opinion", tags=["Trade"], status="draft")
    make_article(section="opinion", tags=["Hidden"], status="scheduled")
    make_article(section="opinion", tags=["Gone"], status="deleted")


@pytest.mark.usefixtures("newsroom")
class TestSections:
    def test_every_section_with_published_counts(self, client) -> None:  # type: ignore[no-untyped-def]
        r = client.get("/v1/sections")
        assert r.status_code == 200
        assert [(s["slug"], s["name"], s["article_count"]) for s in r.json()["data"]] == [
            ("empty", "Empty", 0), ("news", "News", 2), ("opinion", "Opinion", 0)]
        assert r.headers["cache-control"].startswith("public")

    def test_cursor_walk(self, client) -> None:  # type: ignore[no-untyped-def]
        page = client.get("/v1/sections?limit=2").json()
        rest = client.get(page["links"]["next"]).json()
        assert [s["slug"] for s in page["data"] + rest["data"]] == ["empty", "news", "opinion"]
        assert rest["links"]["next"] is None

    def test_bad_parameters(self, client) -> None:  # type: ignore[no-untyped-def]
        assert client.get("/v1/sections?limit=101").status_code == 422
        assert client.get("/v1/sections?cursor=zzz").status_code == 400
        assert client.get("/v1/sections?fields=nope").status_code == 422


@pytest.mark.usefixtures("newsroom")
class TestTags:
    def test_only_tags_on_public_articles_with_public_counts(self, client) -> None:  # type: ignore[no-untyped-def]
        r = client.get("/v1/tags")
        assert r.status_code == 200
        assert [(t["slug"], t["article_count"]) for t in r.json()["data"]] == [
            ("asia", 1), ("trade", 2)]

    def test_sparse_fields(self, client) -> None:  # type: ignore[no-untyped-def]
        data = client.get("/v1/tags?fields=slug").json()["data"]
        assert data == [{"slug": "asia"}, {"slug": "trade"}]
