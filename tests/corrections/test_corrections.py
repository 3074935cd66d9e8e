"""Corrections: append-only public notices on published articles, on every surface."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.articles.models import Article
from app.corrections.models import ArticleCorrection
from app.syndication import ninjs
from tests.articles.newsroom import Newsroom, if_match
from tests.articles.test_content_api import assert_problem
from tests.syndication.test_ninjs import validator

NOTICE = {"kind": "correction", "text": "An earlier version gave the wrong date for the vote."}


def url(article: Article) -> str:
    return f"/v1/editorial/articles/{article.id}/corrections"


def count(session: Session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(ArticleCorrection)).one()


class TestAppend:
    def test_every_surface_shows_it(self, client: TestClient, newsroom: Newsroom,
                                    make_partner: Any) -> None:
        article = newsroom.article("Vote counted", state="published")
        _, partner = make_partner()
        feed = client.get("/v1/syndication/changes", headers=partner).json()
        cursor = feed["meta"]["next_cursor"]
        before = client.get(f"/v1/articles/{article.slug}")
        assert before.json()["corrections"] == []

        r = client.post(url(article), json=NOTICE, headers=if_match(article,
                                                                     **newsroom.headers["editor"]))
        assert r.status_code == 201, r.text
        assert r.headers["etag"] != if_match(article)["If-Match"]
        assert r.json()["revision"] == article.revision + 1
        [notice] = r.json()["corrections"]
        assert notice["kind"] == "correction"
        assert notice["at"].endswith("Z")
        assert notice["text"] == NOTICE["text"]

        detail = client.get(f"/v1/articles/{article.slug}")  # the cached page is replaced
        assert detail.headers["etag"] != before.headers["etag"]
        assert detail.json()["corrections"] == [notice]
        [comment] = detail.json()["structured_data"]["correction"]
        assert comment["@type"] == "CorrectionComment"
        assert comment["text"] == NOTICE["text"]

        changes = client.get(f"/v1/syndication/changes?since={cursor}", headers=partner).json()
        [change] = changes["data"]
        assert change["op"] == "upsert"
        assert change["id"] == article.id
        assert change["article"]["corrections"] == [notice]

    @pytest.mark.parametrize("version", ninjs.VERSIONS)
    def test_ninjs_carries_a_valid_correction_description(
            self, client: TestClient, newsroom: Newsroom, make_partner: Any,
            version: str) -> None:
        article = newsroom.article("Vote counted", state="published", excerpt="Summary")
        for kind in ("correction", "update"):
            article = newsroom.session.get(Article, article.id)  # type: ignore[assignment]
            newsroom.session.refresh(article)
            newsroom.release()
            r = client.post(url(article), json={"kind": kind, "text": f"A {kind}."},
                            headers=if_match(article, **newsroom.headers["editor"]))
            assert r.status_code == 201, r.text
        _, partner = make_partner()
        doc = client.get(f"/v1/syndication/articles/{article.id}", headers=partner,
                         params={"format": "ninjs", "ninjs_version": version}).json()
        assert not [e.message for e in validator(version).iter_errors(doc)]
        if version == "1.6":
            text = doc["description_correction"]
            assert "Correction (" in text
            assert "A correction." in text
            assert "A update." in text
        else:
            descriptions = doc["descriptions"]
            assert descriptions[0] == {"role": "summary", "value": "Summary"}
            assert [d["role"] for d in descriptions[1:]] == ["correction", "correction"]
            assert descriptions[2]["value"].startswith("Update (")


class TestRefused:
    @pytest.mark.parametrize(("who", "status"), [("writer", 403), ("anon", 401)])
    def test_editors_only(self, client: TestClient, newsroom: Newsroom, session: Session,
                          who: str, status: int) -> None:
        article = newsroom.article("Story", state="published")
        headers = newsroom.headers.get(who, {})
        assert_problem(client.post(url(article), json=NOTICE,
                                   headers=if_match(article, **headers)), status)
        assert count(session) == 0

    @pytest.mark.parametrize(("state", "status"), [("draft", 409), ("deleted", 409)])
    def test_only_published_articles(self, client: TestClient, newsroom: Newsroom,
                                      session: Session, state: str, status: int) -> None:
        article = newsroom.article("Story", state=state)
        assert_problem(client.post(url(article), json=NOTICE,
                                   headers=if_match(article, **newsroom.headers["editor"])),
                       status)
        assert count(session) == 0

    @pytest.mark.parametrize("body", [
        {"kind": "correction", "text": ""}, {"kind": "correction", "text": "   "},
        {"kind": "erratum", "text": "x"}, {"text": "x"}, {"kind": "update"},
        {"kind": "update", "text": "x", "at": "2020-01-01T00:00:00Z"},
        {"kind": "update", "text": "x" * 2001}])
    def test_bad_bodies_are_422(self, client: TestClient, newsroom: Newsroom,
                                session: Session, body: dict[str, Any]) -> None:
        article = newsroom.article("Story", state="published")
        assert_problem(client.post(url(article), json=body,
                                   headers=if_match(article, **newsroom.headers["editor"])), 422)
        assert count(session) == 0

    def test_preconditions(self, client: TestClient, newsroom: Newsroom,
                           session: Session) -> None:
        article = newsroom.article("Story", state="published")
        assert_problem(client.post(url(article), json=NOTICE,
                                   headers=newsroom.headers["editor"]), 428)
        stale = {"If-Match": f'"{article.id}.{article.revision - 1}"'}
        r = client.post(url(article), json=NOTICE,
                        headers={**newsroom.headers["editor"], **stale})
        assert_problem(r, 412)
        assert count(session) == 0
        session.expire_all()
        assert session.get(Article, article.id).revision == article.revision  # type: ignore[union-attr]

    def test_no_route_edits_or_removes_one(self, client: TestClient, newsroom: Newsroom,
                                           app: Any) -> None:
        article = newsroom.article("Story", state="published")
        client.post(url(article), json=NOTICE,
                    headers=if_match(article, **newsroom.headers["admin"]))
        for method in ("PATCH", "PUT", "DELETE"):
            r = client.request(method, url(article), json=NOTICE,
                               headers=newsroom.headers["admin"])
            assert r.status_code == 405
        paths = [p for p in app.openapi()["paths"] if "correction" in p]
        assert paths == ["/v1/editorial/articles/{article_id}/corrections"]
        assert set(app.openapi()["paths"][paths[0]]) == {"post"}
