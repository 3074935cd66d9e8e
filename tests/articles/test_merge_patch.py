"""Nested objects in PATCH bodies merge (RFC 7396 JSON Merge Patch): every PATCHable nested
object, a partial patch keeps the other fields, a field given as null removes just that field,
and partners never get text whose rights do not allow it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from app.partners import service as partners_service
from app.partners.models import PartnerCreate
from tests.articles.newsroom import Newsroom

BASE = "/v1/editorial/articles"
THIRD_PARTY = {"copyright_holder": "Project Syndicate", "syndication": "denied",
               "usage_terms": "No reuse"}
SOURCE = {"name": "Project Syndicate", "url": "https://www.project-syndicate.org/c/1"}
IMAGE = {"url": "https://img.example.com/a.jpg", "caption": "A caption", "credit": "A credit",
         "width": 800, "height": 600}

# (object, stored value, patch, expected value after the patch)
ARTICLE_CASES = [
    ("rights", THIRD_PARTY, {"usage_terms": "Print edition only"},
     {**THIRD_PARTY, "usage_terms": "Print edition only"}),
    ("rights", THIRD_PARTY, {"syndication": "denied"}, THIRD_PARTY),
    ("rights", THIRD_PARTY, {"usage_terms": None},
     {**THIRD_PARTY, "usage_terms": None}),
    ("rights", THIRD_PARTY, {"syndication": "allowed"}, {**THIRD_PARTY, "syndication": "allowed"}),
    # Removing the flag falls back to the holder's default: third party -> denied.
    ("rights", THIRD_PARTY, {"syndication": None}, THIRD_PARTY),
    ("rights", THIRD_PARTY, {}, THIRD_PARTY),
    ("source", SOURCE, {"url": "https://example.org/other"},
     {**SOURCE, "url": "https://example.org/other"}),
    ("source", SOURCE, {"url": None}, {**SOURCE, "url": None}),
    ("source", SOURCE, {"name": "Other"}, {**SOURCE, "name": "Other"}),
    ("image", IMAGE, {"caption": "New caption"}, {**IMAGE, "caption": "New caption"}),
    ("image", IMAGE, {"credit": None}, {**IMAGE, "credit": None}),
    ("image", IMAGE, {"width": 1200, "height": None}, {**IMAGE, "width": 1200, "height": None}),
    ("image", IMAGE, {"url": "https://img.example.com/b.jpg"},
     {**IMAGE, "url": "https://img.example.com/b.jpg"}),
]


def _create(client: Any, room: Newsroom, **fields: Any) -> dict[str, Any]:
    r = client.post(BASE, json={"title": "A column", "body_text": "Third-party text.", **fields},
                    headers=room.headers["editor"])
    assert r.status_code == 201, r.text
    return r.json()


def _etag(client: Any, room: Newsroom, article: dict[str, Any]) -> dict[str, str]:
    r = client.get(f"{BASE}/{article['id']}", headers=room.headers["editor"])
    return {**room.headers["editor"], "If-Match": r.headers["ETag"]}


def _patch(client: Any, room: Newsroom, article: dict[str, Any], body: Any) -> Any:
    return client.patch(f"{BASE}/{article['id']}", json=body,
                        headers=_etag(client, room, article))


def _shown(article: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = article.get(name)
    if name == "image" and value is not None:
        return {k: value.get(k) for k in IMAGE}
    if name == "source" and value is not None:
        return {k: value.get(k) for k in SOURCE}
    return value


@pytest.mark.parametrize(("name", "stored", "patch", "expected"), ARTICLE_CASES,
                         ids=[f"{c[0]}-{'-'.join(c[2]) or 'empty'}" for c in ARTICLE_CASES])
def test_article_nested_objects_merge(client, newsroom, name, stored, patch, expected):
    article = _create(client, newsroom, **{name: stored})
    r = _patch(client, newsroom, article, {name: patch})
    assert r.status_code == 200, r.text
    assert _shown(r.json(), name) == expected
    # What was stored is what a fresh read answers.
    again = client.get(f"{BASE}/{article['id']}", headers=newsroom.headers["editor"]).json()
    assert _shown(again, name) == expected


def test_image_patch_without_an_image_needs_a_url(client, newsroom):
    article = _create(client, newsroom)
    r = _patch(client, newsroom, article, {"image": {"caption": "No picture yet"}})
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"][:3] == ["body", "image", "url"]
    r = _patch(client, newsroom, article, {"image": {"url": "https://img.example.com/c.jpg"}})
    assert r.status_code == 200
    assert r.json()["image"]["url"] == "https://img.example.com/c.jpg"


def test_null_removes_the_whole_image_and_source(client, newsroom):
    article = _create(client, newsroom, image=IMAGE, source=SOURCE)
    r = _patch(client, newsroom, article, {"image": None, "source": None})
    assert r.status_code == 200, r.text
    assert r.json().get("image") is None
    assert r.json().get("source") is None


def test_source_name_cannot_be_removed_alone(client, newsroom):
    article = _create(client, newsroom, source=SOURCE)
    r = _patch(client, newsroom, article, {"source": {"name": None}})
    assert r.status_code == 422
    unchanged = client.get(f"{BASE}/{article['id']}", headers=newsroom.headers["editor"]).json()
    assert unchanged["revision"] == article["revision"]


def test_rights_cannot_be_nulled(client, newsroom):
    article = _create(client, newsroom, rights=THIRD_PARTY)
    r = _patch(client, newsroom, article, {"rights": None})
    assert r.status_code == 422


def test_a_new_third_party_holder_alone_denies_syndication(client, newsroom):
    article = _create(client, newsroom)
    assert article["rights"]["syndication"] == "allowed"
    r = _patch(client, newsroom, article, {"rights": {"copyright_holder": "Reuters"}})
    assert r.json()["rights"] == {"copyright_holder": "Reuters", "syndication": "denied",
                                  "usage_terms": None}


@pytest.mark.parametrize("patch", [
    {"usage_terms": "Print edition only"}, {"syndication": None}, {"usage_terms": None}, {},
    {"copyright_holder": "Project Syndicate"},
])
def test_partners_never_get_third_party_text_after_a_partial_rights_patch(
        client, newsroom, session, patch):
    _, key = partners_service.create_partner(session, PartnerCreate(name="P", sections=[]),
                                             now=datetime.now(UTC))
    partner = {"Authorization": f"Bearer {key}"}
    article = _create(client, newsroom, rights=THIRD_PARTY)
    r = client.post(f"{BASE}/{article['id']}/publish",
                    headers=_etag(client, newsroom, article))
    assert r.status_code == 200, r.text
    r = _patch(client, newsroom, r.json(), {"rights": patch})
    assert r.status_code == 200, r.text
    assert r.json()["rights"]["copyright_holder"] == "Project Syndicate"
    for fmt in ("native", "ninjs"):
        got = client.get(f"/v1/syndication/articles/{article['id']}?format={fmt}", headers=partner)
        assert got.status_code == 404, (fmt, got.text)
    listed = client.get("/v1/syndication/articles", headers=partner).json()
    assert article["id"] not in {a.get("id") or a.get("uri") for a in listed["data"]}
    assert "Third-party text" not in client.get("/v1/syndication/articles", headers=partner).text


# ---- author profiles: `links` is a nested object -------------------------------------------


def test_author_links_merge(client, newsroom, make_author):
    author = make_author("Linked Author", links={"website": "https://a.example",
                                                 "mastodon": "https://m.example/@a"})
    headers = newsroom.headers["admin"]
    url = f"/v1/editorial/authors/{author.id}"
    r = client.patch(url, json={"links": {"website": "https://b.example"}}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["links"] == {"website": "https://b.example", "mastodon": "https://m.example/@a"}
    r = client.patch(url, json={"links": {"mastodon": None}}, headers=headers)
    assert r.json()["links"] == {"website": "https://b.example"}
    r = client.patch(url, json={"bio": "Writes."}, headers=headers)
    assert r.json()["links"] == {"website": "https://b.example"}
    r = client.patch(url, json={"links": None}, headers=headers)
    assert r.json()["links"] == {}


def test_author_links_stay_bounded_after_a_merge(client, newsroom, make_author):
    author = make_author("Many Links", links={f"l{i}": f"https://{i}.example" for i in range(15)})
    r = client.patch(f"/v1/editorial/authors/{author.id}", headers=newsroom.headers["admin"],
                     json={"links": {f"n{i}": f"https://n{i}.example" for i in range(10)}})
    assert r.status_code == 422


# ---- sections and tags: `names`; authors: `avatar` ------------------------------------------

NAMES = {"ne": "राजनीति", "hi": "राजनीति"}
NAMES_CASES = [
    ({"ne": "राजनीतिक"}, {**NAMES, "ne": "राजनीतिक"}),
    ({"en": "Politics"}, {**NAMES, "en": "Politics"}),
    ({"hi": None}, {"ne": "राजनीति"}),
    ({}, NAMES),
    (None, {}),
]


@pytest.mark.parametrize("kind", ["sections", "tags"])
@pytest.mark.parametrize(("patch", "expected"), NAMES_CASES,
                         ids=["replace-one", "add-one", "remove-one", "empty", "null"])
def test_taxonomy_names_merge(client, newsroom, kind, patch, expected):
    headers = newsroom.headers["editor"]
    r = client.post(f"/v1/editorial/{kind}", json={"name": "Politics", "names": NAMES},
                    headers=headers)
    assert r.status_code == 201, r.text
    url = f"/v1/editorial/{kind}/{r.json()['slug']}"
    r = client.patch(url, json={"names": patch}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["names"] == expected
    assert client.get(url, headers=headers).json()["names"] == expected


def test_taxonomy_names_stay_bounded_after_a_merge(client, newsroom):
    headers = newsroom.headers["editor"]
    names = {f"x{chr(97 + i)}": "Name" for i in range(15)}
    r = client.post("/v1/editorial/tags", json={"name": "Many", "names": names}, headers=headers)
    assert r.status_code == 201, r.text
    more = {f"y{chr(97 + i)}": "Name" for i in range(10)}
    r = client.patch(f"/v1/editorial/tags/{r.json()['slug']}", json={"names": more},
                     headers=headers)
    assert r.status_code == 422


AVATAR = {"url": "https://img.example.com/me.jpg", "alt": "Me", "credit": "A credit",
          "width": 400, "height": 400}
AVATAR_CASES = [
    ({"alt": "Portrait"}, {**AVATAR, "alt": "Portrait"}),
    ({"credit": None}, {**AVATAR, "credit": None}),
    ({"url": "https://img.example.com/you.jpg"}, {**AVATAR, "url": "https://img.example.com/you.jpg"}),
    ({}, AVATAR),
]


@pytest.mark.parametrize(("patch", "expected"), AVATAR_CASES,
                         ids=["alt", "credit-null", "url", "empty"])
def test_author_avatar_merges(client, newsroom, make_author, patch, expected):
    author = make_author("Pictured Author", avatar=AVATAR)
    url = f"/v1/editorial/authors/{author.id}"
    r = client.patch(url, json={"avatar": patch}, headers=newsroom.headers["admin"])
    assert r.status_code == 200, r.text
    assert {k: r.json()["avatar"].get(k) for k in AVATAR} == expected


def test_author_avatar_null_removes_it_and_a_patch_without_one_needs_a_url(
        client, newsroom, make_author):
    author = make_author("Pictured Author", avatar=AVATAR)
    url = f"/v1/editorial/authors/{author.id}"
    r = client.patch(url, json={"avatar": None}, headers=newsroom.headers["admin"])
    assert r.status_code == 200, r.text
    assert r.json()["avatar"] is None
    r = client.patch(url, json={"avatar": {"alt": "Nobody"}}, headers=newsroom.headers["admin"])
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"][:3] == ["body", "avatar", "url"]


# ---- the shared helper -------------------------------------------------------------------


@pytest.mark.parametrize(("target", "patch", "result"), [
    # RFC 7396 appendix A
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
])
def test_merge_patch_follows_rfc_7396(target, patch, result):
    from app.core.patch import merge_patch

    before = repr(target)
    assert merge_patch(target, patch) == result
    assert repr(target) == before  # never changed in place


def test_every_patch_body_with_a_nested_object_is_covered():
    """A new nested object in a PATCH body must join the matrix above."""
    from pydantic import BaseModel

    from app.articles.models import ArticleUpdate
    from app.authors.models import AuthorUpdate
    from app.briefs.models import BriefUpdate
    from app.partners.models import PartnerUpdate
    from app.taxonomy.models import SectionUpdate, TagUpdate
    from app.users.models import UserUpdate

    nested = set()
    for model in (ArticleUpdate, AuthorUpdate, BriefUpdate, PartnerUpdate, SectionUpdate,
                  TagUpdate, UserUpdate):
        for name, field in model.model_fields.items():
            text = repr(field.annotation)
            if "dict[" in text or any(isinstance(a, type) and issubclass(a, BaseModel)
                                      for a in getattr(field.annotation, "__args__", ())):
                nested.add(f"{model.__name__}.{name}")
    assert nested == {"ArticleUpdate.rights", "ArticleUpdate.source", "ArticleUpdate.image",
                      "AuthorUpdate.links", "AuthorUpdate.avatar", "SectionUpdate.names",
                      "TagUpdate.names"}
