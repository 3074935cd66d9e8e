"""Every RSS and Atom feed passes what the W3C Feed Validator checked (offline: RFC 4287's
RELAX NG schema, an RSS 2.0 structure check, ASCII RFC 3986 URLs, valid content types), with
Nepali and English articles, an image, a renamed slug and a scheduled article that went live;
item ids survive a rename in every format."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.articles import service as articles_service
from app.articles.models import Article, ArticleUpdate
from app.core.listing import now as app_now
from tests.interop.checks import (
    FIXTURES,
    TAG_URI,
    UTC_Z,
    check_atom,
    check_rss,
    is_ascii_url,
)

PUBLIC_FEEDS = ["/v1/feeds/latest", "/v1/feeds/sections/news"]
JSON_FEED_SCHEMA = json.loads((FIXTURES / "jsonfeed" / "schema-v1.1.json").read_text())


@pytest.fixture
def world(app: FastAPI, session: Session, make_article: Callable[..., Article],
          make_section: Callable[..., Any], make_partner: Callable[..., Any]) -> dict[str, Any]:
    make_section("news", "News")
    now = datetime.now(UTC)
    english = make_article("Floods in the Terai", section="news", language="en",
                           image={"url": "https://cdn.example.com/i/flood.jpg", "width": 1200,
                                  "height": 675, "caption": "Water", "credit": "Khabar"},
                           published_at=now - timedelta(hours=3))
    nepali = make_article("नेपालमा बाढी", section="news", language="ne",
                          published_at=now - timedelta(hours=2))
    renamed = make_article("Budget speech", section="news", published_at=now - timedelta(hours=1))
    scheduled = make_article("Election results", section="news", status="scheduled",
                             published_at=now + timedelta(minutes=30))
    later = now + timedelta(hours=1)
    app.dependency_overrides[app_now] = lambda: later  # the scheduled article is live now
    _, headers = make_partner()
    return {"english": english, "nepali": nepali, "renamed": renamed, "scheduled": scheduled,
            "partner": headers, "session": session}


def rename(world: dict[str, Any], slug: str) -> None:
    article = world["renamed"]
    articles_service.update_article(world["session"], article, ArticleUpdate(slug=slug),
                                    expected_revision=article.revision, by=None,
                                    now=datetime.now(UTC))


def feeds(client: TestClient, headers: dict[str, str]) -> dict[str, bytes]:
    out = {}
    for base in PUBLIC_FEEDS:
        for kind in ("rss", "atom", "json"):
            response = client.get(f"{base}.{kind}")
            assert response.status_code == 200, response.text
            out[f"{base}.{kind}"] = response.content
    for kind in ("atom", "json"):
        response = client.get(f"/v1/syndication/feed.{kind}", headers=headers)
        assert response.status_code == 200, response.text
        out[f"/v1/syndication/feed.{kind}"] = response.content
    return out


def items(path: str, body: bytes) -> list[dict[str, Any]]:
    if path.endswith(".rss"):
        return check_rss(body)
    if path.endswith(".atom"):
        return check_atom(body)
    feed = json.loads(body)
    jsonschema.validate(feed, JSON_FEED_SCHEMA,
                        cls=jsonschema.validators.validator_for(JSON_FEED_SCHEMA))
    for item in feed["items"]:
        assert is_ascii_url(item["url"]), item["url"]
        assert UTC_Z.match(item["date_published"])
        assert UTC_Z.match(item["date_modified"])
        assert item["date_modified"] >= item["date_published"]
        if "image" in item:
            assert is_ascii_url(item["image"])
    return [{"id": i["id"], "link": i["url"], "title": i["title"]} for i in feed["items"]]


def test_every_feed_is_valid(client: TestClient, world: dict[str, Any]) -> None:
    rename(world, "budget-speech-2083")
    for path, body in feeds(client, world["partner"]).items():
        found = items(path, body)
        assert len(found) == 4, path
        for item in found:
            assert TAG_URI.match(item["id"]), (path, item["id"])
        links = [i["link"] for i in found]
        # The Devanagari slug is percent-encoded UTF-8, never a raw IRI.
        assert any("%E0%A4" in link for link in links), (path, links)
        assert any(link.endswith("/budget-speech-2083") for link in links), path


def test_partner_atom_carries_html(client: TestClient, world: dict[str, Any]) -> None:
    entries = check_atom(client.get("/v1/syndication/feed.atom", headers=world["partner"]).content)
    assert {e["content_type"] for e in entries} == {"html"}
    assert all("<p>" in (e["content"] or "") for e in entries)  # escaped markup, read as HTML


def test_scheduled_article_is_not_modified_before_it_was_published(
        client: TestClient, world: dict[str, Any]) -> None:
    slug = world["scheduled"].slug
    entry = next(e for e in check_atom(client.get("/v1/feeds/latest.atom").content)
                 if e["link"].endswith(slug))
    assert entry["updated"] >= entry["published"]
    data = client.get(f"/v1/articles/{slug}").json()["structured_data"]
    assert data["dateModified"] >= data["datePublished"]
    for version, names in (("3.1", ("firstCreated", "versionCreated")),
                           ("2.2", ("firstcreated", "versioncreated")),
                           ("1.6", ("firstcreated", "versioncreated"))):
        doc = client.get(f"/v1/syndication/articles/{world['scheduled'].id}",
                         params={"format": "ninjs", "ninjs_version": version},
                         headers=world["partner"]).json()
        assert UTC_Z.match(doc[names[0]])
        assert UTC_Z.match(doc[names[1]])
        assert doc[names[1]] >= doc[names[0]], (version, doc[names[0]], doc[names[1]])


def test_item_ids_survive_a_rename(client: TestClient, world: dict[str, Any]) -> None:
    before = {p: items(p, b) for p, b in feeds(client, world["partner"]).items()}
    old_slug = world["renamed"].slug
    rename(world, "budget-speech-renamed")
    after = {p: items(p, b) for p, b in feeds(client, world["partner"]).items()}
    for path in before:
        assert [i["id"] for i in before[path]] == [i["id"] for i in after[path]], path
        old = [i for i in before[path] if i["link"].endswith("/" + old_slug)]
        new = [i for i in after[path] if i["link"].endswith("/budget-speech-renamed")]
        assert len(old) == len(new) == 1, path
        assert old[0]["id"] == new[0]["id"]
        assert new[0]["id"].endswith(f":article:{world['renamed'].id}")
