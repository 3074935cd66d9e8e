"""Publication dates: republishing never moves `published_at`; only admins backdate, never into
the future; restoring a revision keeps the byline order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.articles.newsroom import Newsroom

BASE = "/v1/editorial/articles"


def _headers(client: Any, room: Newsroom, article_id: str, who: str) -> dict[str, str]:
    r = client.get(f"{BASE}/{article_id}", headers=room.headers["admin"])
    return {**room.headers[who], "If-Match": r.headers["ETag"]}


def _publish(client: Any, room: Newsroom, article_id: str, who: str = "editor",
             body: Any = None) -> Any:
    return client.post(f"{BASE}/{article_id}/publish", json=body,
                       headers=_headers(client, room, article_id, who))


def test_republishing_keeps_published_at(client, newsroom):
    article = newsroom.article("Old news")
    first = _publish(client, newsroom, article.id).json()["published_at"]
    again = _publish(client, newsroom, article.id)
    assert again.status_code == 200
    assert again.json()["published_at"] == first


def test_admin_backdates_and_republishing_keeps_it(client, newsroom):
    article = newsroom.article("From the 2021 archive")
    r = _publish(client, newsroom, article.id, "admin", {"published_at": "2021-03-14T03:13:00Z"})
    assert r.status_code == 200, r.text
    assert r.json()["published_at"] == "2021-03-14T03:13:00Z"
    assert r.json()["status"] == "published"
    assert _publish(client, newsroom, article.id).json()["published_at"] == "2021-03-14T03:13:00Z"
    public = client.get(f"/v1/articles/{r.json()['slug']}")
    assert public.json()["published_at"] == "2021-03-14T03:13:00Z"


def test_admin_moves_a_published_date_back(client, newsroom):
    article = newsroom.article("Moved", state="published")
    r = _publish(client, newsroom, article.id, "admin", {"published_at": "2020-01-01T00:00:00Z"})
    assert r.json()["published_at"] == "2020-01-01T00:00:00Z"


@pytest.mark.parametrize("who", ["editor"])
def test_only_admins_backdate(client, newsroom, who):
    article = newsroom.article("Not yours to date")
    r = _publish(client, newsroom, article.id, who, {"published_at": "2021-03-14T03:13:00Z"})
    assert r.status_code == 403
    assert client.get(f"{BASE}/{article.id}", headers=newsroom.headers["admin"]
                      ).json()["status"] == "draft"


def test_a_future_published_at_is_refused(client, newsroom):
    article = newsroom.article("Tomorrow")
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    r = _publish(client, newsroom, article.id, "admin", {"published_at": future})
    assert r.status_code == 422
    r = _publish(client, newsroom, article.id, "admin",
                 {"published_at": "2021-01-01T00:00:00Z", "publish_at": future})
    assert r.status_code == 422


def test_restoring_a_revision_keeps_the_byline_order(client, newsroom, make_author):
    for name in ("Zed Last", "Amy First", "Mia Middle"):
        make_author(name)
    order = ["zed-last", "amy-first", "mia-middle"]
    r = client.post(BASE, json={"title": "Three bylines", "authors": order},
                    headers=newsroom.headers["editor"])
    article_id = r.json()["id"]
    r = client.patch(f"{BASE}/{article_id}", json={"authors": ["amy-first"]},
                     headers=_headers(client, newsroom, article_id, "editor"))
    assert r.status_code == 200
    r = client.post(f"{BASE}/{article_id}/revisions/1/restore",
                    headers=_headers(client, newsroom, article_id, "editor"))
    assert r.status_code == 200, r.text
    assert [a["slug"] for a in r.json()["authors"]] == order
