"""Concurrent writers against the real database: each request runs in its own thread with its
own TestClient, so each gets its own database session and connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.articles.models import Article, ArticleRevision
from app.core.db import get_write_engine
from tests.articles.newsroom import Newsroom, if_match

BASE = "/v1/editorial/articles"


def race(app: FastAPI, count: int, request: Callable[[TestClient, int], Any]) -> list[Any]:
    """Run `request` `count` times at once, each on its own client and thread."""
    barrier = threading.Barrier(count)

    def one(i: int) -> Any:
        with TestClient(app, raise_server_exceptions=False) as client:
            barrier.wait()
            return request(client, i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


class TestConcurrentEdits:
    def test_twenty_patches_from_one_etag_exactly_one_wins(self, app: FastAPI,
                                                           newsroom: Newsroom) -> None:
        article = newsroom.article("Before the race")
        headers = {**newsroom.headers["editor"], **if_match(article)}
        url = f"{BASE}/{article.id}"

        responses = race(app, 20, lambda c, i: c.patch(url, json={"title": f"Title from {i}"},
                                                       headers=headers))

        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] + [412] * 19, [r.text for r in responses]
        winner = next(r for r in responses if r.status_code == 200).json()
        for loser in (r for r in responses if r.status_code == 412):
            assert loser.headers["content-type"] == "application/problem+json"
        with Session(get_write_engine()) as s:
            stored = s.get(Article, article.id)
            assert stored is not None
            # The winner's edit is what is stored, on top of exactly one new revision: no
            # loser's title overwrote it, and no loser's attempt left a revision behind.
            assert stored.title == winner["title"]
            assert stored.revision == winner["revision"] == article.revision + 1
            revisions = s.exec(select(ArticleRevision).where(
                ArticleRevision.article_id == article.id)).all()
            assert [r.snapshot["title"] for r in revisions] == ["Before the race"]
            s.commit()

    def test_publish_and_delete_racing_one_wins(self, app: FastAPI, newsroom: Newsroom) -> None:
        article = newsroom.article("Publish or delete")
        headers = {**newsroom.headers["editor"], **if_match(article)}
        url = f"{BASE}/{article.id}"
        responses = race(app, 2, lambda c, i: c.post(f"{url}/publish", headers=headers) if i == 0
                         else c.delete(url, headers=headers))
        assert sorted(r.status_code for r in responses) == [200, 412]

    def test_creates_racing_for_one_slug_never_fail_with_500(
            self, app: FastAPI, newsroom: Newsroom) -> None:
        headers = newsroom.headers["editor"]
        responses = race(app, 6, lambda c, _i: c.post(BASE, headers=headers, json={
            "title": "Same headline", "slug": "same-headline"}))
        statuses = [r.status_code for r in responses]
        assert set(statuses) <= {201, 409}, [r.text for r in responses]
        assert 201 in statuses
        for conflict in (r for r in responses if r.status_code == 409):
            assert conflict.headers["content-type"] == "application/problem+json"
            assert "INSERT" not in conflict.text
        slugs = [r.json()["slug"] for r in responses if r.status_code == 201]
        assert "same-headline" in slugs
        assert len(set(slugs)) == len(slugs)


def test_an_integrity_error_is_a_409_problem_without_sql(app: FastAPI) -> None:
    from sqlalchemy.exc import IntegrityError

    @app.post("/v1/editorial/_race")
    def race_lost() -> None:
        raise IntegrityError("INSERT INTO article (slug) VALUES (%s)", {"slug": "x"},
                             Exception("duplicate key value violates unique constraint"))

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/v1/editorial/_race")
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert "INSERT" not in response.text
    assert "duplicate" not in response.text
