"""The sitemap index, the article sitemap and robots.txt, validated with the sitemaps.org XSDs
(vendored in tests/fixtures/sitemaps) as crawlers read them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from app.articles.models import Article
from app.feeds import sitemaps
from tests.interop.checks import FIXTURES, is_ascii_url

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(FIXTURES / "sitemaps" / name)))


def valid(body: bytes, name: str) -> etree._Element:
    doc = etree.fromstring(body)
    xsd = schema(name)
    assert xsd.validate(doc), xsd.error_log
    return doc


def local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture
def published(make_article: Callable[..., Article]) -> list[Article]:
    now = datetime.now(UTC)
    old = make_article("An archive story", published_at=now - timedelta(days=400))
    nepali = make_article("नेपालमा बाढी", language="ne", published_at=now - timedelta(hours=2))
    make_article("Not yet", status="draft")
    make_article("Later", status="scheduled")
    return [old, nepali]


def test_index_articles_and_robots(client: TestClient, published: list[Article]) -> None:
    robots = client.get("/robots.txt")
    assert robots.status_code == 200
    assert robots.headers["content-type"].startswith("text/plain")
    lines = robots.text.splitlines()
    assert "User-agent: *" in lines
    index_url = next(line.split(" ", 1)[1] for line in lines if line.startswith("Sitemap: "))
    assert index_url.endswith("/v1/sitemaps/index.xml")

    index = valid(client.get(local(index_url)).content, "siteindex.xsd")
    locations = [e.text for e in index.findall("s:sitemap/s:loc", NS)]
    assert [local(u) for u in locations] == ["/v1/sitemaps/news.xml",
                                             "/v1/sitemaps/articles.xml?page=1"]
    assert all(is_ascii_url(u) for u in locations)

    urlset = valid(client.get(local(locations[1])).content, "sitemap.xsd")
    locs = [e.text for e in urlset.findall("s:url/s:loc", NS)]
    assert len(locs) == len(published)  # no draft, no scheduled article
    assert all(is_ascii_url(u) for u in locs)
    assert locs[0].endswith("/" + published[0].slug)  # oldest first
    assert "%E0%A4" in locs[1]  # the Devanagari slug, percent-encoded
    for lastmod in urlset.findall("s:url/s:lastmod", NS):
        assert lastmod.text.endswith("Z")


def test_pages(client: TestClient, make_article: Callable[..., Article],
               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sitemaps, "ARTICLES_PER_PAGE", 2)
    made = [make_article(f"Story {i}") for i in range(5)]
    index = valid(client.get("/v1/sitemaps/index.xml").content, "siteindex.xsd")
    pages = [local(e.text) for e in index.findall("s:sitemap/s:loc", NS)][1:]
    assert pages == [f"/v1/sitemaps/articles.xml?page={n}" for n in (1, 2, 3)]
    seen = []
    for page in pages:
        doc = valid(client.get(page).content, "sitemap.xsd")
        seen += [e.text.rsplit("/", 1)[1] for e in doc.findall("s:url/s:loc", NS)]
    assert sorted(seen) == sorted(a.slug for a in made)
    missing = client.get("/v1/sitemaps/articles.xml?page=4")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/sitemaps/articles.xml?page=0").status_code == 422
