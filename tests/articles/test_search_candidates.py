"""Relevance search ranks a capped candidate set: the newest matches (app/articles/search.py).

The cap is lowered to 3 here so a handful of articles exercise it. Articles are created oldest
first, so "newest" means the same on both databases (insertion order on SQLite, publication
time on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from app.articles import search
from app.articles.models import Article

T0 = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)


# PostgreSQL walks the RECENT newest articles when the matches are more than RECENT / 2 (6:
# they are 5, the walk finds them all), else takes the GIN index at once (100); when the walk
# finds too few (2 articles hold 1 match), the GIN index too: each way gives the same answer.
@pytest.fixture(params=[6, 100, 2], ids=["first-pass", "gin-first", "second-pass"])
def five_matches(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
                 make_article: Callable[..., Article]) -> list[Article]:
    monkeypatch.setattr(search, "CANDIDATES", 3)
    monkeypatch.setattr(search, "TOTAL_CAP", 3)  # the pass looks for 4 matches
    monkeypatch.setattr(search, "RECENT", request.param)
    # The oldest has the word in its title (the best rank) but falls outside the newest three.
    articles = [make_article("Quokka census", published_at=T0, body_text="Counting.",
                             language="ne")]
    articles += [make_article(f"Story {n}", published_at=T0 + timedelta(hours=n),
                              body_text=f"One quokka, {'quokka ' * n}seen.") for n in range(1, 5)]
    make_article("Unrelated", published_at=T0 + timedelta(hours=9), body_text="Nothing here.")
    return articles


def slugs(client: TestClient, **params: object) -> list[str]:
    out: list[str] = []
    cursor = None
    while True:
        page = client.get("/v1/search", params={**params, "limit": 2,
                                                **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        out += [item["slug"] for item in page.json()["data"]]
        cursor = page.json()["meta"]["next_cursor"]
        if cursor is None:
            return out


def test_relevance_ranks_the_newest_matches_only(client: TestClient,
                                                 five_matches: list[Article]) -> None:
    # Paged two at a time: the newest three, most mentions first, nothing repeated or lost.
    assert slugs(client, q="quokka") == [a.slug for a in reversed(five_matches[2:])]


def test_a_precise_query_or_a_filter_reaches_older_articles(
        client: TestClient, five_matches: list[Article]) -> None:
    # The cap applies to the matches of the query and filters, not to all matches of a word.
    assert slugs(client, q="quokka census") == [five_matches[0].slug]
    assert slugs(client, q="quokka", language="ne") == [five_matches[0].slug]


@pytest.mark.usefixtures("five_matches")
def test_a_cursor_of_another_kind_is_refused(client: TestClient) -> None:
    first = client.get("/v1/search", params={"q": "quokka", "limit": 1}).json()
    other = client.get("/v1/search", params={"q": "quokka", "limit": 1,
                                              "sort": "-published_at"}).json()
    refused = client.get("/v1/search", params={"q": "quokka",
                                                "cursor": other["meta"]["next_cursor"]})
    assert first["meta"]["next_cursor"]
    assert refused.status_code == 400
    assert refused.headers["content-type"].startswith("application/problem+json")


def test_date_order_pages_over_every_match(client: TestClient,
                                           five_matches: list[Article]) -> None:
    assert slugs(client, q="quokka", sort="-published_at") == [
        a.slug for a in reversed(five_matches)]


def test_the_pass_that_finds_the_candidates_counts_the_matches(
        client: TestClient, five_matches: list[Article], monkeypatch: pytest.MonkeyPatch) -> None:
    meta = client.get("/v1/search", params={"q": "quokka"}).json()["meta"]
    assert (meta["total"], meta["total_relation"]) == (3, "gte")
    # A cap past the candidates: every match counted, the newest three ranked.
    monkeypatch.setattr(search, "TOTAL_CAP", 10)
    body = client.get("/v1/search", params={"q": "quokka", "limit": 2}).json()
    assert (body["meta"]["total"], body["meta"]["total_relation"]) == (5, "eq")
    assert slugs(client, q="quokka") == [a.slug for a in reversed(five_matches[2:])]
    dated = client.get("/v1/search", params={"q": "quokka", "sort": "-published_at"}).json()
    assert (dated["meta"]["total"], dated["meta"]["total_relation"]) == (5, "eq")
    monkeypatch.setattr(search, "TOTAL_CAP", 4)
    dated = client.get("/v1/search", params={"q": "quokka", "sort": "-published_at",
                                              "limit": 10}).json()  # not the cached answer
    assert (dated["meta"]["total"], dated["meta"]["total_relation"]) == (4, "gte")
    assert len(dated["data"]) == 5  # date order pages over every match
