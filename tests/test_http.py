"""HTTP behaviour of every public read: validators and 304s, caching headers, gzip, CORS, links,
request ids, security headers, problem documents, body limits."""

from __future__ import annotations

import datetime as dt
import gzip
import re
from collections.abc import Callable, Iterator
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.articles import service as articles_service
from app.articles.models import Article
from app.briefs import service as briefs_service
from app.briefs.models import BriefCreate
from app.core.config import get_settings

LONG = " ".join(["The valley's rivers rose after three days of rain."] * 12)


@pytest.fixture
def content(
    session: Session,
    make_article: Callable[..., Article],
    make_section: Callable[..., Any],
    make_author: Callable[..., Any],
) -> dict[str, Any]:
    """Enough published content for every public route to have a body worth compressing."""
    make_section("news", "News")
    make_section("opinion", "Opinion")
    author = make_author("Asha Reporter", bio=LONG, title="correspondent")
    other = make_author("Bikash Columnist", bio=LONG)
    now = dt.datetime.now(dt.UTC)
    articles = [
        make_article(
            f"Rain story {i}",
            section="news" if i < 3 else "opinion",
            tags=["weather", f"day-{i}"],
            authors=[author.slug] if i < 3 else [other.slug],
            excerpt=LONG[:300],
            body_text=LONG,
            published_at=now - dt.timedelta(hours=i + 1),
        )
        for i in range(4)
    ]
    today = now.astimezone(get_settings().tz).date()
    for i in range(4):
        briefs_service.create_brief(
            session,
            BriefCreate(
                date=today,
                dateline="KATHMANDU",
                headline=f"Brief {i}: rivers rise",
                summary=LONG[:400],
                article_id=articles[i].id,
            ),
            now=now,
        )
    return {"articles": articles, "author": author}


# (url, paged list, has Last-Modified)
ROUTES = [
    ("/v1/articles", True, True),
    ("/v1/articles/{slug}", False, True),
    ("/v1/search?q=rain", True, True),
    ("/v1/authors", True, True),
    ("/v1/authors/asha-reporter", False, True),
    ("/v1/briefs", True, False),
    ("/v1/briefs/today", True, False),
    ("/v1/sections", True, False),
    ("/v1/tags", True, False),
    ("/v1/feeds/latest.rss", False, True),
    ("/v1/feeds/latest.atom", False, True),
    ("/v1/feeds/latest.json", False, True),
    ("/v1/feeds/sections/news.rss", False, True),
    ("/v1/feeds/sections/news.atom", False, True),
    ("/v1/feeds/sections/news.json", False, True),
    ("/v1/sitemaps/news.xml", False, True),
    ("/v1/site", False, False),
]
URLS = [r[0] for r in ROUTES]


def url_of(template: str, content: dict[str, Any]) -> str:
    return template.replace("{slug}", content["articles"][0].slug)


@pytest.fixture(params=URLS)
def url(request: pytest.FixtureRequest, content: dict[str, Any]) -> str:
    return url_of(request.param, content)


class TestValidators:
    @pytest.mark.parametrize(("template", "has_lm"), [(r[0], r[2]) for r in ROUTES])
    def test_strong_etag_and_last_modified(
        self, client: TestClient, content: dict[str, Any], template: str, has_lm: bool
    ) -> None:
        url = url_of(template, content)
        response = client.get(url)
        assert response.status_code == 200, response.text
        etag = response.headers["etag"]
        assert re.fullmatch(r'"[0-9a-f]+(-gz)?"', etag), etag  # strong: no W/
        if has_lm:
            parsedate_to_datetime(response.headers["last-modified"])
        assert client.get(url).headers["etag"] == etag  # stable

    def test_if_none_match(self, client: TestClient, url: str) -> None:
        for encoding in ("identity", "gzip"):
            first = client.get(url, headers={"Accept-Encoding": encoding})
            etag = first.headers["etag"]
            if encoding == "gzip" and first.headers.get("content-encoding") == "gzip":
                assert etag.endswith('-gz"')
            again = client.get(url, headers={"If-None-Match": etag, "Accept-Encoding": encoding})
            assert again.status_code == 304
            assert again.content == b""
            assert again.headers["etag"] == etag
            assert "cache-control" in again.headers
            other = client.get(
                url, headers={"If-None-Match": '"nope"', "Accept-Encoding": encoding}
            )
            assert other.status_code == 200

    def test_gz_tag_revalidates_identity_and_back(self, client: TestClient, url: str) -> None:
        tag = client.get(url, headers={"Accept-Encoding": "identity"}).headers["etag"]
        gz_tag = tag[:-1] + '-gz"'
        assert client.get(url, headers={"If-None-Match": gz_tag}).status_code == 304
        assert client.get(url, headers={"If-None-Match": f'"x", W/{tag}'}).status_code == 304
        assert client.get(url, headers={"If-None-Match": "*"}).status_code == 304

    def test_if_modified_since(self, client: TestClient, url: str) -> None:
        response = client.get(url)
        if "last-modified" not in response.headers:
            pytest.skip("no Last-Modified on this route")
        lm = response.headers["last-modified"]
        again = client.get(url, headers={"If-Modified-Since": lm})
        assert again.status_code == 304
        assert again.content == b""
        earlier = format_datetime(parsedate_to_datetime(lm) - dt.timedelta(seconds=1), usegmt=True)
        assert client.get(url, headers={"If-Modified-Since": earlier}).status_code == 200
        assert client.get(url, headers={"If-Modified-Since": "garbage"}).status_code == 200
        # If-None-Match wins over If-Modified-Since.
        assert (
            client.get(
                url, headers={"If-Modified-Since": lm, "If-None-Match": '"other"'}
            ).status_code
            == 200
        )


class TestCachingHeaders:
    def test_cache_control_and_surrogate_key(self, client: TestClient, url: str) -> None:
        response = client.get(url)
        assert response.headers["cache-control"] == "public, max-age=60, stale-while-revalidate=600"
        assert response.headers["surrogate-key"].strip()
        assert "Accept-Encoding" in response.headers["vary"]

    def test_surrogate_keys_name_dependencies(
        self, client: TestClient, content: dict[str, Any]
    ) -> None:
        article = content["articles"][0]
        keys = client.get(f"/v1/articles/{article.slug}").headers["surrogate-key"].split()
        assert {f"article:{article.id}", f"author:{content['author'].id}"} <= set(keys)
        # Its section's name is keyed by `article:` (a renamed section announces its articles):
        # a publish elsewhere in the section must not drop this detail from caches.
        assert "section:news" not in keys
        listed = client.get("/v1/articles").headers["surrogate-key"].split()
        assert "articles" in listed
        assert f"article:{article.id}" in listed

    def test_gzip_only_when_accepted(self, client: TestClient, url: str) -> None:
        plain = client.get(url, headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        raw = client.get(url, headers={"Accept-Encoding": "gzip"})
        if len(plain.content) >= 860:
            assert raw.headers["content-encoding"] == "gzip"
            # httpx decodes transparently; the bytes on the wire were gzip.
            assert raw.content == plain.content
            assert gzip.decompress(gzip.compress(plain.content)) == raw.content
            assert raw.headers["etag"] != plain.headers["etag"]
        assert "Accept-Encoding" in raw.headers["vary"]

    def test_content_routes_are_big_enough_to_compress(
        self, client: TestClient, content: dict[str, Any]
    ) -> None:
        """So that the gzip test above exercises compression on these, not only its absence."""
        small = {"/v1/sections", "/v1/tags", "/v1/site", "/v1/authors/asha-reporter"}
        for template in set(URLS) - small:
            assert len(client.get(url_of(template, content)).content) >= 860, template

    @pytest.mark.usefixtures("content")
    def test_raw_gzip_bytes(self, client: TestClient) -> None:
        with client.stream("GET", "/v1/articles", headers={"Accept-Encoding": "gzip"}) as r:
            wire = b"".join(r.iter_raw())
        assert r.headers["content-encoding"] == "gzip"
        assert (
            gzip.decompress(wire)
            == client.get("/v1/articles", headers={"Accept-Encoding": "identity"}).content
        )

    def test_304_after_a_change_is_200(
        self, client: TestClient, session: Session, content: dict[str, Any]
    ) -> None:
        """Revalidation after an article leaves a list: the list changed, so never a 304, for
        either validator (Last-Modified must not move backwards when the newest item goes)."""
        first = client.get("/v1/articles")
        newest = content["articles"][0]
        articles_service.unpublish_article(
            session, newest, expected_revision=newest.revision, by=None, now=dt.datetime.now(dt.UTC)
        )
        for headers in (
            {"If-None-Match": first.headers["etag"]},
            {"If-Modified-Since": first.headers["last-modified"]},
        ):
            again = client.get("/v1/articles", headers=headers)
            assert again.status_code == 200, headers
            assert newest.id not in again.text


class TestCors:
    ORIGIN = "https://frontend.example"

    def test_preflight(self, client: TestClient, url: str) -> None:
        response = client.options(
            url,
            headers={
                "Origin": self.ORIGIN,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "If-None-Match",
            },
        )
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] in ("*", self.ORIGIN)
        assert "GET" in response.headers["access-control-allow-methods"]

    def test_simple_request(self, client: TestClient, url: str) -> None:
        response = client.get(url, headers={"Origin": self.ORIGIN})
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] in ("*", self.ORIGIN)
        exposed = response.headers["access-control-expose-headers"].lower()
        assert "etag" in exposed
        assert "link" in exposed


class TestLinksAndIds:
    @pytest.mark.parametrize("template", [u for u, paged, _ in ROUTES if paged])
    def test_link_next(self, client: TestClient, content: dict[str, Any], template: str) -> None:
        url = url_of(template, content)
        sep = "&" if "?" in url else "?"
        response = client.get(f"{url}{sep}limit=1")
        body = response.json()
        assert body["meta"]["next_cursor"], url
        assert response.headers["link"] == f'<{body["links"]["next"]}>; rel="next"'
        following = client.get(body["links"]["next"])
        assert following.status_code == 200
        assert following.json()["data"] != body["data"]

    def test_request_id_echoed(self, client: TestClient, url: str) -> None:
        assert (
            client.get(url, headers={"X-Request-ID": "abc-123.x:y"}).headers["x-request-id"]
            == "abc-123.x:y"
        )
        generated = client.get(url).headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", generated)

    @pytest.mark.parametrize(
        "bad", ["a b", "x; Set-Cookie: evil=1", "<script>", "a" * 200, "", "é", "x,y"]
    )
    def test_request_id_replaced(self, client: TestClient, bad: str) -> None:
        response = client.get("/v1/site", headers={"X-Request-ID": bad.encode("utf-8")})
        rid = response.headers["x-request-id"]
        assert rid != bad
        assert re.fullmatch(r"[0-9a-f]{32}", rid)
        assert "set-cookie" not in response.headers

    def test_security_headers(self, client: TestClient, url: str) -> None:
        response = client.get(url)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "server" not in response.headers


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= body.keys()
    assert body["status"] == status
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "Traceback" not in response.text
    assert "/work/" not in response.text
    return body


class TestErrors:
    @pytest.mark.parametrize(
        "path",
        [
            "/nope",
            "/v1/nope",
            "/v1/articles/a/b",
            "/v2/articles",
            "/v1/feeds/latest",
            "/v1/feeds/sections/news",
        ],
    )
    def test_unknown_route(self, client: TestClient, path: str) -> None:
        body = assert_problem(client.get(path), 404)
        assert body["instance"] == path

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("POST", "/v1/articles"),
            ("DELETE", "/v1/articles/x"),
            ("PUT", "/v1/search"),
            ("PATCH", "/v1/feeds/latest.rss"),
            ("POST", "/v1/sitemaps/news.xml"),
            ("DELETE", "/v1/site"),
        ],
    )
    def test_wrong_method(self, client: TestClient, method: str, path: str) -> None:
        response = client.request(method, path)
        assert_problem(response, 405)
        assert "GET" in response.headers["allow"]

    @pytest.mark.parametrize(
        "path",
        [
            "/v1/articles?limit=0",
            "/v1/search",
            "/v1/authors?limit=x",
            "/v1/briefs?date=yesterday",
            "/v1/tags?limit=101",
        ],
    )
    def test_validation(self, client: TestClient, path: str) -> None:
        body = assert_problem(client.get(path), 422)
        assert body["errors"]
        assert all({"loc", "msg"} <= e.keys() for e in body["errors"])


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        sent += n
        yield b"x" * n


class TestBodyLimit:
    TOO_BIG = 1024 * 1024 + 1

    @pytest.mark.parametrize(
        "path", ["/v1/articles", "/v1/editorial/articles", "/v1/auth/token", "/v1/nope", "/healthz"]
    )
    def test_with_content_length(self, client: TestClient, path: str) -> None:
        response = client.post(
            path, content=b"x" * self.TOO_BIG, headers={"Content-Type": "application/json"}
        )
        assert_problem(response, 413)

    @pytest.mark.parametrize(
        "path", ["/v1/articles", "/v1/editorial/articles", "/v1/auth/token", "/v1/nope", "/healthz"]
    )
    def test_chunked(self, client: TestClient, path: str) -> None:
        response = client.post(
            path, content=_chunks(self.TOO_BIG), headers={"Content-Type": "application/json"}
        )
        assert "content-length" not in response.request.headers
        assert response.request.headers["transfer-encoding"] == "chunked"
        assert_problem(response, 413)

    def test_at_the_limit_is_not_413(self, client: TestClient) -> None:
        response = client.post("/v1/articles", content=_chunks(1024 * 1024))
        assert response.status_code == 405

    def test_lying_content_length(self, client: TestClient) -> None:
        response = client.post("/v1/articles", content=b"x", headers={"Content-Length": "-5"})
        assert response.status_code in (400, 413)
