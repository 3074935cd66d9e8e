"""The audit log: logins, failed logins and every committed editorial write, each in the
transaction of what it records; admins read it, nobody edits it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from app.articles import service as articles_service
from app.articles.models import ArticleCreate
from app.audit import service as audit
from app.audit.models import AuditEntry
from app.core.db import get_write_engine
from app.taxonomy.models import Section
from tests.articles.newsroom import Newsroom, if_match
from tests.articles.test_content_api import assert_problem
from tests.factories import PASSWORD

AUDIT = "/v1/editorial/audit"


def entries(client: TestClient, newsroom: Newsroom, **params: Any) -> list[dict[str, Any]]:
    r = client.get(AUDIT, params=params, headers=newsroom.headers["admin"])
    assert r.status_code == 200, r.text
    return r.json()["data"]


def rows(session: Session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(AuditEntry)).one()


class TestWhatIsRecorded:
    def test_logins_and_failed_logins(self, client: TestClient, newsroom: Newsroom) -> None:
        ok = client.post("/v1/auth/token", data={"username": "Editor@example.com",
                                                 "password": PASSWORD})
        assert ok.status_code == 200
        bad = client.post("/v1/auth/token", data={"username": "editor@example.com",
                                                  "password": "wrong password"})
        assert bad.status_code == 401
        unknown = client.post("/v1/auth/token", data={"username": "who@example.com",
                                                      "password": "wrong password"})
        assert unknown.status_code == 401
        failed, login = entries(client, newsroom, action="login_failed"), entries(
            client, newsroom, action="login")
        assert [(e["actor_id"], e["actor_email"]) for e in failed] == [
            (None, "who@example.com"), (None, "editor@example.com")]
        assert [(e["actor_id"], e["target_type"], e["target_id"]) for e in login] == [
            (newsroom.editor.id, "user", str(newsroom.editor.id))]
        assert login[0]["ip"]

    def test_editorial_writes_with_their_entity(self, client: TestClient,
                                                newsroom: Newsroom) -> None:
        editor = newsroom.headers["editor"]
        created = client.post("/v1/editorial/articles", json={"title": "New"}, headers=editor)
        assert created.status_code == 201
        article = created.json()
        published = client.post(f"/v1/editorial/articles/{article['id']}/publish",
                                headers={**editor, "If-Match": created.headers["etag"]})
        assert published.status_code == 200
        got = entries(client, newsroom, actor=str(newsroom.editor.id))
        assert [(e["action"], e["target_type"], e["target_id"], e["method"]) for e in got] == [
            ("publishArticle", "article", article["id"], "POST"),
            ("createArticle", "article", article["id"], "POST")]
        assert got[0]["actor_email"] == "editor@example.com"
        assert got[0]["path"] == f"/v1/editorial/articles/{article['id']}/publish"

    def test_role_changes_and_key_rotations(self, client: TestClient,
                                            newsroom: Newsroom) -> None:
        admin = newsroom.headers["admin"]
        r = client.patch(f"/v1/editorial/users/{newsroom.writer.id}", json={"role": "editor"},
                         headers=admin)
        assert r.status_code == 200
        [change] = entries(client, newsroom, action="updateUser")
        assert (change["target_type"], change["target_id"]) == ("user", str(newsroom.writer.id))
        assert change["detail"]["changed"] == {"user": ["role"]}
        assert change["detail"]["values"]["user"]["role"] == {"from": "writer", "to": "editor"}
        partner = client.post("/v1/editorial/partners", json={"name": "AP", "sections": []},
                              headers=admin).json()
        assert client.post(f"/v1/editorial/partners/{partner['id']}/rotate",
                           headers=admin).status_code == 200
        assert client.post(f"/v1/editorial/partners/{partner['id']}/revoke",
                           headers=admin).status_code == 200
        got = entries(client, newsroom, actor="admin@example.com")
        assert [(e["action"], e["target_type"], e["target_id"]) for e in got] == [
            ("revokePartner", "partner", str(partner["id"])),
            ("rotatePartnerKey", "partner", str(partner["id"])),
            ("createPartner", "partner", str(partner["id"])),
            ("updateUser", "user", str(newsroom.writer.id))]
        assert "key_hash" in got[1]["detail"]["changed"]["partner"]  # named, never shown
        assert "values" not in got[1]["detail"]

    def test_refused_writes_leave_no_row(self, client: TestClient, newsroom: Newsroom,
                                         session: Session) -> None:
        article = newsroom.article("Draft", state="published")
        writer, editor = newsroom.headers["writer"], newsroom.headers["editor"]
        assert_problem(client.post(f"/v1/editorial/articles/{article.id}/unpublish",
                                   headers=if_match(article, **writer)), 403)
        stale = {"If-Match": f'"{article.id}.{article.revision + 5}"'}
        assert_problem(client.patch(f"/v1/editorial/articles/{article.id}",
                                    json={"title": "x"}, headers={**editor, **stale}), 412)
        assert_problem(client.patch(f"/v1/editorial/articles/{article.id}",
                                    json={"section": "nope"},
                                    headers=if_match(article, **editor)), 422)
        assert_problem(client.post("/v1/editorial/articles", json={"title": ""},
                                   headers=editor), 422)
        assert rows(session) == 0


class TestSameTransaction:
    """The hook itself, on a session as the request's: a write rolled back after its rows were
    flushed leaves no entry; a committed one always has its entry."""

    def _session(self) -> Session:
        session = Session(get_write_engine(), expire_on_commit=False)
        session.info[audit.PENDING] = audit.Pending(
            actor_id=7, actor_email="e@example.com", action="createArticle", method="POST",
            path="/v1/editorial/articles", ip="127.0.0.1")
        return session

    @pytest.mark.usefixtures("newsroom")  # the author `writer-one`
    def test_rolled_back_leaves_nothing_committed_has_one(self, session: Session) -> None:
        now = datetime.now(UTC)
        data = ArticleCreate(title="Rolled back", authors=["writer-one"])
        with self._session() as s:
            articles_service.create_article(s, data, by=None, now=now, commit=False)
            s.flush()  # the rows reached the database...
            s.rollback()  # ...and went away with the transaction
            s.commit()  # nothing written since: nothing to record
        assert rows(session) == 0
        with self._session() as s:
            article = articles_service.create_article(s, data, by=None, now=now)
        [entry] = session.exec(select(AuditEntry)).all()
        assert (entry.target_type, entry.target_id, entry.actor_id) == (
            "article", article.id, 7)

    def test_a_failing_commit_takes_its_entry_with_it(self, session: Session) -> None:
        with self._session() as s:
            s.execute(insert(Section).values(slug="a", name="A"))  # a Core write counts too
            s.commit()
        assert rows(session) == 1
        with self._session() as s:
            s.add(Section(slug="b", name="B"))
            s.add(Section(slug="a", name="A again"))  # unique slug: the commit's flush fails
            with pytest.raises(IntegrityError):
                s.commit()
        assert rows(session) == 1
        assert session.exec(select(func.count()).select_from(Section)).one() == 1


class TestReading:
    def test_admins_only(self, client: TestClient, newsroom: Newsroom) -> None:
        for who, status in (("anon", 401), ("writer", 403), ("editor", 403)):
            assert_problem(client.get(AUDIT, headers=newsroom.headers[who]), status)
        r = client.get(AUDIT, headers=newsroom.headers["admin"])
        assert r.headers["cache-control"] == "private, no-store"

    def test_filters_and_pages(self, client: TestClient, newsroom: Newsroom) -> None:
        for i in range(5):
            client.post("/v1/editorial/articles", json={"title": f"Story {i}"},
                        headers=newsroom.headers["writer"])
        client.post("/v1/auth/token", data={"username": "x@example.com", "password": "nope"})
        seen: list[int] = []
        page = client.get(AUDIT, params={"limit": 2}, headers=newsroom.headers["admin"]).json()
        while True:
            seen += [e["id"] for e in page["data"]]
            if not page["meta"]["next_cursor"]:
                break
            page = client.get(AUDIT, params={"limit": 2, "cursor": page["meta"]["next_cursor"]},
                              headers=newsroom.headers["admin"]).json()
        assert len(seen) == len(set(seen)) == 6
        assert seen == sorted(seen, reverse=True)
        assert len(entries(client, newsroom, action="createArticle")) == 5
        assert len(entries(client, newsroom, actor=str(newsroom.writer.id))) == 5
        # Digits `int` refuses (a superscript) or past the id range name no user: an email.
        assert entries(client, newsroom, actor="\u00b3") == []
        assert entries(client, newsroom, actor="9" * 40) == []
        future = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
        assert entries(client, newsroom, since=future) == []
        assert len(entries(client, newsroom, since="2020-01-01T00:00:00")) == 6

    @pytest.mark.parametrize("query", ["since=yesterday", "limit=0", "limit=101",
                                       "action=" + "x" * 65])
    def test_bad_input_is_422(self, client: TestClient, newsroom: Newsroom, query: str) -> None:
        assert_problem(client.get(f"{AUDIT}?{query}", headers=newsroom.headers["admin"]), 422)

    def test_bad_cursor_is_400(self, client: TestClient, newsroom: Newsroom) -> None:
        assert_problem(client.get(f"{AUDIT}?cursor=garbage", headers=newsroom.headers["admin"]),
                       400)

    def test_append_only(self, client: TestClient, newsroom: Newsroom, app: FastAPI) -> None:
        assert set(app.openapi()["paths"][AUDIT]) == {"get"}
        assert not [p for p in app.openapi()["paths"] if p.startswith(AUDIT + "/")]
        for method in ("POST", "PATCH", "PUT", "DELETE"):
            assert client.request(method, AUDIT, headers=newsroom.headers["admin"]
                                  ).status_code == 405
