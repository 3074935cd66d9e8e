"""RSS 2.0, Atom 1.0 and JSON Feed 1.1 (latest and per section) and the Google News sitemap."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import feedparser
import jsonschema
import pytest
from fastapi.testclient import TestClient
from lxml import etree

from app.articles.models import Article

# Vendored from jsonfeed.org (ISC, tests/fixtures/jsonfeed/LICENSE): the suite reads nothing outside
# the repository.
SCHEMA = Path(__file__).parents[1] / "fixtures" / "jsonfeed" / "schema-v1.1.json"
NS = {
    "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}


@pytest.fixture
def articles(
    make_article: Callable[..., Article], make_section: Callable[..., Any]
) -> dict[str, Any]:
    make_section("news", "News")
    make_section("opinion", "Opinion")
    make_section("empty", "Empty")
    now = dt.datetime.now(dt.UTC)
    news = [
        make_article(
            f"News & views <{i}>",
            section="news",
            tags=["nepal"],
            published_at=now - dt.timedelta(hours=i + 1),
            body=[
                {"type": "paragraph", "text": f"Paragraph {i} with <em>style</em>."},
                {"type": "pullquote", "text": "Pullquote words stay out"},
            ],
        )
        for i in range(3)
    ]
    old = make_article(
        "An old opinion",
        section="opinion",
        excerpt="Old but gold",
        published_at=now - dt.timedelta(days=5),
    )
    nepali = make_article(
        "नेपाली समाचार", section="opinion", language="ne", published_at=now - dt.timedelta(hours=30)
    )
    draft = make_article("Draft never shown", section="news", status="draft")
    return {"news": news, "old": old, "nepali": nepali, "draft": draft}


def titles(parsed: Any) -> list[str]:
    return [e.title for e in parsed.entries]


class TestFeeds:
    @pytest.mark.parametrize("kind", ["rss", "atom"])
    def test_latest_xml(self, client: TestClient, articles: dict[str, Any], kind: str) -> None:
        response = client.get(f"/v1/feeds/latest.{kind}")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(f"application/{kind}+xml")
        parsed = feedparser.parse(response.content)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert titles(parsed) == [a.title for a in articles["news"]] + [
            articles["nepali"].title,
            articles["old"].title,
        ]
        first = parsed.entries[0]
        assert first.link.endswith(f"/articles/{articles['news'][0].slug}")
        assert "Paragraph 0" in first.summary
        assert "Pullquote" not in first.summary
        assert parsed.entries[-1].summary == "Old but gold"

    @pytest.mark.parametrize("kind", ["rss", "atom"])
    def test_section_xml(self, client: TestClient, articles: dict[str, Any], kind: str) -> None:
        parsed = feedparser.parse(client.get(f"/v1/feeds/sections/opinion.{kind}").content)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert titles(parsed) == [articles["nepali"].title, articles["old"].title]
        assert "Opinion" in parsed.feed.title
        empty = feedparser.parse(client.get(f"/v1/feeds/sections/empty.{kind}").content)
        assert empty.bozo == 0
        assert empty.entries == []

    @pytest.mark.parametrize(
        "path",
        ["/v1/feeds/latest.json", "/v1/feeds/sections/news.json", "/v1/feeds/sections/empty.json"],
    )
    def test_json_feed_validates(
        self, client: TestClient, articles: dict[str, Any], path: str
    ) -> None:
        response = client.get(path)
        assert response.headers["content-type"].startswith("application/feed+json")
        feed = response.json()
        schema = json.loads(SCHEMA.read_text())
        jsonschema.validate(feed, schema, cls=jsonschema.validators.validator_for(schema))
        assert feed["version"] == "https://jsonfeed.org/version/1.1"
        if "news" in path:
            assert [i["title"] for i in feed["items"]] == [a.title for a in articles["news"]]
            assert feed["items"][0]["url"].endswith(articles["news"][0].slug)
        if "latest" in path:
            assert len(feed["items"]) == 5

    @pytest.mark.usefixtures("articles")
    def test_json_feed_agrees_with_rss(self, client: TestClient) -> None:
        rss = feedparser.parse(client.get("/v1/feeds/latest.rss").content)
        feed = client.get("/v1/feeds/latest.json").json()
        assert [i["title"] for i in feed["items"]] == titles(rss)

    def test_at_most_50(self, client: TestClient, make_article: Callable[..., Article]) -> None:
        for i in range(52):
            make_article(f"Item {i}")
        assert len(client.get("/v1/feeds/latest.json").json()["items"]) == 50
        assert len(feedparser.parse(client.get("/v1/feeds/latest.rss").content).entries) == 50

    @pytest.mark.parametrize(
        "path", ["/v1/feeds/sections/nowhere.rss", "/v1/feeds/sections/nowhere.json"]
    )
    def test_unknown_section(self, client: TestClient, path: str) -> None:
        response = client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")

    @pytest.mark.parametrize(
        "path",
        [
            "/v1/feeds/latest.xml",
            "/v1/feeds/latest.RSS",
            "/v1/feeds/latest.",
            "/v1/feeds/sections/news.html",
            "/v1/feeds/latest.rss.json",
        ],
    )
    def test_bad_kind(self, client: TestClient, path: str) -> None:
        response = client.get(path)
        assert response.status_code in (404, 422), response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        body = response.json()
        assert {"type", "title", "status", "detail", "instance"} <= body.keys()


class TestNewsSitemap:
    def test_last_two_days_only(self, client: TestClient, articles: dict[str, Any]) -> None:
        response = client.get("/v1/sitemaps/news.xml")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/xml")
        root = etree.fromstring(response.content)
        assert root.tag == f"{{{NS['s']}}}urlset"
        urls = root.findall("s:url", NS)
        locs = [u.findtext("s:loc", namespaces=NS) for u in urls]
        expected = articles["news"] + [articles["nepali"]]
        assert len(locs) == len(expected)
        # Devanagari slugs are percent-encoded, as sitemaps require
        assert {unquote(loc.rsplit("/", 1)[1]) for loc in locs} == {a.slug for a in expected}
        for url in urls:
            title = url.findtext("news:news/news:title", namespaces=NS)
            date = url.findtext("news:news/news:publication_date", namespaces=NS)
            assert title
            parsed = dt.datetime.fromisoformat(date)
            assert parsed.tzinfo is not None
            assert parsed > dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
            assert url.findtext("news:news/news:publication/news:name", namespaces=NS)
            assert url.findtext("news:news/news:publication/news:language", namespaces=NS) in (
                "en",
                "ne",
            )
        assert "News &amp; views &lt;0&gt;" in response.text

    def test_empty(self, client: TestClient) -> None:
        root = etree.fromstring(client.get("/v1/sitemaps/news.xml").content)
        assert root.findall("s:url", NS) == []
