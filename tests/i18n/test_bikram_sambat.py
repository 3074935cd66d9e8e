"""Bikram Sambat dates: the converter against known dates, the publisher's midnight, and the
fields and filters that carry them (articles' `published_date_bs`, briefs' `date_bs`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from app.articles.models import Article
from app.i18n import bikram_sambat

KATHMANDU = ZoneInfo("Asia/Kathmandu")

# Nepal's own published calendar (new years, month starts, the contract's example).
KNOWN = [
    ("2023-04-14", "2080-01-01", "२०८० वैशाख १", "1 Baishakh 2080"),
    ("2024-04-12", "2080-12-30", "२०८० चैत ३०", "30 Chaitra 2080"),   # last day of a year
    ("2024-04-13", "2081-01-01", "२०८१ वैशाख १", "1 Baishakh 2081"),   # new year 2081
    ("2024-10-16", "2081-06-30", "२०८१ असोज ३०", "30 Ashwin 2081"),    # a month ends
    ("2024-10-17", "2081-07-01", "२०८१ कार्तिक १", "1 Kartik 2081"),
    ("2024-11-16", "2081-08-01", "२०८१ मंसिर १", "1 Mangsir 2081"),
    ("2024-11-26", "2081-08-11", "२०८१ मंसिर ११", "11 Mangsir 2081"),
    ("2025-04-14", "2082-01-01", "२०८२ वैशाख १", "1 Baishakh 2082"),
]


@pytest.mark.parametrize(("ad", "bs", "text_ne", "text_en"), KNOWN)
def test_known_dates_both_ways(ad: str, bs: str, text_ne: str, text_en: str) -> None:
    assert bikram_sambat.from_ad(dt.date.fromisoformat(ad)) == {
        "date": bs, "text_ne": text_ne, "text_en": text_en}
    assert bikram_sambat.to_ad(bs) == dt.date.fromisoformat(ad)


def test_the_publishers_midnight_decides_the_day() -> None:
    # Kathmandu is UTC+05:45: 18:15 UTC is midnight there.
    before = datetime(2024, 4, 12, 18, 14, 59, tzinfo=UTC)
    after = datetime(2024, 4, 12, 18, 15, tzinfo=UTC)
    assert bikram_sambat.from_instant(before, KATHMANDU)["date"] == "2080-12-30"  # type: ignore[index]
    assert bikram_sambat.from_instant(after, KATHMANDU)["date"] == "2081-01-01"  # type: ignore[index]
    assert bikram_sambat.from_instant(after, ZoneInfo("UTC"))["date"] == "2080-12-30"  # type: ignore[index]


@pytest.mark.parametrize("bad", ["2081-13-01", "2081-08-32", "2081-00-10", "2101-01-01",
                                 "1974-12-30", "2081-8-1", "२०८१-०८-११", "yesterday"])
def test_no_such_bs_date(bad: str) -> None:
    with pytest.raises(ValueError, match="Bikram Sambat"):
        bikram_sambat.to_ad(bad)


def test_outside_the_table_there_is_no_bs_date() -> None:
    assert bikram_sambat.from_ad(dt.date(1900, 1, 1)) is None
    assert bikram_sambat.from_ad(dt.date(2050, 1, 1)) is None


def test_cards_and_details_carry_published_date_bs(
        client: TestClient, make_article: Callable[..., Article]) -> None:
    article = make_article("Late night story", published_at=datetime(2024, 4, 12, 18, 20,
                                                                      tzinfo=UTC))
    expected = {"date": "2081-01-01", "text_ne": "२०८१ वैशाख १", "text_en": "1 Baishakh 2081"}
    [card] = client.get("/v1/articles").json()["data"]
    assert card["published_date_bs"] == expected
    assert client.get(f"/v1/articles/{article.slug}").json()["published_date_bs"] == expected
    [hit] = client.get("/v1/search", params={"q": "late night"}).json()["data"]
    assert hit["published_date_bs"] == expected


def test_briefs_carry_date_bs_and_filter_by_it(client: TestClient,
                                               auth_headers: Callable[..., dict[str, str]]) -> None:
    headers = auth_headers("editor")
    for headline, day, language in (("संसद बैठक बस्यो", "2024-11-26", "ne"),
                                    ("Parliament meets", "2024-11-26", "en"),
                                    ("Yesterday", "2024-11-25", "en")):
        created = client.post("/v1/editorial/briefs", headers=headers, json={
            "headline": headline, "date": day, "language": language})
        assert created.status_code == 201, created.text
    created_ne = created.json()
    assert created_ne["date_bs"]["date"] == "2081-08-10"
    listed = client.get("/v1/briefs", params={"date_bs": "2081-08-11"}).json()["data"]
    assert sorted(b["headline"] for b in listed) == ["Parliament meets", "संसद बैठक बस्यो"]
    assert {b["date_bs"]["text_ne"] for b in listed} == {"२०८१ मंसिर ११"}
    same = client.get("/v1/briefs", params={"date": "2024-11-26"}).json()["data"]
    assert [b["id"] for b in same] == [b["id"] for b in listed]
    nepali = client.get("/v1/briefs", params={"date_bs": "2081-08-11", "language": "ne"})
    assert [b["headline"] for b in nepali.json()["data"]] == ["संसद बैठक बस्यो"]
    assert nepali.json()["data"][0]["language"] == "ne"
    english = client.get("/v1/briefs", params={"language": "en"}).json()["data"]
    assert [b["headline"] for b in english] == ["Parliament meets", "Yesterday"]


@pytest.mark.parametrize("params", [{"date_bs": "2081-13-01"}, {"date_bs": "2081-08-32"},
                                    {"date_bs": "nonsense"}, {"language": "not a tag"},
                                    {"date_bs": "2081-08-11", "date": "2024-11-26"}])
def test_bad_brief_filters_are_422(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/v1/briefs", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_brief_language_is_validated_and_editable(
        client: TestClient, auth_headers: Callable[..., dict[str, str]]) -> None:
    headers = auth_headers("editor")
    bad = client.post("/v1/editorial/briefs", headers=headers,
                      json={"headline": "x", "date": "2024-11-26", "language": "nepali!"})
    assert bad.status_code == 422
    brief = client.post("/v1/editorial/briefs", headers=headers,
                        json={"headline": "x", "date": "2024-11-26"}).json()
    assert brief["language"] == "en"
    patched = client.patch(f"/v1/editorial/briefs/{brief['id']}", headers=headers,
                           json={"language": "ne"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["language"] == "ne"
    assert client.patch(f"/v1/editorial/briefs/{brief['id']}", headers=headers,
                        json={"language": None}).status_code == 422
