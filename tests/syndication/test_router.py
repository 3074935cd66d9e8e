"""The Syndication API: entitlement on every route, tombstones, cursors, feeds, usage."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from sqlmodel import Session

from app.articles import service as articles_service
from app.articles.models import ArticleUpdate, RightsInput
from app.core.listing import now as now_dependency
from app.partners import service as partners_service
from app.partners.models import PartnerUpdate

S = "/v1/syndication"


def utcnow() -> datetime:
    return datetime.now(UTC)


def poll(client, headers, since: str | None = None) -> tuple[list[dict], str]:  # type: ignore[no-untyped-def]
    """Every change after `since`, following pages; returns (items, last cursor)."""
    items: list[dict] = []
    while True:
        r = client.get(f"{S}/changes", headers=headers,
                       params={"since": since} if since else {})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["meta"]["next_cursor"]
        items += body["data"]
        if not body["data"]:
            return items, body["meta"]["next_cursor"]
        since = body["meta"]["next_cursor"]


def latest_ops(items: list[dict]) -> dict[str, str]:
    return {i["id"]: i["op"] for i in items}


@pytest.fixture
def newsroom(make_section, make_article):  # type: ignore[no-untyped-def]
    """A news article a `news` partner may have, and four it may never see."""
    make_section("news")
    make_section("opinion")
    return {
        "news": make_article("Budget passed", section="news"),
        "opinion": make_article("A column", section="opinion"),
        "denied": make_article("Syndicated column", section="news",
                               rights={"copyright_holder": "Project Syndicate"}),
        "draft": make_article("Draft", section="news", status="draft"),
        "deleted": make_article("Gone", section="news", status="deleted"),
        "scheduled": make_article("Later", section="news", status="scheduled"),
    }


class TestEntitlement:
    def test_news_partner_sees_only_its_articles_everywhere(self, client, newsroom, make_partner):
        _, headers = make_partner(sections=["news"])
        allowed = newsroom["news"].id
        hidden = {k: a for k, a in newsroom.items() if k != "news"}
        hidden_texts = [a.id for a in hidden.values()] + [a.title for a in hidden.values()]

        for fmt in ("native", "ninjs"):
            r = client.get(f"{S}/articles", headers=headers, params={"format": fmt})
            assert r.status_code == 200, r.text
            if fmt == "native":
                assert [a["id"] for a in r.json()["data"]] == [allowed]
            assert not any(t in r.text for t in hidden_texts)
        for article in hidden.values():
            r = client.get(f"{S}/articles/{article.id}", headers=headers)
            assert r.status_code == 404
            assert r.headers["content-type"] == "application/problem+json"
        assert client.get(f"{S}/articles/{allowed}", headers=headers).status_code == 200

        items, _ = poll(client, headers)
        upserts = [i["id"] for i in items if i["op"] == "upsert"]
        assert upserts == [allowed]
        assert all(i["article"] is None for i in items if i["op"] == "delete")
        for kind in ("atom", "json"):
            text = client.get(f"{S}/feed.{kind}", headers=headers).text
            assert "Budget passed" in text
            assert not any(a.title in text for a in hidden.values())

    def test_empty_allowlist_sees_every_section_but_never_denied(self, client, newsroom,
                                                                 make_partner, make_article):
        no_section = make_article("Sectionless")
        _, headers = make_partner()
        ids = {a["id"] for a in client.get(f"{S}/articles", headers=headers).json()["data"]}
        assert ids == {newsroom["news"].id, newsroom["opinion"].id, no_section.id}
        _, news_only = make_partner(sections=["news"])
        assert client.get(f"{S}/articles/{no_section.id}", headers=news_only).status_code == 404

    def test_every_response_is_private(self, client, newsroom, make_partner):
        _, headers = make_partner()
        for path in ("/articles", f"/articles/{newsroom['news'].id}", "/changes", "/feed.atom",
                     "/feed.json", "/usage", "/articles/nope"):
            r = client.get(S + path, headers=headers)
            assert "no-store" in r.headers["cache-control"], path
            assert "surrogate-key" not in r.headers

    def test_bad_parameters_are_4xx(self, client, make_partner):
        _, headers = make_partner()
        for query in ("changes?since=garbage", "changes?since=eyJzIjoiaWQiLCJrIjpbMV19",
                      "changes?limit=1000", "articles?format=xml", "articles?ninjs_version=9",
                      "articles?cursor=%%%", "usage?days=0", "feed.rss"):
            r = client.get(f"{S}/{query}", headers=headers)
            assert 400 <= r.status_code < 500, (query, r.status_code)


class TestChangeFeed:
    @pytest.mark.usefixtures("newsroom")
    def test_same_cursor_same_items_and_cursor_never_null(self, client, make_partner):
        _, headers = make_partner(sections=["news"])
        first = client.get(f"{S}/changes?limit=2", headers=headers).json()
        again = client.get(f"{S}/changes?limit=2", headers=headers).json()
        assert first["data"] == again["data"]
        cursor = first["meta"]["next_cursor"]
        assert client.get(f"{S}/changes?since={cursor}", headers=headers).json() == \
            client.get(f"{S}/changes?since={cursor}", headers=headers).json()
        _, end = poll(client, headers)
        tail = client.get(f"{S}/changes?since={end}", headers=headers).json()
        assert tail["data"] == []
        assert tail["meta"]["next_cursor"] == end

    @pytest.mark.parametrize("change", ["unpublish", "delete", "deny", "move", "allowlist"])
    def test_tombstones(self, client, session: Session, newsroom, make_partner, change):
        partner, headers = make_partner(sections=["news"])
        article = newsroom["news"]
        _, cursor = poll(client, headers)
        now, rev = utcnow(), article.revision
        if change == "unpublish":
            articles_service.unpublish_article(session, article, expected_revision=rev, by=None,
                                               now=now)
        elif change == "delete":
            articles_service.delete_article(session, article, expected_revision=rev, by=None,
                                            now=now)
        elif change == "deny":
            articles_service.update_article(
                session, article, ArticleUpdate(rights=RightsInput(syndication="denied")),
                expected_revision=rev, by=None, now=now)
        elif change == "move":
            articles_service.update_article(session, article, ArticleUpdate(section="opinion"),
                                            expected_revision=rev, by=None, now=now)
        else:
            partners_service.update_partner(session, partner, PartnerUpdate(sections=["opinion"]))
        items, _ = poll(client, headers, cursor)
        assert latest_ops(items)[article.id] == "delete"
        assert client.get(f"{S}/articles/{article.id}", headers=headers).status_code == 404

    def test_allowlist_widening_announces_upserts(self, client, session, newsroom, make_partner):
        partner, headers = make_partner(sections=["news"])
        _, cursor = poll(client, headers)
        partners_service.update_partner(session, partner, PartnerUpdate(sections=[]))
        ops = latest_ops(poll(client, headers, cursor)[0])
        assert ops[newsroom["opinion"].id] == "upsert"

    @pytest.mark.parametrize("widened", [["news", "opinion"], []])
    def test_widening_sends_no_tombstone_for_what_left_before_it(self, client, session, newsroom,
                                                                 make_partner, widened):
        """An opinion column unpublished while the partner had only `news` was never the
        partner's: widening to opinion (or to every section) must not tell it to delete it."""
        partner, headers = make_partner(sections=["news"])
        _, cursor = poll(client, headers)
        column = newsroom["opinion"]
        articles_service.unpublish_article(session, column, expected_revision=column.revision,
                                           by=None, now=utcnow())
        partners_service.update_partner(session, partner, PartnerUpdate(sections=widened))
        items, cursor = poll(client, headers, cursor)
        assert column.id not in latest_ops(items)
        # Once the partner could see it, it is the partner's to take down again.
        column = articles_service.publish_article(session, column, publish_at=None,
                                                  expected_revision=column.revision, by=None,
                                                  now=utcnow())
        items, cursor = poll(client, headers, cursor)
        assert latest_ops(items)[column.id] == "upsert"
        articles_service.unpublish_article(session, column, expected_revision=column.revision,
                                           by=None, now=utcnow())
        assert latest_ops(poll(client, headers, cursor)[0])[column.id] == "delete"

    def test_narrowing_sends_no_tombstone_for_what_is_published_after_it(
            self, client, session, newsroom, make_partner):
        """Every section, then only `opinion`: a news article published (and unpublished) after
        the narrowing was never the partner's."""
        partner, headers = make_partner(sections=[])
        _, cursor = poll(client, headers)
        partners_service.update_partner(session, partner, PartnerUpdate(sections=["opinion"]))
        cursor = poll(client, headers, cursor)[1]
        draft = newsroom["draft"]
        later = articles_service.publish_article(session, draft, publish_at=None,
                                                 expected_revision=draft.revision, by=None,
                                                 now=utcnow())
        assert draft.id not in latest_ops(poll(client, headers, cursor)[0])
        articles_service.unpublish_article(session, later, expected_revision=later.revision,
                                           by=None, now=utcnow())
        assert draft.id not in latest_ops(poll(client, headers, cursor)[0])

    def test_narrowing_from_every_section_keeps_the_kept_sections_history(
            self, client, session, newsroom, make_partner):
        """Every section, then only `news`: a news article unpublished meanwhile was visible
        the whole time, so its tombstone still comes."""
        partner, headers = make_partner(sections=[])
        _, cursor = poll(client, headers)
        article = newsroom["news"]
        partners_service.update_partner(session, partner, PartnerUpdate(sections=["news"]))
        articles_service.unpublish_article(session, article, expected_revision=article.revision,
                                           by=None, now=utcnow())
        assert latest_ops(poll(client, headers, cursor)[0])[article.id] == "delete"

    def test_restore_and_edit_are_upserts_with_new_revision(self, client, session, newsroom,
                                                            make_partner):
        _, headers = make_partner(sections=["news"])
        article = newsroom["news"]
        _, cursor = poll(client, headers)
        article = articles_service.update_article(
            session, article, ArticleUpdate(title="Budget passed, amended"),
            expected_revision=article.revision, by=None, now=utcnow())
        items, _ = poll(client, headers, cursor)
        assert items[-1]["op"] == "upsert"
        assert items[-1]["article"]["title"] == "Budget passed, amended"
        assert items[-1]["article"]["revision"] == article.revision
        assert items[-1]["article"]["body_text"]

    def test_scheduled_article_is_announced_when_due(self, client, app, newsroom, make_partner):
        _, headers = make_partner(sections=["news"])
        scheduled = newsroom["scheduled"]
        items, cursor = poll(client, headers)
        assert scheduled.id not in latest_ops(items)  # never public yet: not even a tombstone
        app.dependency_overrides[now_dependency] = lambda: utcnow() + timedelta(hours=2)
        items, _ = poll(client, headers, cursor)
        assert latest_ops(items)[scheduled.id] == "upsert"


class TestFeeds:
    @pytest.mark.parametrize("kind", ["atom", "json"])
    @pytest.mark.usefixtures("newsroom")
    def test_full_text_feed_parses(self, client, make_partner, kind):
        _, headers = make_partner(sections=["news"])
        r = client.get(f"{S}/feed.{kind}", headers=headers)
        assert r.status_code == 200
        if kind == "atom":
            feed = feedparser.parse(r.content)
            assert not feed.bozo, feed.get("bozo_exception")
            assert [e.title for e in feed.entries] == ["Budget passed"]
            assert "Some words of body text." in feed.entries[0].content[0].value
        else:
            body = r.json()
            assert body["version"] == "https://jsonfeed.org/version/1.1"
            assert [i["title"] for i in body["items"]] == ["Budget passed"]
            assert "<p>" in body["items"][0]["content_html"]


class TestUsage:
    def test_counts_per_route_and_isolation(self, client, newsroom, make_partner):
        a, a_headers = make_partner()
        b, b_headers = make_partner()
        client.get(f"{S}/articles", headers=a_headers)
        client.get(f"{S}/articles", headers=a_headers)
        client.get(f"{S}/articles/{newsroom['news'].id}", headers=a_headers)
        client.get(f"{S}/changes", headers=b_headers)
        mine = client.get(f"{S}/usage", headers=a_headers).json()
        assert mine["partner_id"] == a.id
        counts = {row["route"]: row["count"] for row in mine["data"]}
        assert counts == {"/v1/syndication/articles": 2,
                          "/v1/syndication/articles/{article_id}": 1,
                          "/v1/syndication/usage": 1}
        theirs = client.get(f"{S}/usage", headers=b_headers).json()
        assert theirs["partner_id"] == b.id
        assert {r["route"] for r in theirs["data"]} == {"/v1/syndication/changes",
                                                        "/v1/syndication/usage"}

    def test_counts_are_written_a_second_at_a_time_and_at_shutdown(self, app, engine,
                                                                     make_partner):
        """Requests are counted in memory: no write per request (`app/partners/usage.py`),
        the table catches up within about a second while the app runs, and the last counts
        are written when it stops."""
        from fastapi.testclient import TestClient
        from sqlalchemy import text

        partner, headers = make_partner()

        def stored() -> int:
            with engine.connect() as conn:
                return int(conn.execute(text(
                    "SELECT coalesce(sum(count), 0) FROM partner_usage WHERE partner_id = :p"),
                    {"p": partner.id}).scalar_one())

        with TestClient(app) as client:
            assert client.get(f"{S}/changes", headers=headers).status_code == 200
            assert stored() == 0  # not written by the request (the first round is 1 s away)
            for _ in range(4):
                assert client.get(f"{S}/changes", headers=headers).status_code == 200
            deadline = time.monotonic() + 5
            while stored() < 5 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert stored() == 5
            for _ in range(3):
                client.get(f"{S}/changes", headers=headers)
        assert stored() == 8  # the lifespan's last write
        with engine.connect() as conn:
            assert conn.execute(text("SELECT last_used_at FROM partner WHERE id = :p"),
                                {"p": partner.id}).scalar_one() is not None
