"""Localized section and tag names, and the sections' navigation order."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from app.articles.models import Article

SECTIONS, TAGS = "/v1/editorial/sections", "/v1/editorial/tags"


@pytest.fixture
def editor(auth_headers: Callable[..., dict[str, str]]) -> dict[str, str]:
    return auth_headers("editor")


def test_names_follow_the_article_language_everywhere(
        client: TestClient, editor: dict[str, str], make_article: Callable[..., Article]) -> None:
    section = client.post(SECTIONS, headers=editor, json={
        "name": "Politics", "names": {"en": "Politics", "ne": "राजनीति"}})
    assert section.status_code == 201, section.text
    assert section.json()["names"] == {"en": "Politics", "ne": "राजनीति"}
    tag = client.post(TAGS, headers=editor, json={"name": "Elections",
                                                  "names": {"ne": "निर्वाचन"}})
    assert tag.status_code == 201, tag.text
    nepali = make_article("संसद बैठक", language="ne", section="politics", tags=["elections"])
    regional = make_article("संसद बैठक २", language="ne-NP", section="politics",
                            tags=["elections"])
    english = make_article("Parliament sits", language="en", section="politics",
                           tags=["elections"])
    other = make_article("Le parlement", language="fr", section="politics", tags=["elections"])
    expected = {nepali.id: ("राजनीति", "निर्वाचन"), regional.id: ("राजनीति", "निर्वाचन"),
                english.id: ("Politics", "Elections"), other.id: ("Politics", "Elections")}
    cards = client.get("/v1/articles").json()["data"]  # the row-based renderer
    assert {c["id"]: (c["section"]["name"], c["tags"][0]["name"]) for c in cards} == expected
    hits = client.get("/v1/search", params={"q": "संसद"}).json()["data"]  # the presenters
    assert {h["id"]: (h["section"]["name"], h["tags"][0]["name"]) for h in hits} == {
        k: v for k, v in expected.items() if k in (nepali.id, regional.id)}
    detail = client.get(f"/v1/articles/{nepali.slug}").json()
    assert (detail["section"], detail["tags"]) == ({"slug": "politics", "name": "राजनीति"},
                                                   [{"slug": "elections", "name": "निर्वाचन"}])
    assert detail["structured_data"]["articleSection"] == "राजनीति"
    public_tags = client.get("/v1/tags").json()["data"]
    assert public_tags == [{"slug": "elections", "name": "Elections", "article_count": 4,
                            "names": {"ne": "निर्वाचन"}}]

    # Renamed in Nepali: the articles show it at once.
    patched = client.patch(f"{SECTIONS}/politics", headers=editor,
                           json={"names": {"en": "Politics", "ne": "राजनीतिक"}})
    assert patched.status_code == 200, patched.text
    assert client.get(f"/v1/articles/{nepali.slug}").json()["section"]["name"] == "राजनीतिक"
    patched = client.patch(f"{TAGS}/elections", headers=editor, json={"names": None})
    assert patched.status_code == 200, patched.text
    assert patched.json()["names"] == {}
    assert client.get(f"/v1/articles/{nepali.slug}").json()["tags"][0]["name"] == "Elections"


def test_sections_are_listed_by_position(client: TestClient, editor: dict[str, str]) -> None:
    for name, position in (("Sport", 3), ("News", 1), ("Opinion", 2), ("Arts", 3)):
        response = client.post(SECTIONS, headers=editor, json={"name": name,
                                                               "position": position})
        assert response.status_code == 201, response.text
    listed = client.get("/v1/sections").json()["data"]
    assert [(s["slug"], s["position"]) for s in listed] == [
        ("news", 1), ("opinion", 2), ("arts", 3), ("sport", 3)]
    first = client.get("/v1/sections", params={"limit": 2}).json()
    rest = client.get("/v1/sections", params={"limit": 2,
                                              "cursor": first["meta"]["next_cursor"]}).json()
    assert [s["slug"] for s in first["data"] + rest["data"]] == ["news", "opinion", "arts",
                                                                 "sport"]
    moved = client.patch(f"{SECTIONS}/sport", headers=editor, json={"position": 0})
    assert moved.status_code == 200, moved.text
    assert client.get("/v1/sections", params={"limit": 3}).json()["data"][0]["slug"] == "sport"


@pytest.mark.parametrize("body", [{"names": {"nepali language": "x"}}, {"names": {"ne": ""}},
                                  {"names": {"ne": "x" * 101}}, {"names": ["ne"]},
                                  {"position": -1}, {"position": None}])
def test_bad_names_and_positions_are_422(client: TestClient, editor: dict[str, str],
                                         body: dict[str, object]) -> None:
    assert client.post(SECTIONS, headers=editor, json={"name": "News"}).status_code == 201
    response = client.patch(f"{SECTIONS}/news", headers=editor, json=body)
    assert response.status_code == 422, response.text
    assert client.get(f"{SECTIONS}/news", headers=editor).json()["names"] == {}
