"""Cached answers that depend on the clock expire when the answer changes (issue 19, item 7):
`/v1/briefs/today` at the publisher's midnight, the news sitemap when its oldest article leaves
the two-day window. The clock is the app's `now` dependency, which the response cache reads too;
no content write happens in between, so only the expiry can refresh the answers."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from xml.etree import ElementTree as ET

from app.briefs import service as briefs_service
from app.briefs.models import BriefCreate
from app.core.listing import now as app_now

# 18:10 UTC is 23:55 in Kathmandu (UTC+05:45); its midnight is 18:15 UTC.
EVENING = datetime(2026, 3, 14, 18, 10, tzinfo=UTC)
MIDNIGHT = datetime(2026, 3, 14, 18, 15, tzinfo=UTC)


def _headlines(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return [b["headline"] for b in response.json()["data"]]


def test_briefs_today_turn_over_at_the_publishers_midnight(app, client, session):
    clock = {"now": EVENING}
    app.dependency_overrides[app_now] = lambda: clock["now"]
    for headline, day in (("Saturday's brief", "2026-03-14"), ("Sunday's brief", "2026-03-15")):
        briefs_service.create_brief(session, BriefCreate(
            headline=headline, date=dt.date.fromisoformat(day)), now=EVENING - timedelta(hours=1))
    try:
        first = client.get("/v1/briefs/today")
        assert _headlines(first) == ["Saturday's brief"]
        assert parsedate_to_datetime(first.headers["Expires"]) == MIDNIGHT
        assert _headlines(client.get("/v1/briefs/today")) == ["Saturday's brief"]  # cached
        clock["now"] = MIDNIGHT - timedelta(seconds=1)
        assert _headlines(client.get("/v1/briefs/today")) == ["Saturday's brief"]
        clock["now"] = MIDNIGHT + timedelta(seconds=1)
        assert _headlines(client.get("/v1/briefs/today")) == ["Sunday's brief"]
    finally:
        app.dependency_overrides.clear()


def test_news_sitemap_drops_articles_as_they_turn_two_days_old(app, client, make_article):
    clock = {"now": EVENING}
    app.dependency_overrides[app_now] = lambda: clock["now"]
    old = make_article("Day-old story", published_at=EVENING - timedelta(days=1, hours=12))
    new = make_article("Fresh story", published_at=EVENING - timedelta(hours=1))

    def listed() -> set[str]:
        r = client.get("/v1/sitemaps/news.xml")
        assert r.status_code == 200
        return {e.text or "" for e in ET.fromstring(r.content).iter(
            "{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}

    try:
        assert len(listed()) == 2
        leaves = old.published_at + timedelta(days=2)  # type: ignore[operator]
        clock["now"] = leaves - timedelta(seconds=1)
        assert len(listed()) == 2
        clock["now"] = leaves + timedelta(seconds=1)
        remaining = listed()
        assert len(remaining) == 1
        assert any(new.slug in loc for loc in remaining)
    finally:
        app.dependency_overrides.clear()
