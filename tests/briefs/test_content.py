"""Content API contract: /v1/briefs and /v1/briefs/today."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime

import pytest

import app.core.listing
from app.briefs import service as briefs_service
from app.briefs.models import BriefCreate

# 20:00 UTC on Nov 26 is 01:45 on Nov 27 in Kathmandu (UTC+05:45).
NOW = datetime(2024, 11, 26, 20, 0, tzinfo=UTC)


@pytest.fixture
def add(session):  # type: ignore[no-untyped-def]
    def make(headline: str, day: str = "2024-11-27", now: datetime = NOW, **fields):  # type: ignore[no-untyped-def]
        data = BriefCreate(headline=headline, date=dt.date.fromisoformat(day), **fields)
        return briefs_service.create_brief(session, data, now=now)

    return make


@pytest.fixture
def frozen(app):  # type: ignore[no-untyped-def]
    app.dependency_overrides[app_now] = lambda: NOW
    yield
    app.dependency_overrides.clear()


app_now = app.core.listing.now


def _headlines(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return [b["headline"] for b in response.json()["data"]]


@pytest.mark.usefixtures("frozen")
class TestListBriefs:
    def test_date_and_dateline_filters(self, client, add) -> None:  # type: ignore[no-untyped-def]
        add("Budget passed", dateline="KATHMANDU")
        add("Talks resume", dateline="VIENNA")
        add("Yesterday", day="2024-11-26", dateline="KATHMANDU")
        assert _headlines(client.get("/v1/briefs?date=2024-11-27")) == ["Budget passed",
                                                                        "Talks resume"]
        assert _headlines(client.get("/v1/briefs?dateline=KATHMANDU")) == ["Budget passed",
                                                                          "Yesterday"]
        # the page's own form, with the colon, works too
        assert _headlines(client.get("/v1/briefs?date=2024-11-27&dateline=vienna:")) == [
            "Talks resume"]
        body = client.get("/v1/briefs?date=2024-11-27").json()
        first = body["data"][0]
        assert (first["date"], first["position"]) == ("2024-11-27", 0)
        assert first["published_at"].endswith("Z")
        assert set(first) == {"id", "dateline", "headline", "summary", "article", "date",
                              "position", "published_at", "language", "date_bs"}

    def test_cursor_walk_newest_day_first_in_page_order(self, client, add) -> None:  # type: ignore[no-untyped-def]
        for i in range(5):
            add(f"B{i}", day="2024-11-2" + ("7" if i % 2 else "6"))
        seen, url, pages = [], "/v1/briefs?limit=2", 0
        while url:
            r = client.get(url)
            seen += _headlines(r)
            url = r.json()["links"]["next"]
            assert r.json()["meta"]["next_cursor"] == (url and url.split("cursor=")[1])
            pages += 1
        assert seen == ["B1", "B3", "B0", "B2", "B4"]
        assert pages == 3

    def test_hides_unpublished_future_and_deleted(self, client, add, session) -> None:  # type: ignore[no-untyped-def]
        add("Shown")
        add("Unpublished", published=False)
        add("Later", now=datetime(2024, 11, 26, 21, 0, tzinfo=UTC))
        gone = add("Deleted")
        briefs_service.delete_brief(session, gone, now=NOW)
        assert _headlines(client.get("/v1/briefs")) == ["Shown"]

    @pytest.mark.parametrize("query", ["date=2024-02-30", "date=yesterday", "date=27-11-2024",
                                       "limit=0", "limit=1000"])
    def test_bad_parameters_are_422(self, client, query) -> None:  # type: ignore[no-untyped-def]
        r = client.get(f"/v1/briefs?{query}")
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"

    def test_bad_cursor_is_400(self, client) -> None:  # type: ignore[no-untyped-def]
        assert client.get("/v1/briefs?cursor=garbage").status_code == 400

    def test_public_caching_headers(self, client, add) -> None:  # type: ignore[no-untyped-def]
        add("Shown")
        r = client.get("/v1/briefs")
        assert r.headers["cache-control"].startswith("public")
        assert client.get("/v1/briefs", headers={"If-None-Match": r.headers["etag"]}
                          ).status_code == 304


@pytest.mark.usefixtures("frozen")
class TestTodaysBriefs:
    def test_today_is_the_kathmandu_date(self, client, add) -> None:  # type: ignore[no-untyped-def]
        add("Kathmandu today", day="2024-11-27")
        add("UTC today", day="2024-11-26")
        assert _headlines(client.get("/v1/briefs/today")) == ["Kathmandu today"]
        assert _headlines(client.get("/v1/briefs/today?dateline=NOWHERE")) == []

    def test_follows_the_editorial_order(self, client, add, session) -> None:  # type: ignore[no-untyped-def]
        a, b = add("A"), add("B")
        briefs_service.reorder_briefs(session, dt.date(2024, 11, 27), [b.id, a.id], now=NOW)
        assert _headlines(client.get("/v1/briefs/today")) == ["B", "A"]
