"""Translations: `translation_of` groups articles; details list the published others; the news
sitemap links them with reciprocal hreflang alternates and x-default."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from app.articles.models import Article

URL = "/v1/editorial/articles"
XHTML = "{http://www.w3.org/1999/xhtml}link"
LOC = "{http://www.sitemaps.org/schemas/sitemap/0.9}loc"


@pytest.fixture
def editor(auth_headers: Callable[..., dict[str, str]]) -> dict[str, str]:
    return auth_headers("editor")


@pytest.fixture
def author(make_author: Callable[..., object]) -> str:
    return make_author().slug  # type: ignore[attr-defined]


def _create(client: TestClient, headers: dict[str, str], **body: object) -> dict:  # type: ignore[type-arg]
    response = client.post(URL, headers=headers, json={"body_text": "Words.", **body})
    assert response.status_code == 201, response.text
    return response.json()


def test_a_group_lists_its_published_members(
        client: TestClient, editor: dict[str, str], make_article: Callable[..., Article],
        author: str) -> None:
    english = make_article("Budget passed", language="en")
    nepali = make_article("बजेट पारित", language="ne", translation_of=english.id)
    # A draft: not listed publicly.
    hindi_draft = _create(client, editor, title="बजट पारित", language="hi",
                          translation_of=nepali.id, authors=[author])
    detail_en = client.get(f"/v1/articles/{english.slug}").json()
    assert detail_en["translations"] == [{
        "language": "ne", "id": nepali.id, "slug": nepali.slug,
        "url": f"https://example.com/articles/{nepali.slug}"}]
    detail_ne = client.get(f"/v1/articles/{nepali.slug}").json()
    assert [t["id"] for t in detail_ne["translations"]] == [english.id]
    assert hindi_draft["id"] not in str(detail_ne)
    alone = make_article("Alone", language="en")
    assert client.get(f"/v1/articles/{alone.slug}").json()["translations"] == []

    # PATCH out of the group, and back in.
    etag = client.get(f"{URL}/{nepali.id}", headers=editor).headers["etag"]
    out = client.patch(f"{URL}/{nepali.id}", headers={**editor, "If-Match": etag},
                       json={"translation_of": None})
    assert out.status_code == 200, out.text
    assert client.get(f"/v1/articles/{english.slug}?fields=translations").json() == {
        "translations": []}
    back = client.patch(f"{URL}/{nepali.id}",
                        headers={**editor, "If-Match": out.headers["etag"]},
                        json={"translation_of": english.id})
    assert back.status_code == 200, back.text
    assert [t["id"] for t in client.get(f"/v1/articles/{english.slug}").json()
            ["translations"]] == [nepali.id]


def test_bad_translation_of_is_422(client: TestClient, editor: dict[str, str],
                                   make_article: Callable[..., Article], author: str) -> None:
    english = make_article("Budget passed", language="en")
    deleted = make_article("Gone", language="ne", status="deleted")
    for body in ({"language": "en", "translation_of": english.id},   # same language
                 {"language": "ne", "translation_of": deleted.id},   # deleted
                 {"language": "ne", "translation_of": "no-such-id"},
                 {"language": "ne", "translation_of": "x" * 33}):
        response = client.post(URL, headers=editor, json={"title": "T", "body_text": "B",
                                                           "authors": [author], **body})
        assert response.status_code == 422, (body, response.text)
        assert "translation_of" in response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    etag = client.get(f"{URL}/{english.id}", headers=editor).headers["etag"]
    itself = client.patch(f"{URL}/{english.id}", headers={**editor, "If-Match": etag},
                          json={"translation_of": english.id})
    assert itself.status_code == 422, itself.text
    nepali = make_article("बजेट", language="ne", translation_of=english.id)
    second = client.post(URL, headers=editor, json={
        "title": "अर्को", "body_text": "B", "language": "ne", "translation_of": english.id,
        "authors": [author]})
    assert second.status_code == 422, second.text  # the group has a Nepali article already
    third = client.post(URL, headers=editor, json={
        "title": "Autre", "body_text": "B", "language": "fr", "translation_of": nepali.id,
        "authors": [author]})
    assert third.status_code == 201, third.text


def test_news_sitemap_has_reciprocal_hreflang(client: TestClient,
                                              make_article: Callable[..., Article]) -> None:
    english = make_article("Budget passed", language="en")
    nepali = make_article("बजेट पारित", language="ne", translation_of=english.id)
    make_article("Alone", language="en")
    response = client.get("/v1/sitemaps/news.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    links = {}
    for url in root:
        loc = url.find(LOC).text  # type: ignore[union-attr]
        links[loc] = sorted((link.get("hreflang"), link.get("href"))
                            for link in url.findall(XHTML))
    en_url = f"https://example.com/articles/{english.slug}"
    # Sitemaps take ASCII URLs: the Devanagari slug comes percent-encoded.
    ne_url = f"https://example.com/articles/{quote(nepali.slug)}"
    group = sorted([("en", en_url), ("ne", ne_url), ("x-default", en_url)])
    assert links[en_url] == group
    assert links[ne_url] == group
    assert [v for k, v in links.items() if k not in (en_url, ne_url)] == [[]]


def test_feeds_and_sitemap_take_language(client: TestClient,
                                         make_article: Callable[..., Article]) -> None:
    make_article("Budget passed", language="en")
    nepali = make_article("बजेट पारित", language="ne")
    rss = client.get("/v1/feeds/latest.rss", params={"language": "ne"})
    assert rss.status_code == 200, rss.text
    channel = ET.fromstring(rss.content).find("channel")
    assert channel is not None
    assert channel.findtext("language") == "ne"
    assert [i.findtext("title") for i in channel.findall("item")] == [nepali.title]
    default = ET.fromstring(client.get("/v1/feeds/latest.rss").content).find("channel")
    assert default is not None
    assert default.findtext("language") == "en"
    assert len(default.findall("item")) == 2
    sitemap = ET.fromstring(client.get("/v1/sitemaps/news.xml", params={"language": "ne"}).content)
    assert [u.findtext(LOC) for u in sitemap] == [
        f"https://example.com/articles/{quote(nepali.slug)}"]
    assert client.get("/v1/feeds/latest.rss", params={"language": "x y"}).status_code == 422
