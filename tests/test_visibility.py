"""The no-leak test: no Content API route ever shows a draft, a scheduled article before its
time, a deleted article or an unpublished one (nor their tags, authors or section counts)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.articles import service as articles_service
from app.articles.models import Article
from app.briefs import service as briefs_service
from app.briefs.models import BriefCreate
from app.core.config import get_settings

FORBIDDEN = ("draft", "scheduled", "deleted", "unpublished")
SORTS = ("-published_at", "published_at", "-updated_at")


@dataclass
class Hidden:
    kind: str
    word: str  # appears in title, body, tag, author name: never in any public response
    article: Article
    author_slug: str
    section_slug: str
    tag_slug: str


@pytest.fixture
def hidden(
    session: Session,
    make_article: Callable[..., Article],
    make_author: Callable[..., Any],
    make_section: Callable[..., Any],
) -> list[Hidden]:
    now = dt.datetime.now(dt.UTC)
    out = []
    for i, kind in enumerate(FORBIDDEN):
        word = f"zqx{kind}leak"
        author = make_author(f"Writer {word.title()}")
        section = make_section(f"hidden-{i}", f"Hidden {i}")
        status = {"unpublished": "published"}.get(kind, kind)
        article = make_article(
            f"Title {word}",
            status=status,
            section=section.slug,
            tags=[f"tag-{word}"],
            authors=[author.slug],
            excerpt=f"Excerpt {word}",
            body_text=f"Body mentions {word} twice: {word}.",
            published_at=now + dt.timedelta(days=1) if kind == "scheduled" else None,
        )
        if kind == "unpublished":
            article = articles_service.unpublish_article(
                session, article, expected_revision=article.revision, by=None, now=now
            )
        out.append(Hidden(kind, word, article, author.slug, section.slug, f"tag-{word}"))
    draft = out[0].article
    today = now.astimezone(get_settings().tz).date()
    briefs_service.create_brief(
        session,
        BriefCreate(
            date=today,
            dateline="KATHMANDU",
            headline="A brief about a draft",
            summary="Points at an article nobody may see yet.",
            article_id=draft.id,
        ),
        now=now,
    )
    return out


@pytest.fixture
def visible(make_article: Callable[..., Article], make_section: Callable[..., Any]) -> Article:
    make_section("news")
    return make_article("A visible story", section="news", tags=["public-tag"])


def assert_no_leak(response: Any, hidden: list[Hidden]) -> None:
    assert response.status_code in (200, 404), (response.request.url, response.text)
    url = str(response.request.url)
    # The request's own URL is echoed (links.self, a feed's self link); everything else counts.
    text = response.text.replace(url, "").replace(url.replace("&", "&amp;"), "")
    for h in hidden:
        assert h.word not in text.lower(), (h.kind, str(response.request.url))
        assert h.article.id not in text, (h.kind, str(response.request.url))
        assert h.article.slug not in text, (h.kind, str(response.request.url))


def public_urls(h: Hidden) -> list[str]:
    urls = [f"/v1/articles?sort={sort}" for sort in SORTS]
    urls += [f"/v1/articles?sort={sort}&include=body&formats=blocks,html,text" for sort in SORTS]
    urls += [
        f"/v1/articles?tag={h.tag_slug}",
        f"/v1/articles?author={h.author_slug}",
        f"/v1/articles?section={h.section_slug}",
        f"/v1/search?q={h.word}",
        "/v1/search?q=title&sort=-published_at",
        "/v1/search?q=body",
        f"/v1/feeds/sections/{h.section_slug}.rss",
        f"/v1/feeds/sections/{h.section_slug}.atom",
        f"/v1/feeds/sections/{h.section_slug}.json",
    ]
    return urls


EVERYWHERE = [
    "/v1/feeds/latest.rss",
    "/v1/feeds/latest.atom",
    "/v1/feeds/latest.json",
    "/v1/sitemaps/news.xml",
    "/v1/authors",
    "/v1/tags",
    "/v1/briefs",
    "/v1/briefs/today",
    "/v1/sections?limit=100",
]


class TestNoLeak:
    def test_lists_feeds_search(
        self, client: TestClient, hidden: list[Hidden], visible: Article
    ) -> None:
        assert any(i["id"] == visible.id for i in client.get("/v1/articles").json()["data"])
        for url in EVERYWHERE:
            assert_no_leak(client.get(url), hidden)
        for h in hidden:
            for url in public_urls(h):
                response = client.get(url)
                assert_no_leak(response, hidden)
                if url.startswith(("/v1/articles?", "/v1/search?q=zqx")):
                    assert all(i["id"] != h.article.id for i in response.json()["data"])
                if "?tag=" in url or "?author=" in url or "?section=" in url or "q=zqx" in url:
                    assert response.json()["data"] == [], url

    def test_detail_routes_are_404(
        self, client: TestClient, hidden: list[Hidden], visible: Article
    ) -> None:
        assert client.get(f"/v1/articles/{visible.slug}").status_code == 200
        for h in hidden:
            response = client.get(f"/v1/articles/{h.article.slug}", follow_redirects=False)
            assert response.status_code == 404, h.kind
            assert response.headers["content-type"].startswith("application/problem+json")
            assert_no_leak(response, [x for x in hidden if x is not h])
            assert client.get(f"/v1/authors/{h.author_slug}").status_code == 404, h.kind

    @pytest.mark.usefixtures("visible")
    def test_authors_tags_sections(self, client: TestClient, hidden: list[Hidden]) -> None:
        authors = {a["slug"] for a in client.get("/v1/authors?limit=100").json()["data"]}
        tags = {t["slug"] for t in client.get("/v1/tags?limit=100").json()["data"]}
        sections = {
            s["slug"]: s["article_count"]
            for s in client.get("/v1/sections?limit=100").json()["data"]
        }
        assert "public-tag" in tags
        assert sections["news"] == 1
        for h in hidden:
            assert h.author_slug not in authors, h.kind
            assert h.tag_slug not in tags, h.kind
            assert sections.get(h.section_slug, 0) == 0, h.kind

    @pytest.mark.usefixtures("hidden")
    def test_brief_hides_its_draft(self, client: TestClient) -> None:
        for url in ("/v1/briefs", "/v1/briefs/today"):
            briefs = client.get(url).json()["data"]
            mine = [b for b in briefs if b["headline"] == "A brief about a draft"]
            assert len(mine) == 1, url
            assert mine[0]["article"] is None

    def test_scheduled_appears_on_time(
        self, client: TestClient, app: Any, hidden: list[Hidden]
    ) -> None:
        """The same rule with the clock moved past the publication time: proof that the test
        above hides the scheduled article for its time, not by accident."""
        from app.core.listing import now

        scheduled = next(h for h in hidden if h.kind == "scheduled")
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
        app.dependency_overrides[now] = lambda: later
        try:
            response = client.get(f"/v1/articles/{scheduled.article.slug}")
            assert response.status_code == 200
            ids = [i["id"] for i in client.get("/v1/articles").json()["data"]]
            assert scheduled.article.id in ids
            others = [h.article.id for h in hidden if h.kind != "scheduled"]
            assert not set(others) & set(ids)
        finally:
            app.dependency_overrides.pop(now, None)
