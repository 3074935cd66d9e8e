"""`GET /v1/sync`, `POST .../kill` and the partner feed's initial sync, reasons and ninjs."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, select

from app.articles import service as articles_service
from app.articles.models import Article, ArticleUpdate
from app.changelog import schedule
from app.changelog.models import ArticleChange
from app.changelog.schedule import prune
from app.core.listing import now as now_dependency
from tests.syndication.test_ninjs import validator

SYNC = "/v1/sync"


def utcnow() -> datetime:
    return datetime.now(UTC)


def sync_all(client, params: dict | None = None, cursor: str | None = None,  # type: ignore[no-untyped-def]
             limit: int = 2) -> tuple[list[dict], str]:
    items: list[dict] = []
    while True:
        query = {**(params or {}), "limit": limit, **({"cursor": cursor} if cursor else {})}
        r = client.get(SYNC, params=query)
        assert r.status_code == 200, r.text
        body = r.json()
        items += body["data"]
        cursor = body["meta"]["next_cursor"]
        assert cursor
        if not body["meta"]["has_more"]:
            return items, cursor


def _rev(article: Article) -> dict:
    return {"expected_revision": article.revision, "by": None, "now": utcnow()}


class TestInitialSync:
    def test_pages_of_upserts_then_the_head(self, client, session, make_article, make_section):
        make_section("news")
        published = [make_article(section="news") for _ in range(5)]
        make_article(status="draft")
        make_article(status="scheduled")
        gone = make_article()
        articles_service.unpublish_article(session, gone, **_rev(gone))
        items, head = sync_all(client)
        assert {i["op"] for i in items} == {"upsert"}
        ids = [i["id"] for i in items]
        assert set(ids) == {a.id for a in published}
        assert [i["seq"] for i in items] == sorted(i["seq"] for i in items)
        # The head: nothing new after it.
        r = client.get(SYNC, params={"cursor": head}).json()
        assert r["data"] == []
        assert r["meta"]["next_cursor"] == head

    def test_cards_by_default_full_articles_with_include_body(self, client, make_article):
        article = make_article()
        card = client.get(SYNC).json()["data"][0]["article"]
        assert card == client.get("/v1/articles").json()["data"][0]
        full = client.get(SYNC, params={"include": "body"}).json()["data"][0]["article"]
        assert full["body"]
        assert full["id"] == article.id
        assert full["structured_data"]["@type"] == "NewsArticle"

    def test_since_latest_gives_the_head_and_no_items(self, client, make_article):
        make_article()
        r = client.get(SYNC, params={"since": "latest"}).json()
        assert r["data"] == []
        fresh = make_article()
        later = client.get(SYNC, params={"cursor": r["meta"]["next_cursor"]}).json()
        assert [i["id"] for i in later["data"]] == [fresh.id]


class TestDeltas:
    def test_tombstones_carry_reason_and_time(self, client, session: Session, make_article,
                                              make_section):
        make_section("news")
        make_section("opinion")
        a, b, c, d = (make_article(section="news") for _ in range(4))
        draft = make_article(status="draft", section="news")
        _, cursor = sync_all(client, {"section": "news"})
        articles_service.unpublish_article(session, a, **_rev(a))
        articles_service.delete_article(session, b, **_rev(b))
        articles_service.kill_article(session, c, reason="Court order", **_rev(c))
        articles_service.update_article(session, d, ArticleUpdate(section="opinion"), **_rev(d))
        articles_service.update_article(session, draft, ArticleUpdate(title="Draft edit"),
                                        **_rev(draft))
        items, _ = sync_all(client, {"section": "news"}, cursor)
        reasons = {i["id"]: i["reason"] for i in items}
        assert reasons == {a.id: "unpublished", b.id: "deleted", c.id: "killed",
                           d.id: "out_of_scope"}
        for item in items:
            assert set(item) == {"seq", "op", "id", "reason", "at"}
            assert item["at"].endswith("Z")
        # The unfiltered sync sees the moved article as an upsert.
        everything, _ = sync_all(client, {}, None)
        assert d.id in {i["id"] for i in everything}

    def test_filters_apply_to_tombstones(self, client, session, make_article):
        en = make_article(language="en")
        ne = make_article(language="ne")
        _, cursor = sync_all(client, {"language": "ne"})
        articles_service.unpublish_article(session, en, **_rev(en))
        articles_service.unpublish_article(session, ne, **_rev(ne))
        items, _ = sync_all(client, {"language": "ne"}, cursor)
        assert [(i["id"], i["reason"]) for i in items] == [(ne.id, "unpublished")]

    def test_never_published_articles_never_appear(self, client, session, make_article):
        _, cursor = sync_all(client)
        draft = make_article(status="draft")
        articles_service.delete_article(session, draft, **_rev(draft))
        scheduled = make_article(status="scheduled")
        articles_service.unpublish_article(session, scheduled, **_rev(scheduled))
        items, _ = sync_all(client, None, cursor)
        assert items == []

    def test_a_scheduled_article_going_live_is_a_change(self, client, app, session,
                                                         make_article):
        when = utcnow() + timedelta(hours=1)
        scheduled = make_article(status="scheduled", published_at=when)
        _, cursor = sync_all(client)
        synced_at = utcnow()
        app.dependency_overrides[now_dependency] = lambda: utcnow() + timedelta(hours=2)
        items, _ = sync_all(client, None, cursor)
        assert [(i["id"], i["op"]) for i in items] == [(scheduled.id, "upsert")]
        # `updated_since` syncs see it too: its change time is its publication time.
        session.expire_all()
        stored = session.get(Article, scheduled.id)
        assert stored.status == "published"
        assert stored.updated_at == stored.published_at
        listed = client.get("/v1/articles", params={
            "updated_since": synced_at.isoformat(), "sort": "-updated_at"}).json()["data"]
        assert [a["id"] for a in listed] == [scheduled.id]

    def test_a_cursor_older_than_the_log_is_410(self, client, session, make_article):
        article = make_article()
        _, cursor = sync_all(client)
        articles_service.unpublish_article(session, article, **_rev(article))
        _, newer = sync_all(client, None, cursor)
        assert prune(session, utcnow() + timedelta(seconds=1)) == 1
        r = client.get(SYNC, params={"cursor": cursor})
        assert r.status_code == 410
        assert r.headers["content-type"] == "application/problem+json"
        assert "initial sync" in r.json()["detail"]
        assert client.get(SYNC, params={"cursor": newer}).status_code == 200

    def test_a_server_applies_the_retention_as_it_starts(self, configure, session, make_article,
                                                         monkeypatch):
        """On a host up for a minute too (the sweeper's hour was counted from the host's
        boot, so such a host kept every tombstone for its first hour)."""
        article = make_article()
        articles_service.unpublish_article(session, article, **_rev(article))
        session.execute(update(ArticleChange).values(at=utcnow() - timedelta(days=91)))
        session.commit()
        monkeypatch.setattr(schedule, "monotonic", lambda: 60.0)
        with TestClient(configure(KHABAR_SWEEP_SECONDS="1")):
            deadline = time.monotonic() + 10
            while session.exec(select(ArticleChange.article_id)).all():
                assert time.monotonic() < deadline, "the tombstone outlived the retention"
                time.sleep(0.05)
                session.rollback()

    @pytest.mark.parametrize("query", [
        {"wait": "26"}, {"wait": "-1"}, {"wait": "soon"}, {"cursor": "garbage"},
        {"cursor": "eyJzIjoic3luYyIsImsiOlswLC0xLDAsInwiXX0"}, {"since": "yesterday"},
        {"limit": "0"}, {"include": "everything"}, {"language": "not a language"},
        {"since": "latest", "cursor": "eyJzIjoic3luYyIsImsiOlswLDAsMCwifCJdfQ"}])
    def test_bad_input_is_4xx(self, client, query):
        r = client.get(SYNC, params=query)
        assert 400 <= r.status_code < 500, r.text
        assert r.headers["content-type"] == "application/problem+json"

    def test_a_cursor_is_bound_to_its_filters(self, client, make_article):
        make_article()
        _, cursor = sync_all(client, {"language": "en"})
        r = client.get(SYNC, params={"cursor": cursor, "language": "ne"})
        assert r.status_code == 400
        assert "filters" in r.json()["detail"]


class TestKill:
    def test_kill_withdraws_everywhere_and_only_an_admin_restores(
            self, client, make_article, auth_headers, make_partner):
        article = make_article()
        _, key = make_partner()
        _, cursor = sync_all(client)
        first = client.get("/v1/syndication/changes", headers=key).json()
        editor = auth_headers("editor")
        etag = client.get(f"/v1/editorial/articles/{article.id}", headers=editor).headers["etag"]
        assert client.post(f"/v1/editorial/articles/{article.id}/kill", json={},
                           headers={**editor, "If-Match": etag}).status_code == 422
        r = client.post(f"/v1/editorial/articles/{article.id}/kill", json={"reason": "Libel"},
                        headers={**editor, "If-Match": etag})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "killed"
        etag = r.headers["etag"]
        assert client.get(f"/v1/articles/{article.slug}").status_code == 404
        items, _ = sync_all(client, None, cursor)
        assert [(i["id"], i["reason"]) for i in items] == [(article.id, "killed")]
        partner = client.get("/v1/syndication/changes", headers=key, params={
            "since": first["meta"]["next_cursor"], "format": "ninjs"}).json()["data"]
        assert partner[0]["reason"] == "killed"
        assert partner[0]["article"]["pubStatus"] == "canceled"
        # Publishing it again is refused; an editor cannot restore it; an admin can.
        again = client.post(f"/v1/editorial/articles/{article.id}/publish",
                            headers={**editor, "If-Match": etag})
        assert again.status_code == 409
        assert client.post(f"/v1/editorial/articles/{article.id}/restore",
                           headers={**editor, "If-Match": etag}).status_code == 403
        restored = client.post(f"/v1/editorial/articles/{article.id}/restore",
                               headers={**auth_headers("admin"), "If-Match": etag})
        assert restored.status_code == 200, restored.text
        assert restored.json()["status"] == "draft"


class TestPartnerFeed:
    def test_initial_sync_has_no_tombstones_and_pages(self, client, session, make_article,
                                                      make_section, make_partner):
        make_section("news")
        make_section("opinion")
        mine = [make_article(section="news") for _ in range(3)]
        gone = make_article(section="news")
        articles_service.unpublish_article(session, gone, **_rev(gone))
        for _ in range(5):
            make_article(section="opinion")
        _, key = make_partner(sections=["news"])
        seen: list[dict] = []
        since = None
        requests = 0
        while True:
            requests += 1
            body = client.get("/v1/syndication/changes", headers=key,
                              params={"limit": 2, **({"since": since} if since else {})}).json()
            seen += body["data"]
            since = body["meta"]["next_cursor"]
            if not body["meta"]["has_more"]:
                break
        assert [i["op"] for i in seen] == ["upsert"] * 3
        assert {i["id"] for i in seen} == {a.id for a in mine}
        assert requests == 2
        # The opinion section's churn costs this partner nothing.
        other = make_article(section="opinion")
        articles_service.unpublish_article(session, other, **_rev(other))
        assert client.get("/v1/syndication/changes", headers=key,
                          params={"since": since}).json()["data"] == []

    def test_rights_withdrawn_and_ninjs_withheld(self, client, session, make_article,
                                                 make_partner):
        a = make_article()
        b = make_article()
        _, key = make_partner()
        since = client.get("/v1/syndication/changes", headers=key).json()["meta"]["next_cursor"]
        articles_service.update_article(
            session, a, ArticleUpdate.model_validate({"rights": {"syndication": "denied"}}),
            **_rev(a))
        articles_service.unpublish_article(session, b, **_rev(b))
        for version in ("3.1", "2.2", "1.6"):
            data = client.get("/v1/syndication/changes", headers=key, params={
                "since": since, "format": "ninjs", "ninjs_version": version}).json()["data"]
            assert {i["id"]: i["reason"] for i in data} == {a.id: "rights_withdrawn",
                                                           b.id: "unpublished"}
            for item in data:
                errors = list(validator(version).iter_errors(item["article"]))
                assert not errors, errors
                status = item["article"].get("pubStatus") or item["article"].get("pubstatus")
                assert status == "withheld"

    def test_since_latest_and_bad_wait(self, client, make_article, make_partner):
        make_article()
        _, key = make_partner()
        r = client.get("/v1/syndication/changes", headers=key, params={"since": "latest"})
        assert r.json()["data"] == []
        for wait in ("26", "-1"):
            bad = client.get("/v1/syndication/changes", headers=key, params={"wait": wait})
            assert bad.status_code == 422


def test_the_log_keeps_no_row_for_drafts(session, make_article):
    draft = make_article(status="draft")
    assert session.exec(select(ArticleChange).where(
        ArticleChange.article_id == draft.id)).first() is None
