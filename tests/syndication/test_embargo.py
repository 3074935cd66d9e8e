"""Embargo: partners with `embargo_access` receive a scheduled article as soon as it is
scheduled, marked `embargoed_until` (ninjs `embargoedUntil` / `embargoed`); the public, other
partners, feeds and syncs see it at its time, and never learn its id before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from app.articles import service as articles_service
from app.articles.models import ArticleUpdate
from app.core.listing import now as now_dependency
from app.partners import service as partners_service
from app.partners.models import PartnerUpdate
from app.syndication import ninjs
from tests.syndication.test_ninjs import validator
from tests.syndication.test_router import latest_ops, poll

S = "/v1/syndication"
SOON = timedelta(hours=1)


def utcnow() -> datetime:
    return datetime.now(UTC)


def z(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def embargoed(make_section, make_article):  # type: ignore[no-untyped-def]
    make_section("news")
    make_article("Already out", section="news")
    return make_article("Budget tomorrow", section="news", status="scheduled",
                        published_at=utcnow() + SOON)


@pytest.fixture
def partners(session: Session, make_partner, embargoed):  # type: ignore[no-untyped-def]  # noqa: ARG001
    """The headers of an embargo partner and of an ordinary one, both allowed `news` (the
    embargoed article's section)."""
    early, early_headers = make_partner(sections=["news"])
    partners_service.update_partner(session, early, PartnerUpdate(embargo_access=True))
    _, plain_headers = make_partner(sections=["news"])
    return early_headers, plain_headers


def titles(client, headers: dict[str, str], **params: Any) -> list[str]:  # type: ignore[no-untyped-def]
    r = client.get(f"{S}/articles", headers=headers, params=params)
    assert r.status_code == 200, r.text
    return [a.get("title") or a.get("headline") or a["headlines"][0]["value"]
            for a in r.json()["data"]]


def test_the_embargo_partner_gets_it_early_and_marked(client, embargoed, partners):
    early, plain = partners
    assert titles(client, early) == ["Budget tomorrow", "Already out"]
    detail = client.get(f"{S}/articles/{embargoed.id}", headers=early).json()
    assert detail["embargoed_until"] == z(embargoed.published_at)
    items, _ = poll(client, early)
    marked = {i["id"]: i["article"].get("embargoed_until") for i in items}
    assert marked[embargoed.id] == z(embargoed.published_at)
    # Nobody else: not the other partner, not its change feed, not its feeds.
    assert titles(client, plain) == ["Already out"]
    assert client.get(f"{S}/articles/{embargoed.id}", headers=plain).status_code == 404
    assert embargoed.id not in latest_ops(poll(client, plain)[0])
    for kind in ("atom", "json"):
        assert "Budget tomorrow" not in client.get(f"{S}/feed.{kind}", headers=early).text


@pytest.mark.usefixtures("partners")
def test_nothing_public_shows_it_before_its_time(client, embargoed):
    for path in ("/v1/articles", f"/v1/articles/{embargoed.slug}", "/v1/search?q=budget",
                 "/v1/feeds/latest.atom", "/v1/sync", "/v1/front", "/v1/sitemaps/index.xml",
                 "/v1/sitemaps/articles.xml", "/v1/sitemaps/news.xml"):
        r = client.get(path)
        assert embargoed.id not in r.text, path
        assert "Budget tomorrow" not in r.text, path


@pytest.mark.parametrize("version", ninjs.VERSIONS)
def test_ninjs_says_embargoed_in_each_versions_words(client, embargoed, partners, version):
    early, _ = partners
    doc = client.get(f"{S}/articles/{embargoed.id}", headers=early,
                     params={"format": "ninjs", "ninjs_version": version}).json()
    assert not [e.message for e in validator(version).iter_errors(doc)]
    name = "embargoedUntil" if version == "3.1" else "embargoed"
    assert doc[name] == embargoed.published_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert doc.get("pubStatus", doc.get("pubstatus")) == "usable"


def test_at_its_time_it_is_an_ordinary_upsert(client, app, embargoed, partners):
    early, plain = partners
    _, early_cursor = poll(client, early)
    _, plain_cursor = poll(client, plain)
    app.dependency_overrides[now_dependency] = lambda: utcnow() + 2 * SOON
    for headers, cursor in ((early, early_cursor), (plain, plain_cursor)):
        items, _ = poll(client, headers, cursor)
        upserts = [i for i in items if i["id"] == embargoed.id]
        assert upserts[-1]["op"] == "upsert"
        assert "embargoed_until" not in upserts[-1]["article"]


def test_withdrawn_before_its_time_is_taken_down_only_where_it_was(client, session, embargoed,
                                                                   partners):
    early, plain = partners
    _, early_cursor = poll(client, early)
    _, plain_cursor = poll(client, plain)
    sync = client.get("/v1/sync").json()["meta"]["next_cursor"]
    articles_service.unpublish_article(session, embargoed, expected_revision=embargoed.revision,
                                       by=None, now=utcnow())
    items, _ = poll(client, early, early_cursor)
    assert [(i["op"], i["reason"]) for i in items if i["id"] == embargoed.id] == [
        ("delete", "unpublished")]
    assert embargoed.id not in latest_ops(poll(client, plain, plain_cursor)[0])
    assert embargoed.id not in client.get(f"/v1/sync?since={sync}").text


def test_an_edit_under_embargo_reaches_only_the_embargo_partner(client, session, embargoed,
                                                                 partners):
    """No content version moves: the public's cached pages and Last-Modified stay."""
    early, plain = partners
    _, early_cursor = poll(client, early)
    _, plain_cursor = poll(client, plain)
    before = client.get("/v1/articles")
    articles_service.update_article(session, embargoed, ArticleUpdate(title="Budget at noon"),
                                    expected_revision=embargoed.revision, by=None, now=utcnow())
    items, _ = poll(client, early, early_cursor)
    assert [i["article"]["title"] for i in items if i["id"] == embargoed.id] == ["Budget at noon"]
    assert poll(client, plain, plain_cursor)[0] == []
    after = client.get("/v1/articles")
    assert after.headers["etag"] == before.headers["etag"]
    assert after.headers.get("last-modified") == before.headers.get("last-modified")


def test_granting_access_announces_what_is_embargoed_now(client, session, embargoed,
                                                         make_partner):
    partner, headers = make_partner(sections=["news"])
    _, cursor = poll(client, headers)
    partners_service.update_partner(session, partner, PartnerUpdate(embargo_access=True))
    assert latest_ops(poll(client, headers, cursor)[0]) == {embargoed.id: "upsert"}


def test_admins_grant_it_and_see_it(client, auth_headers):
    admin = auth_headers("admin")
    created = client.post("/v1/editorial/partners", headers=admin,
                          json={"name": "Wire", "embargo_access": True})
    assert created.status_code == 201, created.text
    assert created.json()["embargo_access"] is True
    pid = created.json()["id"]
    patched = client.patch(f"/v1/editorial/partners/{pid}", headers=admin,
                           json={"embargo_access": False})
    assert patched.status_code == 200
    assert patched.json()["embargo_access"] is False
    bad = client.patch(f"/v1/editorial/partners/{pid}", headers=admin,
                       json={"embargo_access": "sometimes"})
    assert bad.status_code == 422
    assert client.patch(f"/v1/editorial/partners/{pid}", headers=auth_headers("editor"),
                        json={"embargo_access": True}).status_code == 403
