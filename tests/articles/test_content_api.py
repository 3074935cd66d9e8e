"""Contract tests for the public article routes: `/v1/articles` and `/v1/articles/{slug}`."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.articles import service as articles_service
from app.articles.models import Article, ArticleUpdate

T0 = datetime(2021, 3, 14, 3, 13, tzinfo=UTC)  # 08:58 in Kathmandu, the seed column's time
CARD_FIELDS = {
    "id",
    "slug",
    "title",
    "subtitle",
    "excerpt",
    "section",
    "authors",
    "tags",
    "language",
    "published_at",
    "updated_at",
    "reading_time_minutes",
    "image",
    "published_date_bs",
}
BODY_FIELDS = {"body", "body_html", "body_text"}


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= problem.keys()
    assert problem["status"] == status
    return problem


def walk(client: TestClient, url: str, limit: int) -> list[dict[str, Any]]:
    """Every item of a list, following `meta.next_cursor` (and checking `links.next` and the
    `Link` header agree with it)."""
    items: list[dict[str, Any]] = []
    sep = "&" if "?" in url else "?"
    page = client.get(f"{url}{sep}limit={limit}")
    for _ in range(200):
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["meta"]["limit"] == limit
        assert len(body["data"]) <= limit
        items.extend(body["data"])
        cursor = body["meta"]["next_cursor"]
        if cursor is None:
            assert body["links"]["next"] is None
            assert "link" not in page.headers
            return items
        assert len(body["data"]) == limit
        assert page.headers["link"] == f'<{body["links"]["next"]}>; rel="next"'
        page = client.get(body["links"]["next"])
    raise AssertionError("cursor walk did not end")


@pytest.fixture
def sample(
    make_article: Callable[..., Article],
    make_section: Callable[..., Any],
    make_author: Callable[..., Any],
) -> dict[str, Any]:
    """Three published articles with distinct sections, tags, authors and languages, plus the
    slugs of each."""
    news, opinion = make_section("news"), make_section("opinion")
    ann, ben = (
        make_author("Ann Writer", bio="Ann's bio", title="reporter"),
        make_author("Ben Column"),
    )
    a = make_article(
        "Floods in the Terai",
        section=news.slug,
        tags=["floods", "weather"],
        authors=[ann.slug],
        published_at=T0,
        excerpt="Rivers rose",
    )
    b = make_article(
        "Nuclear talks resume",
        section=opinion.slug,
        tags=["nuclear", "weather"],
        authors=[ben.slug, ann.slug],
        published_at=T0 + timedelta(hours=1),
        rights={"copyright_holder": "Project Syndicate"},
        source={"name": "Project Syndicate", "url": "https://www.project-syndicate.org"},
    )
    c = make_article(
        "काठमाडौंमा वर्षा",
        section=news.slug,
        tags=["weather"],
        authors=[ben.slug],
        language="ne",
        published_at=T0 + timedelta(hours=2),
        body_text="काठमाडौंमा आज दिनभर वर्षा भयो।",
    )
    return {"a": a, "b": b, "c": c, "ann": ann, "ben": ben}


def slugs(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["slug"] for item in response.json()["data"]]


class TestListParameters:
    @pytest.mark.parametrize("limit", [1, 2, 100])
    @pytest.mark.usefixtures("sample")
    def test_limit_in_range(self, client: TestClient, limit: int) -> None:
        body = client.get(f"/v1/articles?limit={limit}").json()
        assert body["meta"]["limit"] == limit
        assert len(body["data"]) == min(limit, 3)

    @pytest.mark.usefixtures("sample")
    def test_default_limit_is_20(self, client: TestClient) -> None:
        assert client.get("/v1/articles").json()["meta"]["limit"] == 20

    @pytest.mark.parametrize("limit", ["0", "101", "1000", "abc", "-1", "1.5", ""])
    def test_limit_out_of_range(self, client: TestClient, limit: str) -> None:
        problem = assert_problem(client.get(f"/v1/articles?limit={limit}"), 422)
        assert problem["errors"]
        assert any("limit" in e["loc"] for e in problem["errors"])

    @pytest.mark.parametrize(
        "cursor",
        [
            "garbage",
            "!!!",
            "e30",
            base64.urlsafe_b64encode(b"[1,2]").decode(),
            base64.urlsafe_b64encode(orjson.dumps({"s": "-published_at", "k": [1]})).decode(),
            base64.urlsafe_b64encode(
                orjson.dumps({"s": "-published_at", "k": [{"$d": "nope"}, "x"]})
            ).decode(),
            base64.urlsafe_b64encode(
                orjson.dumps({"s": "-published_at", "k": [[1], {"a": 1}]})
            ).decode(),
            base64.urlsafe_b64encode(
                orjson.dumps({"s": "-published_at", "k": [None, None]})
            ).decode(),
            base64.urlsafe_b64encode(
                orjson.dumps({"s": "-published_at", "k": [True, "x"]})
            ).decode(),
            base64.urlsafe_b64encode(orjson.dumps({"s": "-published_at", "k": [12, "x"]})).decode(),
            base64.urlsafe_b64encode(orjson.dumps({"s": "-published_at", "k": "ab"})).decode(),
            base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        ],
    )
    @pytest.mark.usefixtures("sample")
    def test_bad_cursor(self, client: TestClient, cursor: str) -> None:
        assert_problem(client.get("/v1/articles", params={"cursor": cursor}), 400)

    @pytest.mark.usefixtures("sample")
    def test_tampered_cursor(self, client: TestClient) -> None:
        cursor = client.get("/v1/articles?limit=1").json()["meta"]["next_cursor"]
        raw = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        raw["k"][0] = {"$d": "not-a-date"}
        tampered = base64.urlsafe_b64encode(orjson.dumps(raw)).decode().rstrip("=")
        assert_problem(client.get("/v1/articles", params={"cursor": tampered}), 400)
        assert_problem(client.get("/v1/articles", params={"cursor": cursor[:-3] + "zzz"}), 400)

    @pytest.mark.usefixtures("sample")
    def test_cursor_of_another_sort(self, client: TestClient) -> None:
        cursor = client.get("/v1/articles?limit=1").json()["meta"]["next_cursor"]
        problem = assert_problem(
            client.get("/v1/articles", params={"cursor": cursor, "sort": "-updated_at"}), 400
        )
        assert "sort" in problem["detail"]

    @pytest.mark.usefixtures("sample")
    def test_fields(self, client: TestClient) -> None:
        data = client.get("/v1/articles?fields=id,slug,title").json()["data"]
        assert data
        assert all(set(item) == {"id", "slug", "title"} for item in data)

    def test_unknown_field(self, client: TestClient) -> None:
        problem = assert_problem(client.get("/v1/articles?fields=id,password_hash"), 422)
        assert problem["errors"][0]["loc"] == ["query", "fields"]

    def test_section(self, client: TestClient, sample: dict[str, Any]) -> None:
        assert slugs(client.get("/v1/articles?section=news")) == [
            sample["c"].slug,
            sample["a"].slug,
        ]
        assert slugs(client.get("/v1/articles?section=opinion")) == [sample["b"].slug]
        assert slugs(client.get("/v1/articles?section=nowhere")) == []

    def test_repeated_tags_must_all_match(self, client: TestClient, sample: dict[str, Any]) -> None:
        assert len(slugs(client.get("/v1/articles?tag=weather"))) == 3
        assert slugs(client.get("/v1/articles?tag=weather&tag=floods")) == [sample["a"].slug]
        assert slugs(client.get("/v1/articles?tag=floods&tag=nuclear")) == []

    def test_author(self, client: TestClient, sample: dict[str, Any]) -> None:
        assert slugs(client.get(f"/v1/articles?author={sample['ann'].slug}")) == [
            sample["b"].slug,
            sample["a"].slug,
        ]
        assert slugs(client.get("/v1/articles?author=nobody")) == []

    def test_language(self, client: TestClient, sample: dict[str, Any]) -> None:
        assert slugs(client.get("/v1/articles?language=ne")) == [sample["c"].slug]
        assert len(slugs(client.get("/v1/articles?language=en"))) == 2
        assert_problem(client.get("/v1/articles?language=not a tag"), 422)

    def test_published_window(self, client: TestClient, sample: dict[str, Any]) -> None:
        after = (T0 + timedelta(minutes=30)).isoformat()
        before = (T0 + timedelta(minutes=90)).isoformat()
        assert slugs(client.get("/v1/articles", params={"published_after": after})) == [
            sample["c"].slug,
            sample["b"].slug,
        ]
        assert slugs(client.get("/v1/articles", params={"published_before": before})) == [
            sample["b"].slug,
            sample["a"].slug,
        ]
        assert slugs(
            client.get(
                "/v1/articles", params={"published_after": after, "published_before": before}
            )
        ) == [sample["b"].slug]
        # A timestamp with an offset means the same instant; one without is UTC.
        nepal = (
            (T0 + timedelta(minutes=90))
            .astimezone(__import__("zoneinfo").ZoneInfo("Asia/Kathmandu"))
            .isoformat()
        )
        assert slugs(client.get("/v1/articles", params={"published_before": nepal})) == [
            sample["b"].slug,
            sample["a"].slug,
        ]
        naive = (T0 + timedelta(minutes=90)).replace(tzinfo=None).isoformat()
        assert slugs(client.get("/v1/articles", params={"published_before": naive})) == [
            sample["b"].slug,
            sample["a"].slug,
        ]
        assert_problem(client.get("/v1/articles?published_after=yesterday"), 422)

    def test_updated_since(
        self, client: TestClient, session: Session, sample: dict[str, Any]
    ) -> None:
        later = datetime.now(UTC) - timedelta(seconds=2)
        articles_service.update_article(
            session,
            sample["a"],
            ArticleUpdate(subtitle="Updated"),
            expected_revision=sample["a"].revision,
            by=None,
            now=later,
        )
        since = (later - timedelta(seconds=1)).isoformat()
        assert slugs(client.get("/v1/articles", params={"updated_since": since})) == [
            sample["a"].slug
        ]
        assert_problem(client.get("/v1/articles?updated_since=2021-13-45"), 422)

    def test_sorts(self, client: TestClient, session: Session, sample: dict[str, Any]) -> None:
        a, b, c = sample["a"].slug, sample["b"].slug, sample["c"].slug
        assert slugs(client.get("/v1/articles")) == [c, b, a]
        assert slugs(client.get("/v1/articles?sort=-published_at")) == [c, b, a]
        assert slugs(client.get("/v1/articles?sort=published_at")) == [a, b, c]
        articles_service.update_article(
            session,
            sample["a"],
            ArticleUpdate(subtitle="Fresh"),
            expected_revision=sample["a"].revision,
            by=None,
            now=datetime.now(UTC) - timedelta(seconds=1),
        )
        assert slugs(client.get("/v1/articles?sort=-updated_at")) == [a, c, b]

    @pytest.mark.parametrize("sort", ["title", "-relevance", "updated_at", "", "-published_at;"])
    @pytest.mark.usefixtures("sample")
    def test_unknown_sort(self, client: TestClient, sort: str) -> None:
        problem = assert_problem(client.get("/v1/articles", params={"sort": sort}), 400)
        assert "sort" in problem["detail"]

    @pytest.mark.usefixtures("sample")
    def test_include_body(self, client: TestClient) -> None:
        cards = client.get("/v1/articles").json()["data"]
        assert all(set(item) == CARD_FIELDS for item in cards)
        with_body = client.get("/v1/articles?include=body").json()["data"]
        assert all(set(item) == CARD_FIELDS | {"body", "body_html"} for item in with_body)
        assert with_body[0]["body"][0]["type"] == "paragraph"
        text_only = client.get("/v1/articles?include=body&formats=text").json()["data"]
        assert all(set(item) == CARD_FIELDS | {"body_text"} for item in text_only)
        assert text_only[0]["body_text"] == "काठमाडौंमा आज दिनभर वर्षा भयो।"
        every = client.get("/v1/articles?include=body&formats=blocks,html,text").json()["data"]
        assert all(set(item) == CARD_FIELDS | BODY_FIELDS for item in every)

    @pytest.mark.parametrize(
        "query",
        [
            "include=bodies",
            "include=body&formats=pdf",
            "include=body&formats=html,xml",
            "include=body&formats=,",
            "include=authors",
        ],
    )
    def test_bad_include_or_formats(self, client: TestClient, query: str) -> None:
        assert_problem(client.get(f"/v1/articles?{query}"), 422)

    @pytest.mark.parametrize(
        "name",
        [
            "section",
            "tag",
            "author",
            "language",
            "published_after",
            "published_before",
            "updated_since",
            "sort",
            "include",
            "formats",
            "cursor",
            "fields",
            "limit",
        ],
    )
    def test_absurd_values_are_4xx(self, client: TestClient, name: str) -> None:
        for value in ["x" * 5000, "\x00", "'; DROP TABLE article; --", "%", "ज्ञ"]:
            response = client.get("/v1/articles", params={name: value})
            assert response.status_code < 500, (name, value, response.text)
            if response.status_code >= 400:
                assert_problem(response, response.status_code)


class TestShapes:
    def test_card(self, client: TestClient, sample: dict[str, Any]) -> None:
        card = next(
            i for i in client.get("/v1/articles").json()["data"] if i["slug"] == sample["b"].slug
        )
        assert set(card) == CARD_FIELDS
        assert card["authors"] == [
            {"id": sample["ben"].id, "slug": sample["ben"].slug, "name": "Ben Column"},
            {"id": sample["ann"].id, "slug": sample["ann"].slug, "name": "Ann Writer"},
        ]
        assert card["section"] == {"slug": "opinion", "name": "Opinion"}
        assert [t["slug"] for t in card["tags"]] == ["nuclear", "weather"]
        assert card["published_at"] == "2021-03-14T04:13:00Z"
        assert card["updated_at"].endswith("Z")

    def test_detail(self, client: TestClient, sample: dict[str, Any]) -> None:
        response = client.get(f"/v1/articles/{sample['b'].slug}")
        assert response.status_code == 200
        detail = response.json()
        assert set(detail) >= CARD_FIELDS
        assert {
            "body",
            "body_html",
            "rights",
            "source",
            "word_count",
            "canonical_url",
            "structured_data",
        } <= set(detail)
        assert "body_text" not in detail
        assert detail["rights"] == {
            "copyright_holder": "Project Syndicate",
            "syndication": "denied",
            "usage_terms": None,
        }
        assert detail["source"] == {
            "name": "Project Syndicate",
            "url": "https://www.project-syndicate.org",
        }
        assert detail["word_count"] == 8
        assert detail["canonical_url"].endswith(f"/articles/{sample['b'].slug}")
        ann = next(a for a in detail["authors"] if a["slug"] == sample["ann"].slug)
        assert ann["bio"] == "Ann's bio"
        assert ann["title"] == "reporter"
        assert {
            "id",
            "slug",
            "name",
            "bio",
            "title",
            "avatar_url",
            "links",
            "article_count",
        } <= set(ann)
        assert [a["slug"] for a in detail["authors"]] == [sample["ben"].slug, sample["ann"].slug]

    def test_structured_data(self, client: TestClient, sample: dict[str, Any]) -> None:
        data = client.get(f"/v1/articles/{sample['a'].slug}").json()["structured_data"]
        assert data["@context"] == "https://schema.org"
        assert data["@type"] == "NewsArticle"
        assert data["headline"] == "Floods in the Terai"
        # UTC with Z, as every timestamp in the API (08:58 in Kathmandu)
        assert data["datePublished"] == "2021-03-14T03:13:00Z"
        assert data["dateModified"].endswith("Z")
        assert data["author"][0]["name"] == "Ann Writer"
        assert data["articleSection"] == "News"

    def test_detail_formats(self, client: TestClient, sample: dict[str, Any]) -> None:
        slug = sample["a"].slug
        text = client.get(f"/v1/articles/{slug}?formats=text").json()
        assert "body_text" in text
        assert "body" not in text
        assert "body_html" not in text
        assert text["body_text"] == "Some words of body text.\n\nA second paragraph."
        assert_problem(client.get(f"/v1/articles/{slug}?formats=pdf"), 422)
        sparse = client.get(f"/v1/articles/{slug}?fields=id,title,rights").json()
        assert set(sparse) == {"id", "title", "rights"}
        assert_problem(client.get(f"/v1/articles/{slug}?fields=secret"), 422)

    def test_nepali_slug(self, client: TestClient, sample: dict[str, Any]) -> None:
        slug = sample["c"].slug
        assert any("\u0900" <= ch <= "\u097f" for ch in slug)
        assert client.get(f"/v1/articles/{slug}").json()["id"] == sample["c"].id


class TestSlugs:
    def test_old_slug_redirects(
        self, client: TestClient, session: Session, make_article: Callable[..., Article]
    ) -> None:
        article = make_article("Original title")
        old = article.slug
        articles_service.update_article(
            session,
            article,
            ArticleUpdate(slug="better-title"),
            expected_revision=article.revision,
            by=None,
            now=datetime.now(UTC),
        )
        response = client.get(f"/v1/articles/{old}?formats=text", follow_redirects=False)
        assert response.status_code == 301
        assert response.headers["location"].endswith("/v1/articles/better-title?formats=text")
        assert client.get(response.headers["location"]).json()["id"] == article.id

    def test_old_slug_of_a_hidden_article_is_404(
        self, client: TestClient, session: Session, make_article: Callable[..., Article]
    ) -> None:
        article = make_article("Soon gone")
        old = article.slug
        article = articles_service.update_article(
            session,
            article,
            ArticleUpdate(slug="renamed"),
            expected_revision=article.revision,
            by=None,
            now=datetime.now(UTC),
        )
        articles_service.unpublish_article(
            session, article, expected_revision=article.revision, by=None, now=datetime.now(UTC)
        )
        assert_problem(client.get(f"/v1/articles/{old}", follow_redirects=False), 404)
        assert_problem(client.get("/v1/articles/renamed"), 404)

    @pytest.mark.parametrize("slug", ["no-such-article", "%E0%A4%95", "a" * 300, "..", "%00"])
    def test_unknown_slug(self, client: TestClient, slug: str) -> None:
        response = client.get(f"/v1/articles/{slug}")
        assert response.status_code in (400, 404, 422), response.text
        assert_problem(response, response.status_code)


@pytest.fixture
def many(make_article: Callable[..., Article], make_author: Callable[..., Any]) -> list[Article]:
    """53 published articles; published_at repeats in groups, so only the id orders within."""
    author = make_author("Prolific")
    return [
        make_article(
            f"Story {i}", authors=[author.slug], published_at=T0 + timedelta(minutes=(i // 4))
        )
        for i in range(53)
    ]


class TestCursorWalk:
    @pytest.mark.parametrize("sort", ["-published_at", "published_at", "-updated_at"])
    def test_pages_of_7_equal_one_page_of_100(
        self, client: TestClient, many: list[Article], sort: str
    ) -> None:
        whole = client.get(f"/v1/articles?sort={sort}&limit=100").json()
        assert whole["meta"]["next_cursor"] is None
        one_page = [item["id"] for item in whole["data"]]
        walked = [item["id"] for item in walk(client, f"/v1/articles?sort={sort}", 7)]
        assert walked == one_page
        assert len(set(walked)) == 53
        key = "updated_at" if sort == "-updated_at" else "published_at"
        expected = sorted(many, key=lambda a: (getattr(a, key), a.id), reverse=sort.startswith("-"))
        assert walked == [a.id for a in expected]

    def test_walk_with_filters_and_fields(self, client: TestClient, many: list[Article]) -> None:
        walked = walk(client, "/v1/articles?author=prolific&fields=id&sort=published_at", 10)
        assert [i["id"] for i in walked] == [
            a.id for a in sorted(many, key=lambda a: (a.published_at, a.id))
        ]

    def test_cursor_is_stable_while_new_content_arrives(
        self, client: TestClient, many: list[Article], make_article: Callable[..., Article]
    ) -> None:
        first = client.get("/v1/articles?limit=10").json()
        make_article("Breaking")  # newer than everything: must not shift the next page
        second = client.get(first["links"]["next"]).json()
        expected = sorted(many, key=lambda a: (a.published_at, a.id), reverse=True)
        assert [i["id"] for i in second["data"]] == [a.id for a in expected[10:20]]
