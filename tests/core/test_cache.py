"""The response cache: hits, exact invalidation by the content version, scheduled publication,
surfaces that are never cached, and two app instances on one database."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session
from starlette.types import ASGIApp, Receive, Scope, Send

from app.articles import service as articles_service
from app.articles.models import Article, ArticleUpdate
from app.changelog import signal
from app.changelog.signal import listener
from app.core import cache as cache_module
from app.core.cache import ResponseCache, cache_key, content_engine
from app.core.config import get_settings
from app.core.listing import now as clock
from app.main import create_app

MakeArticle = Callable[..., Article]


class ResponseCacheMiddleware:
    """The cache around a bare ASGI app, as `EdgeMiddleware` places it around the API: to
    test what it stores and serves for downstream answers the API could not be made to give."""

    def __init__(self, app: ASGIApp, *, max_bytes: int,
                 engine: Callable[[], Engine] = content_engine) -> None:
        self.app = app
        self.cache = ResponseCache(max_bytes=max_bytes, engine=engine)
        self.entries = self.cache.entries

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.cache.handles(scope):
            await self.app(scope, receive, send)
            return
        lookup = await self.cache.lookup(scope)
        if lookup.entry is not None:
            await self.cache.answer(scope, lookup.entry, send)
        else:
            await self.cache.fill(self.app, scope, receive, send, lookup)


def titles(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["data"]]


def quietly_retitle(session: Session, article: Article, title: str) -> None:
    """Change a row without bumping the content version: only a cache hit shows the old title."""
    session.execute(text("UPDATE article SET title = :t WHERE id = :id"),
                    {"t": title, "id": article.id})
    session.commit()


def reads_around_a_quiet_commit(client: TestClient, session: Session, article: Article,
                                reads: list[int]) -> tuple[int, int]:
    """The state reads after three requests for a cached list, and after one more that
    follows a commit moving no counter (the entry, still served, shows the old title)."""
    for _ in range(3):
        assert titles(client.get("/v1/articles")) == ["Counted"]
    before = len(reads)
    quietly_retitle(session, article, "Committed")
    assert titles(client.get("/v1/articles")) == ["Counted"]
    return before, len(reads)


@pytest.fixture
def second_client(engine: Engine) -> Iterator[TestClient]:  # noqa: ARG001 (migrated database)
    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c


class TestHits:
    def test_a_hit_serves_the_same_bytes(
            self, client: TestClient, make_article: MakeArticle, session: Session) -> None:
        article = make_article("Budget passes")
        first = client.get("/v1/articles")
        quietly_retitle(session, article, "Changed behind the cache's back")
        second = client.get("/v1/articles")
        assert second.content == first.content
        assert second.headers["etag"] == first.headers["etag"]
        assert titles(second) == ["Budget passes"]

    def test_the_key_ignores_query_order_but_not_encoding(
            self, client: TestClient, make_article: MakeArticle, session: Session) -> None:
        article = make_article("Ordered")
        client.get("/v1/articles?limit=5&sort=-published_at")
        quietly_retitle(session, article, "Reordered")
        assert titles(client.get("/v1/articles?sort=-published_at&limit=5")) == ["Ordered"]
        plain = client.get("/v1/articles?sort=-published_at&limit=5",
                           headers={"Accept-Encoding": "identity"})
        assert titles(plain) == ["Reordered"]

    def test_a_cached_entry_answers_if_none_match_with_304(
            self, client: TestClient, make_article: Callable[..., Article]) -> None:
        article = make_article("Revalidate me")
        first = client.get(f"/v1/articles/{article.slug}")
        again = client.get(f"/v1/articles/{article.slug}",
                           headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == first.headers["etag"]
        assert "cache-control" in again.headers

    def test_a_revalidation_that_misses_fills_the_cache(
            self, client: TestClient, second_client: TestClient, make_article: MakeArticle,
            session: Session) -> None:
        article = make_article("Validated elsewhere")
        url = f"/v1/articles/{article.slug}"
        etag = second_client.get(url).headers["etag"]  # another process's cache, not this one
        fresh = client.get(url, headers={"If-None-Match": etag})
        assert fresh.status_code == 304
        assert fresh.content == b""
        assert fresh.headers["etag"] == etag
        quietly_retitle(session, article, "Changed behind the cache's back")
        assert client.get(url).json()["title"] == "Validated elsewhere"  # the stored render
        stale = client.get(f"/v1/articles/{article.slug}?fields=title",
                           headers={"If-None-Match": '"not-this-one"'})
        assert stale.status_code == 200
        assert stale.json() == {"title": "Changed behind the cache's back"}

    def test_errors_are_not_cached(self, client: TestClient,
                                   make_article: Callable[..., Article]) -> None:
        assert client.get("/v1/articles/later").status_code == 404
        make_article("Later")
        assert client.get("/v1/articles/later").status_code == 200


class TestInvalidation:
    def test_a_new_publication_shows_on_the_next_request(
            self, client: TestClient, make_article: Callable[..., Article]) -> None:
        make_article("First")
        assert titles(client.get("/v1/articles")) == ["First"]
        make_article("Second")
        assert titles(client.get("/v1/articles")) == ["Second", "First"]

    def test_an_edit_shows_on_the_next_request(
            self, client: TestClient, make_article: MakeArticle, session: Session) -> None:
        article = make_article("Before")
        assert client.get(f"/v1/articles/{article.slug}").json()["title"] == "Before"
        articles_service.update_article(session, article, ArticleUpdate(title="After"),
                                        expected_revision=article.revision, by=None,
                                        now=datetime.now(UTC))
        assert client.get(f"/v1/articles/{article.slug}").json()["title"] == "After"
        assert titles(client.get("/v1/articles")) == ["After"]

    def test_a_scheduled_article_appears_when_its_time_comes(
            self, app: FastAPI, client: TestClient, make_article: Callable[..., Article]) -> None:
        start = datetime.now(UTC)
        make_article("Now")
        make_article("At noon", status="scheduled", published_at=start + timedelta(hours=1))
        app.dependency_overrides[clock] = lambda: start
        assert titles(client.get("/v1/articles")) == ["Now"]
        assert titles(client.get("/v1/articles")) == ["Now"]
        app.dependency_overrides[clock] = lambda: start + timedelta(hours=1, seconds=1)
        assert titles(client.get("/v1/articles")) == ["At noon", "Now"]

    def test_another_instance_sees_a_write_on_its_next_request(
            self, client: TestClient, second_client: TestClient,
            make_article: Callable[..., Article], session: Session) -> None:
        article = make_article("Shared")
        for c in (client, second_client):
            assert titles(c.get("/v1/articles")) == ["Shared"]
        articles_service.update_article(session, article, ArticleUpdate(title="Shared, edited"),
                                        expected_revision=article.revision, by=None,
                                        now=datetime.now(UTC))
        assert titles(second_client.get("/v1/articles")) == ["Shared, edited"]
        assert titles(client.get("/v1/articles")) == ["Shared, edited"]


class TestFineInvalidation:
    """A publish or an edit drops the pages that show the article, in every process, and no
    other: each version move carries the Surrogate-Keys it made stale."""

    def test_a_publish_leaves_unrelated_details_cached_and_refreshes_what_shows_it(
            self, client: TestClient, second_client: TestClient, make_article: MakeArticle,
            make_author: Callable[..., Any], make_section: Callable[..., Any],
            auth_headers: Callable[..., dict[str, str]], session: Session) -> None:
        make_section("news")
        desk, other = make_author("Desk"), make_author("Other")
        unrelated = make_article("Unrelated", authors=[other.slug], section="news")
        sibling = make_article("By the desk", authors=[desk.slug], section="news")
        editor = auth_headers("editor")
        pages = {
            "unrelated": f"/v1/articles/{unrelated.slug}",
            "sibling": f"/v1/articles/{sibling.slug}",  # its byline counts the desk's articles
            "list": "/v1/articles",
            "section list": "/v1/articles?section=news",
            "front": "/v1/front",
            "search": "/v1/search?q=budget",
            "author": f"/v1/authors/{desk.slug}",
            "authors": "/v1/authors",
            "section": "/v1/sections/news",
        }
        for c in (client, second_client):  # two processes' caches, filled
            for url in pages.values():
                assert c.get(url).status_code == 200, url
                assert c.get(url).headers["x-cache"] == "HIT", url
        quietly_retitle(session, unrelated, "Changed behind the cache's back")

        draft = client.post("/v1/editorial/articles", headers=editor, json={
            "title": "Budget passes", "authors": [desk.slug], "section": "news"})
        assert draft.status_code == 201, draft.text
        published = client.post(f"/v1/editorial/articles/{draft.json()['id']}/publish",
                                headers={**editor, "If-Match": draft.headers["etag"]})
        assert published.status_code == 200, published.text

        for c in (second_client, client):  # the other process learns it from the database
            answers = {name: c.get(url) for name, url in pages.items()}
            verdicts = {name: a.headers["x-cache"] for name, a in answers.items()}
            assert verdicts == {**dict.fromkeys(pages, "MISS"), "unrelated": "HIT"}
            assert answers["unrelated"].json()["title"] == "Unrelated"  # the stored render
            assert titles(answers["list"])[0] == "Budget passes"
            assert titles(answers["section list"])[0] == "Budget passes"
            assert [h["title"] for h in answers["search"].json()["data"]] == ["Budget passes"]
            assert answers["author"].json()["article_count"] == 2
            assert [a["article_count"] for a in answers["sibling"].json()["authors"]] == [2]
            assert c.get(pages["sibling"]).headers["x-cache"] == "HIT"

    def test_an_edit_refreshes_its_detail_and_lists_but_not_other_details(
            self, client: TestClient, make_article: MakeArticle, session: Session) -> None:
        edited, other = make_article("Before"), make_article("Other")
        urls = [f"/v1/articles/{edited.slug}", f"/v1/articles/{other.slug}", "/v1/articles"]
        for url in urls:
            client.get(url)
        articles_service.update_article(session, edited, ArticleUpdate(title="After"),
                                        expected_revision=edited.revision, by=None,
                                        now=datetime.now(UTC))
        answers = [client.get(url) for url in urls]
        assert [a.headers["x-cache"] for a in answers] == ["MISS", "HIT", "MISS"]
        assert answers[0].json()["title"] == "After"
        assert titles(answers[2]) == ["Other", "After"]

    def test_publishing_a_translation_refreshes_the_original(
            self, client: TestClient, make_article: MakeArticle) -> None:
        original = make_article("Budget passes")
        url = f"/v1/articles/{original.slug}"
        assert client.get(url).json()["translations"] == []
        assert client.get(url).headers["x-cache"] == "HIT"
        translation = make_article("बजेट पारित", language="ne", translation_of=original.id)
        fresh = client.get(url)
        assert fresh.headers["x-cache"] == "MISS"
        assert [t["slug"] for t in fresh.json()["translations"]] == [translation.slug]

    def test_a_version_move_without_keys_drops_everything(
            self, client: TestClient, make_article: MakeArticle, session: Session) -> None:
        """A move the cache cannot explain (no `stale_key` rows: pruned, or written by hand)
        is treated as a change to everything."""
        article = make_article("Kept")
        url = f"/v1/articles/{article.slug}"
        client.get(url)
        quietly_retitle(session, article, "Changed")
        session.execute(text("UPDATE counter SET value = value + 1 WHERE name = 'content_version'"))
        # Told at commit, as every writer in this process is (on PostgreSQL another process's
        # commit is heard a moment later, by its notification: tested below).
        signal.announce(session)
        session.commit()
        fresh = client.get(url)
        assert (fresh.headers["x-cache"], fresh.json()["title"]) == ("MISS", "Changed")


class TestXCacheHeader:
    """`X-Cache` says whether an answer came from a stored entry (HIT) or a render (MISS): what
    `python -m bench.newsroom_day` counts for its hit ratio."""

    def test_draft_saves_leave_it_a_hit_and_a_publish_makes_a_miss(
            self, client: TestClient, make_article: MakeArticle,
            make_author: Callable[..., Any], auth_headers: Callable[..., dict[str, str]]) -> None:
        make_article("On the front")
        byline = make_author().slug
        editor = auth_headers("editor")
        first = client.get("/v1/articles")
        assert first.headers.get_list("x-cache") == ["MISS"]
        second = client.get("/v1/articles")
        assert second.headers.get_list("x-cache") == ["HIT"]
        assert second.content == first.content
        revalidated = client.get("/v1/articles", headers={"If-None-Match": first.headers["etag"]})
        assert (revalidated.status_code, revalidated.headers["x-cache"]) == (304, "HIT")

        draft = client.post("/v1/editorial/articles", headers=editor,
                            json={"title": "Still a draft", "authors": [byline]})
        assert draft.status_code == 201, draft.text
        assert "x-cache" not in draft.headers  # the Editorial API is never cached
        url = f"/v1/editorial/articles/{draft.json()['id']}"
        saved = client.patch(url, json={"title": "Still a draft, saved again"},
                             headers={**editor, "If-Match": draft.headers["etag"]})
        assert saved.status_code == 200, saved.text
        after_saves = client.get("/v1/articles")
        assert after_saves.headers.get_list("x-cache") == ["HIT"]
        assert titles(after_saves) == ["On the front"]

        published = client.post(f"{url}/publish",
                                headers={**editor, "If-Match": saved.headers["etag"]})
        assert published.status_code == 200, published.text
        after_publish = client.get("/v1/articles")
        assert after_publish.headers.get_list("x-cache") == ["MISS"]
        assert titles(after_publish) == ["Still a draft, saved again", "On the front"]
        assert client.get("/v1/articles").headers.get_list("x-cache") == ["HIT"]

    def test_a_revalidation_that_misses_and_an_unstored_answer_say_miss(
            self, client: TestClient, second_client: TestClient,
            make_article: MakeArticle) -> None:
        article = make_article("Validated elsewhere")
        url = f"/v1/articles/{article.slug}"
        etag = second_client.get(url).headers["etag"]  # another process's cache
        fresh = client.get(url, headers={"If-None-Match": etag})
        assert (fresh.status_code, fresh.headers.get_list("x-cache")) == (304, ["MISS"])
        assert client.get(url).headers.get_list("x-cache") == ["HIT"]
        for _ in range(2):  # a 404 is never stored: each one is rendered
            missing = client.get("/v1/articles/no-such-story")
            assert (missing.status_code, missing.headers.get_list("x-cache")) == (404, ["MISS"])
        assert "x-cache" not in client.get("/healthz").headers  # not a cached surface


def listening_steadily() -> None:
    """Until the process's change listener has listened for a second without a wake-up: it
    connects in the background, and the previous test's app, shutting down, stopped it (that
    thread ends within a second; the next call starts another, which wakes on connecting)."""
    deadline = time.monotonic() + 10
    last, since = None, time.monotonic()
    while True:
        generation, now = listener.pushed_generation(), time.monotonic()
        if generation is None or generation != last:
            last, since = generation, now
        elif now - since > 1.2:
            return
        assert now < deadline, "the change listener never listened steadily"
        time.sleep(0.05)


class TestStateReads:
    @pytest.fixture
    def reads(self, app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> list[int]:
        """One item per content-state query the app's cache makes."""
        cache = app.state.response_cache
        counted: list[int] = []
        fetch = cache._fetch_state
        monkeypatch.setattr(cache.reader, "_fetch", lambda: counted.append(1) or fetch())
        return counted

    def test_on_sqlite_the_state_is_read_only_after_a_commit(
            self, client: TestClient, make_article: MakeArticle, session: Session,
            reads: list[int]) -> None:
        if session.get_bind().dialect.name != "sqlite":
            pytest.skip("PRAGMA data_version is SQLite's")
        article = make_article("Counted")
        assert reads_around_a_quiet_commit(client, session, article, reads) == (1, 2)

    def test_on_postgresql_the_state_is_read_only_after_a_notification(
            self, client: TestClient, make_article: MakeArticle, session: Session,
            engine: Engine, monkeypatch: pytest.MonkeyPatch, reads: list[int]) -> None:
        """A hit costs no round trip while the change listener hears every commit: a commit
        that moves no counter is not one; a counter moved by hand, on a connection of its own
        with nothing in Python announcing it (as another process would), is heard through the
        trigger's notification; and the state is read again after `PUSHED_MAX_AGE` whatever."""
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
        monkeypatch.setattr(cache_module, "PUSHED_MAX_AGE", 3600.0)
        article = make_article("Counted")
        # Announced twice: in this process at the commit, and by the trigger's notification
        # a moment later (either may come first to the next request): let both arrive.
        listening_steadily()
        assert reads_around_a_quiet_commit(client, session, article, reads) == (1, 1)

        with engine.connect() as other:
            other.execute(text("UPDATE counter SET value = value + 1"
                               " WHERE name = 'content_version'"))
            other.commit()
        deadline = time.monotonic() + 1
        while titles(client.get("/v1/articles")) != ["Committed"]:
            assert time.monotonic() < deadline, "the notification was not heard within 1 s"
            time.sleep(0.01)
        assert len(reads) == 2

        monkeypatch.setattr(cache_module, "PUSHED_MAX_AGE", 0.05)
        time.sleep(0.1)
        client.get("/v1/articles")
        assert len(reads) == 3


class TestScope:
    @pytest.fixture
    def counting(self, engine: Engine) -> tuple[TestClient, list[str]]:
        calls: list[str] = []

        async def downstream(scope: Scope, _receive: Receive, send: Send) -> None:
            calls.append(scope["path"])
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"etag", b'"abc"'), (b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": b"{}"})

        wrapped = ResponseCacheMiddleware(downstream, max_bytes=1 << 20, engine=lambda: engine)
        return TestClient(wrapped), calls

    @pytest.mark.parametrize("path", ["/v1/editorial/articles", "/v1/auth/token",
                                      "/v1/syndication/changes", "/healthz"])
    def test_private_surfaces_are_never_cached(self, counting: tuple[TestClient, list[str]],
                                               path: str) -> None:
        client, calls = counting
        client.get(path)
        client.get(path)
        assert calls == [path, path]

    def test_public_reads_are(self, counting: tuple[TestClient, list[str]]) -> None:
        client, calls = counting
        client.get("/v1/articles")
        client.get("/v1/articles")
        assert calls == ["/v1/articles"]

    def test_concurrent_misses_wait_for_one_render(self, engine: Engine) -> None:
        renders: list[str] = []

        async def slow(_scope: Scope, _receive: Receive, send: Send) -> None:
            renders.append("render")
            await anyio.sleep(0.2)  # long enough for every other request to arrive meanwhile
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"etag", b'"one"'), (b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": b'{"rendered": 1}'})

        wrapped = ResponseCacheMiddleware(slow, max_bytes=1 << 20, engine=lambda: engine)

        async def readers() -> list[httpx.Response]:
            transport = httpx.ASGITransport(app=wrapped)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                return list(await asyncio.gather(
                    *(client.get("/v1/articles") for _ in range(10)),
                    client.get("/v1/articles", headers={"If-None-Match": '"one"'})))

        answers = asyncio.run(readers())
        assert renders == ["render"]
        assert [a.status_code for a in answers] == [200] * 10 + [304]
        assert all(a.content == b'{"rendered": 1}' for a in answers[:10])

    @pytest.mark.usefixtures("engine")
    def test_the_lru_keeps_its_bound_in_bytes(self) -> None:
        bodies = {"/v1/articles/small": b"{}", "/v1/articles/big": b"x" * 40_000}

        async def downstream(scope: Scope, _receive: Receive, send: Send) -> None:
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"etag", b'"x"')]})
            await send({"type": "http.response.body",
                        "body": bodies.get(scope["path"], b"y" * 1000)})

        wrapped = ResponseCacheMiddleware(downstream, max_bytes=10_000)
        c = TestClient(wrapped)
        for i in range(20):
            c.get(f"/v1/articles/a{i}")
        # Entries of about 1.7 KB each (body, headers and overhead): the newest five fit.
        assert 4 <= len(wrapped.entries) <= 6
        assert wrapped.entries.bytes <= 10_000
        assert c.get("/v1/articles/a19").headers["x-cache"] == "HIT"
        assert c.get("/v1/articles/a0").headers["x-cache"] == "MISS"
        c.get("/v1/articles/big")  # larger than the whole cache: answered, never stored
        assert c.get("/v1/articles/big").headers["x-cache"] == "MISS"
        assert c.get("/v1/articles/a19").headers["x-cache"] == "HIT"

    def test_writes_are_passed_through(self, counting: tuple[TestClient, list[str]]) -> None:
        client, calls = counting
        client.post("/v1/articles")
        client.post("/v1/articles")
        assert len(calls) == 2


def test_cache_key_normalizes_query_order() -> None:
    def scope(qs: bytes) -> dict[str, Any]:
        return {"path": "/v1/articles", "query_string": qs,
                "headers": [(b"host", b"h"), (b"accept-encoding", b"gzip")]}

    assert cache_key(scope(b"b=2&a=1")) == cache_key(scope(b"a=1&b=2"))
    assert cache_key(scope(b"tag=x&tag=y")) != cache_key(scope(b"tag=y&tag=x"))


@pytest.mark.usefixtures("engine")
@pytest.mark.parametrize(("setting", "installed"), [("true", True), ("false", False)])
def test_switched_off_it_is_not_installed(monkeypatch: pytest.MonkeyPatch, setting: str,
                                          installed: bool) -> None:
    monkeypatch.setenv("KHABAR_RESPONSE_CACHE", setting)
    get_settings.cache_clear()
    try:
        app = create_app()
        assert (app.state.response_cache is not None) is installed
    finally:
        get_settings.cache_clear()
