"""Kept partner pages (`ResponseCache.own`): an identical change-feed request from the same
partner is answered from the page rendered for the last one, until anything that page depends on
may have changed. Every request is still authenticated, rate-limited and metered; partners never
share a page; every kind of change (content, rights, bylines, an embargoed edit, an allowlist,
the clock) makes the next poll a fresh render; a long-poll still waits."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import Session

from app.articles import service as articles_service
from app.articles.models import ArticleUpdate, RightsInput
from app.authors import service as authors_service
from app.authors.models import Author, AuthorUpdate
from app.core.listing import now as now_dependency
from app.partners import service as partners_service
from app.partners.models import PartnerUpdate

CHANGES = "/v1/syndication/changes"


def utcnow() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def newsroom(make_section, make_article, make_author):  # type: ignore[no-untyped-def]
    make_section("news")
    make_section("opinion")
    byline = make_author("Anita Gurung")
    return {
        "news": make_article("Budget passed", section="news", authors=[byline.slug]),
        "opinion": make_article("A column", section="opinion"),
        "scheduled": make_article("Budget tomorrow", section="news", status="scheduled",
                                  published_at=utcnow() + timedelta(hours=1)),
        "draft": make_article("Draft", section="news", status="draft"),
        "author": byline,
    }


def get(client, headers, **params):  # type: ignore[no-untyped-def]
    r = client.get(CHANGES, headers=headers, params=params)
    assert r.status_code == 200, r.text
    return r


@pytest.mark.usefixtures("newsroom")
def test_an_identical_poll_is_answered_from_the_kept_page(client, make_partner):  # type: ignore[no-untyped-def]
    _, headers = make_partner(sections=["news"])
    first, again = get(client, headers), get(client, headers)
    assert (first.headers["x-cache"], again.headers["x-cache"]) == ("MISS", "HIT")
    assert again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["cache-control"] == "private, no-store"
    # Revalidation and gzip are answered from it too.
    assert client.get(CHANGES, headers={**headers, "If-None-Match": first.headers["etag"]}
                      ).status_code == 304
    zipped = client.get(CHANGES, headers={**headers, "Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == first.content  # httpx decodes it
    # Another URL (another page size) is another page.
    assert get(client, headers, limit=1).headers["x-cache"] == "MISS"
    # Every request was metered, kept or not.
    usage = client.get("/v1/syndication/usage", headers=headers).json()["data"]
    assert {r["route"]: r["count"] for r in usage}["/v1/syndication/changes"] == 5


def test_partners_never_share_a_page(client, session: Session, newsroom, make_partner):  # type: ignore[no-untyped-def]
    news_partner, news = make_partner(sections=["news"])
    _, opinion = make_partner(sections=["opinion"])
    ids = {"news": [i["id"] for i in get(client, news).json()["data"]],
           "opinion": [i["id"] for i in get(client, opinion).json()["data"]]}
    assert ids == {"news": [newsroom["news"].id], "opinion": [newsroom["opinion"].id]}
    r = get(client, opinion)
    assert r.headers["x-cache"] == "HIT"
    assert [i["id"] for i in r.json()["data"]] == [newsroom["opinion"].id]
    # The same partner under another allowlist sees through it at once.
    partners_service.update_partner(session, news_partner, PartnerUpdate(sections=["opinion"]))
    r = get(client, news)
    assert r.headers["x-cache"] == "MISS"
    assert [i["id"] for i in r.json()["data"]] == [newsroom["opinion"].id]
    # A revoked key gets nothing, kept page or not.
    partners_service.revoke(session, news_partner, now=utcnow())
    assert client.get(CHANGES, headers=news).status_code == 401


def _rename_author(session: Session, author: Author) -> None:
    authors_service.update_author(session, author, AuthorUpdate(name="Anita Gurung Sharma"),
                                  now=utcnow())


@pytest.mark.parametrize("change", ["edit", "rights", "byline", "publish"])
def test_every_change_a_page_shows_makes_the_next_poll_fresh(client, session: Session,
                                                            newsroom, make_partner, change):  # type: ignore[no-untyped-def]
    _, headers = make_partner(sections=["news"])
    get(client, headers)
    assert get(client, headers).headers["x-cache"] == "HIT"
    article = newsroom["news"]
    if change == "edit":
        articles_service.update_article(session, article, ArticleUpdate(title="Budget amended"),
                                        expected_revision=article.revision, by=None, now=utcnow())
    elif change == "rights":
        articles_service.update_article(
            session, article, ArticleUpdate(rights=RightsInput(syndication="denied")),
            expected_revision=article.revision, by=None, now=utcnow())
    elif change == "byline":
        _rename_author(session, newsroom["author"])
    else:
        draft = newsroom["draft"]
        articles_service.publish_article(session, draft, publish_at=None,
                                         expected_revision=draft.revision, by=None, now=utcnow())
    r = get(client, headers)
    assert r.headers["x-cache"] == "MISS"
    items = {i["id"]: i["article"] for i in r.json()["data"]}
    if change == "edit":
        assert items[article.id]["title"] == "Budget amended"
    elif change == "rights":
        assert article.id not in items
    elif change == "byline":
        assert items[article.id]["authors"][0]["name"] == "Anita Gurung Sharma"
    else:
        assert newsroom["draft"].id in items


def test_an_embargoed_edit_reaches_the_embargo_partner_at_once(client, session: Session,
                                                              newsroom, make_partner):  # type: ignore[no-untyped-def]
    """An edit to a scheduled article moves no public content, only the change log: the page
    kept for a partner with embargo access must not outlive it."""
    partner, headers = make_partner(sections=["news"])
    partners_service.update_partner(session, partner, PartnerUpdate(embargo_access=True))
    scheduled = newsroom["scheduled"]
    assert get(client, headers).json()["data"][-1]["id"] == scheduled.id
    assert get(client, headers).headers["x-cache"] == "HIT"
    articles_service.update_article(session, scheduled, ArticleUpdate(title="Budget at noon"),
                                    expected_revision=scheduled.revision, by=None, now=utcnow())
    r = get(client, headers)
    assert r.headers["x-cache"] == "MISS"
    assert r.json()["data"][-1]["article"]["title"] == "Budget at noon"


def test_a_scheduled_article_due_makes_the_next_poll_fresh(client, app, newsroom, make_partner):  # type: ignore[no-untyped-def]
    _, headers = make_partner(sections=["news"])
    ids = [i["id"] for i in get(client, headers).json()["data"]]
    assert newsroom["scheduled"].id not in ids
    assert get(client, headers).headers["x-cache"] == "HIT"
    app.dependency_overrides[now_dependency] = lambda: utcnow() + timedelta(hours=2)
    r = get(client, headers)
    assert r.headers["x-cache"] == "MISS"
    assert newsroom["scheduled"].id in [i["id"] for i in r.json()["data"]]


def test_a_long_poll_is_never_answered_from_a_kept_page(client, session: Session,
                                                           newsroom, make_partner):  # type: ignore[no-untyped-def]
    _, headers = make_partner(sections=["news"])
    head = get(client, headers, since="latest").json()["meta"]["next_cursor"]
    # The same long-poll twice: the first waits its 2 s out and answers empty.
    assert get(client, headers, since=head, wait=2).json()["data"] == []
    article = newsroom["news"]

    def edit_soon() -> None:
        time.sleep(0.5)
        with Session(session.get_bind()) as other:
            fresh = other.merge(article)
            articles_service.update_article(other, fresh, ArticleUpdate(title="Budget amended"),
                                            expected_revision=fresh.revision, by=None,
                                            now=utcnow())

    writer = threading.Thread(target=edit_soon)
    writer.start()
    started = time.monotonic()
    r = get(client, headers, since=head, wait=2)
    writer.join()
    assert time.monotonic() - started >= 0.5
    assert [i["article"]["title"] for i in r.json()["data"]] == ["Budget amended"]


@pytest.mark.usefixtures("newsroom")
def test_concurrent_identical_polls_share_one_render(app, make_partner):  # type: ignore[no-untyped-def]
    _, headers = make_partner(sections=["news"])

    async def burst() -> list[str]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test",
                                     headers=headers) as c:
            answers = await asyncio.gather(*(c.get(CHANGES) for _ in range(8)))
        assert {a.status_code for a in answers} == {200}
        assert len({a.content for a in answers}) == 1
        return [a.headers["x-cache"] for a in answers]

    assert sorted(asyncio.run(burst())) == ["HIT"] * 7 + ["MISS"]


@pytest.mark.usefixtures("newsroom")
def test_without_the_response_cache_every_poll_renders(configure, make_partner):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    _, headers = make_partner(sections=["news"])
    with TestClient(configure(KHABAR_RESPONSE_CACHE="false")) as client:
        first, again = get(client, headers), get(client, headers)
    assert "x-cache" not in again.headers
    assert again.content == first.content


@pytest.mark.parametrize("path", ["/v1/syndication/articles", "/v1/syndication/feed.json",
                                  "/v1/syndication/articles/{id}"])
def test_articles_and_feeds_are_kept_the_same_way(client, session: Session, newsroom,  # type: ignore[no-untyped-def]
                                                  make_partner, path):
    _, headers = make_partner(sections=["news"])
    article = newsroom["news"]
    url = path.format(id=article.id)
    first, again = client.get(url, headers=headers), client.get(url, headers=headers)
    assert (first.headers["x-cache"], again.headers["x-cache"]) == ("MISS", "HIT")
    assert again.content == first.content
    articles_service.update_article(
        session, article, ArticleUpdate(rights=RightsInput(syndication="denied")),
        expected_revision=article.revision, by=None, now=utcnow())
    after = client.get(url, headers=headers)
    assert after.headers.get("x-cache") != "HIT"
    if path.endswith("{id}"):
        assert after.status_code == 404  # never a kept copy of what it may no longer have
    else:
        assert after.status_code == 200
        assert "Budget passed" not in after.text
