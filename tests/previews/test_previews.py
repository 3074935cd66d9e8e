"""Preview links: created, opened, listed, revoked and expired through real HTTP; never cached
or indexed; rate-limited per link; `?slug=` on the editorial list."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.articles import service as articles_service
from app.articles.models import ArticleUpdate
from app.core.listing import now as clock
from app.previews.models import PreviewLink
from tests.articles.newsroom import Newsroom, if_match
from tests.articles.test_content_api import assert_problem

BASE = "/v1/editorial/articles"


def create(client: TestClient, newsroom: Newsroom, article_id: str, who: str = "writer",
           **body: Any) -> Any:
    return client.post(f"{BASE}/{article_id}/preview-links", json=body or None,
                       headers=newsroom.headers[who])


def path_of(created: dict[str, Any]) -> str:
    return "/v1/preview/" + created["token"]


class TestLifecycle:
    def test_a_writer_previews_their_draft(self, client: TestClient, app: FastAPI,
                                           newsroom: Newsroom, session: Session) -> None:
        draft = newsroom.article("Unfinished story")
        r = create(client, newsroom, draft.id)
        assert r.status_code == 201, r.text
        link = r.json()
        assert link["active"] is True
        assert link["article_id"] == draft.id
        hours = (datetime.fromisoformat(link["expires_at"])
                 - datetime.fromisoformat(link["created_at"])) / timedelta(hours=1)
        assert hours == pytest.approx(24)
        assert link["url"].endswith(path_of(link))
        # Stored hashed, never in clear.
        stored = session.exec(select(PreviewLink)).one()
        assert stored.token_hash == hashlib.sha256(link["token"].encode()).hexdigest()
        assert link["token"] not in stored.token_hash

        # Anyone with the link, no login: the current draft, as a detail; not public.
        page = client.get(path_of(link))
        assert page.status_code == 200, page.text
        assert page.json()["title"] == "Unfinished story"
        assert page.headers["cache-control"] == "private, no-store"
        assert page.headers["x-robots-tag"] == "noindex"
        assert "surrogate-key" not in page.headers
        assert_problem(client.get(f"/v1/articles/{draft.slug}"), 404)
        assert client.get("/v1/articles").status_code == 200  # the cache does store this
        stored = [key[1] for key in app.state.response_cache.entries._items]
        assert "/v1/articles" in stored
        assert not [p for p in stored if "preview" in p]

        # Later edits show at once (the response cache never stored the first answer).
        articles_service.update_article(session, draft, ArticleUpdate(title="Finished story"),
                                        expected_revision=draft.revision, by=newsroom.writer,
                                        now=datetime.now(UTC))
        assert client.get(path_of(link)).json()["title"] == "Finished story"

        listed = client.get(f"{BASE}/{draft.id}/preview-links",
                            headers=newsroom.headers["writer"]).json()["data"]
        assert [x["id"] for x in listed] == [link["id"]]
        assert "token" not in listed[0]

        revoke = client.delete(f"{BASE}/{draft.id}/preview-links/{link['id']}",
                               headers=newsroom.headers["writer"])
        assert revoke.status_code == 204
        assert_problem(client.get(path_of(link)), 404)
        listed = client.get(f"{BASE}/{draft.id}/preview-links",
                            headers=newsroom.headers["writer"]).json()["data"]
        assert listed[0]["active"] is False
        assert listed[0]["revoked_at"]
        assert client.delete(f"{BASE}/{draft.id}/preview-links/{link['id']}",
                             headers=newsroom.headers["writer"]).status_code == 204

    def test_expiry(self, client: TestClient, app: FastAPI, newsroom: Newsroom) -> None:
        draft = newsroom.article("Draft")
        link = create(client, newsroom, draft.id, expires_in=60).json()
        assert client.get(path_of(link)).status_code == 200
        app.dependency_overrides[clock] = lambda: datetime.now(UTC) + timedelta(seconds=61)
        try:
            assert_problem(client.get(path_of(link)), 404)
        finally:
            app.dependency_overrides.pop(clock)

    def test_every_dead_token_is_the_same_404(self, client: TestClient,
                                              newsroom: Newsroom) -> None:
        draft = newsroom.article("Draft")
        revoked = create(client, newsroom, draft.id).json()
        client.delete(f"{BASE}/{draft.id}/preview-links/{revoked['id']}",
                      headers=newsroom.headers["writer"])
        gone = newsroom.article("Deleted one", state="deleted")
        deleted = create(client, newsroom, gone.id, who="editor").json()
        problems = [assert_problem(client.get(p), 404) for p in (
            path_of(revoked), path_of(deleted), "/v1/preview/" + "A" * 43, "/v1/preview/short",
            "/v1/preview/" + "%21" * 43)]
        assert len({(p["title"], p["detail"]) for p in problems}) == 1


class TestRules:
    @pytest.mark.parametrize("expires_in", [604801, 59, 0, -5, "3600", 3600.5, None])
    def test_bad_expiry_is_422_and_creates_nothing(
            self, client: TestClient, newsroom: Newsroom, session: Session,
            expires_in: Any) -> None:
        draft = newsroom.article("Draft")
        assert_problem(create(client, newsroom, draft.id, expires_in=expires_in), 422)
        assert session.exec(select(func.count()).select_from(PreviewLink)).one() == 0

    def test_seven_days_is_the_maximum(self, client: TestClient, newsroom: Newsroom) -> None:
        draft = newsroom.article("Draft")
        assert create(client, newsroom, draft.id, expires_in=604800).status_code == 201

    def test_who_may(self, client: TestClient, newsroom: Newsroom) -> None:
        draft = newsroom.article("Draft")  # the writer's own
        assert_problem(create(client, newsroom, draft.id, who="other"), 404)
        assert_problem(create(client, newsroom, draft.id, who="anon"), 401)
        assert create(client, newsroom, draft.id, who="editor").status_code == 201
        link = create(client, newsroom, draft.id).json()
        assert_problem(client.delete(f"{BASE}/{draft.id}/preview-links/{link['id']}",
                                     headers=newsroom.headers["other"]), 404)
        other = newsroom.article("Another", by=newsroom.other_writer)
        assert_problem(client.delete(f"{BASE}/{other.id}/preview-links/{link['id']}",
                                     headers=newsroom.headers["other"]), 404)
        assert client.get(path_of(link)).status_code == 200

    def test_rate_limited_per_link(self, configure: Callable[..., FastAPI],
                                   newsroom: Newsroom) -> None:
        app = configure(KHABAR_RATE_LIMIT_PREVIEW="3/minute")
        with TestClient(app, raise_server_exceptions=False) as client:
            first = create(client, newsroom, newsroom.article("One").id).json()
            second = create(client, newsroom, newsroom.article("Two").id).json()
            answers = [client.get(path_of(first)) for _ in range(4)]
            assert [a.status_code for a in answers] == [200, 200, 200, 429]
            assert answers[0].headers["ratelimit-limit"] == "3"
            assert "retry-after" in answers[3].headers
            assert client.get(path_of(second)).status_code == 200


class TestFindBySlug:
    def test_current_and_old_slugs(self, client: TestClient, newsroom: Newsroom) -> None:
        article = newsroom.article("First title", slug="first-title")
        newsroom.article("Other")
        r = client.patch(f"{BASE}/{article.id}", json={"slug": "second-title"},
                         headers=if_match(article, **newsroom.headers["writer"]))
        assert r.status_code == 200
        for slug in ("second-title", "first-title"):
            found = client.get(f"{BASE}?slug={slug}", headers=newsroom.headers["editor"]).json()
            assert [a["id"] for a in found["data"]] == [article.id]
        assert client.get(f"{BASE}?slug=nothing",
                          headers=newsroom.headers["editor"]).json()["data"] == []
        # Writers still see only their own.
        assert client.get(f"{BASE}?slug=second-title",
                          headers=newsroom.headers["other"]).json()["data"] == []
