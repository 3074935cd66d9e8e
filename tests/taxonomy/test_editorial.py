"""Editorial API: /v1/editorial/sections and /v1/editorial/tags."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.changelog.models import ArticleChange

ROLES = (None, "writer", "editor", "admin")
SECTIONS = "/v1/editorial/sections"
TAGS = "/v1/editorial/tags"

MATRIX = [
    ("GET", SECTIONS, None, (401, 200, 200, 200)),
    ("POST", SECTIONS, {"name": "Sport"}, (401, 403, 201, 201)),
    ("GET", SECTIONS + "/world", None, (401, 200, 200, 200)),
    ("PATCH", SECTIONS + "/world", {"description": "Abroad"}, (401, 403, 200, 200)),
    ("DELETE", SECTIONS + "/world", None, (401, 403, 403, 204)),
    ("GET", TAGS, None, (401, 200, 200, 200)),
    ("POST", TAGS, {"name": "Climate"}, (401, 403, 201, 201)),
    ("GET", TAGS + "/trade", None, (401, 200, 200, 200)),
    ("PATCH", TAGS + "/trade", {"name": "Trade policy"}, (401, 403, 200, 200)),
    ("DELETE", TAGS + "/trade", None, (401, 403, 403, 204)),
]


def _headers(auth_headers, role):  # type: ignore[no-untyped-def]
    return auth_headers(role) if role else {}


def _seq(session, article_id: str) -> int:  # type: ignore[no-untyped-def]
    return session.exec(select(ArticleChange.seq).where(
        ArticleChange.article_id == article_id)).one()


@pytest.fixture
def world_and_trade(make_section, client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    make_section("world", "World")
    r = client.post(TAGS, json={"name": "Trade"}, headers=auth_headers("editor"))
    assert r.status_code == 201


@pytest.mark.parametrize(
    ("method", "path", "body", "role", "expected"),
    [(m, p, b, role, want) for m, p, b, wants in MATRIX
     for role, want in zip(ROLES, wants, strict=True)],
    ids=lambda v: v if isinstance(v, str) else None)
@pytest.mark.usefixtures("world_and_trade")
def test_role_matrix(client, auth_headers, method, path, body, role, expected) -> None:  # type: ignore[no-untyped-def]
    r = client.request(method, path, json=body, headers=_headers(auth_headers, role))
    assert r.status_code == expected, r.text
    assert "no-store" in r.headers["cache-control"]
    if expected < 300:
        assert r.headers["cache-control"] == "private, no-store"


class TestSections:
    def test_create_slug_from_name_then_409(self, client, auth_headers) -> None:  # type: ignore[no-untyped-def]
        headers = auth_headers("editor")
        r = client.post(SECTIONS, json={"name": "Op-Ed Pages", "description": "Views"},
                        headers=headers)
        assert r.status_code == 201, r.text
        assert r.json() == {"id": r.json()["id"], "slug": "op-ed-pages", "name": "Op-Ed Pages",
                            "description": "Views", "article_count": 0,
                            "names": {}, "position": 0}
        assert r.headers["location"].endswith(f"{SECTIONS}/op-ed-pages")
        r = client.post(SECTIONS, json={"name": "Op-Ed pages"}, headers=headers)
        assert r.status_code == 409
        assert client.post(SECTIONS, json={"name": "Other", "slug": "op-ed-pages"},
                           headers=headers).status_code == 409
        r = client.post(SECTIONS, json={"name": "समाचार"}, headers=headers)
        assert r.json()["slug"] == "समाचार"
        assert client.get(f"{SECTIONS}/समाचार", headers=headers).status_code == 200

    @pytest.mark.parametrize("body", [{"name": "X", "id": 1}, {"name": "X", "article_count": 0},
                                      {"name": "X", "bogus": 1}, {"name": "X", "slug": "a b"},
                                      {"name": ""}])
    def test_refused_create_bodies(self, client, auth_headers, body) -> None:  # type: ignore[no-untyped-def]
        assert client.post(SECTIONS, json=body, headers=auth_headers("editor")).status_code == 422

    @pytest.mark.parametrize("body", [{"slug": "new"}, {"id": 2}, {"name": None}, {"x": 1}])
    def test_refused_update_bodies(self, client, auth_headers, make_section, body) -> None:  # type: ignore[no-untyped-def]
        make_section("news")
        r = client.patch(f"{SECTIONS}/news", json=body, headers=auth_headers("editor"))
        assert r.status_code == 422

    def test_rename_changes_article_cards(self, client, auth_headers, make_section,  # type: ignore[no-untyped-def]
                                          make_article, session) -> None:
        make_section("news", "News")
        article = make_article(section="news")
        card = client.get("/v1/articles").json()["data"][0]
        assert card["section"] == {"slug": "news", "name": "News"}
        seq = _seq(session, article.id)
        r = client.patch(f"{SECTIONS}/news", json={"name": "Latest News"},
                         headers=auth_headers("editor"))
        assert r.status_code == 200
        assert r.json()["article_count"] == 1
        card = client.get("/v1/articles").json()["data"][0]
        assert card["section"] == {"slug": "news", "name": "Latest News"}
        assert _seq(session, article.id) > seq

    @pytest.mark.parametrize("status", ["published", "draft", "deleted"])
    def test_delete_refused_while_used(self, client, auth_headers, make_section, make_article,  # type: ignore[no-untyped-def]
                                       status) -> None:
        make_section("news")
        make_article(status=status, section="news")
        r = client.delete(f"{SECTIONS}/news", headers=auth_headers("admin"))
        assert r.status_code == 409
        assert r.headers["content-type"] == "application/problem+json"

    def test_list_counts_every_use_and_pages(self, client, auth_headers, make_section,  # type: ignore[no-untyped-def]
                                             make_article) -> None:
        for slug in ("c", "a", "b"):
            make_section(slug)
        make_article(status="draft", section="b")
        headers = auth_headers("writer")
        page = client.get(f"{SECTIONS}?limit=2", headers=headers).json()
        assert [(s["slug"], s["article_count"]) for s in page["data"]] == [("a", 0), ("b", 1)]
        rest = client.get(page["links"]["next"], headers=headers).json()
        assert [s["slug"] for s in rest["data"]] == ["c"]
        assert rest["meta"]["next_cursor"] is None

    def test_unknown_slug_is_404(self, client, auth_headers) -> None:  # type: ignore[no-untyped-def]
        headers = auth_headers("admin")
        assert client.get(f"{SECTIONS}/nope", headers=headers).status_code == 404
        assert client.delete(f"{SECTIONS}/nope", headers=headers).status_code == 404


class TestTags:
    def test_create_and_409(self, client, auth_headers) -> None:  # type: ignore[no-untyped-def]
        headers = auth_headers("editor")
        r = client.post(TAGS, json={"name": "North Korea"}, headers=headers)
        assert r.status_code == 201
        assert r.json() == {"id": r.json()["id"], "slug": "north-korea", "name": "North Korea",
                            "article_count": 0, "names": {}}
        assert client.post(TAGS, json={"name": "north korea"}, headers=headers).status_code == 409
        assert client.post(TAGS, json={"name": "NK", "slug": "north-korea"},
                           headers=headers).status_code == 409

    @pytest.mark.parametrize("body", [{"name": "X", "id": 1}, {"name": "X", "article_count": 3},
                                      {"name": "X", "nope": 1}])
    def test_refused_create_bodies(self, client, auth_headers, body) -> None:  # type: ignore[no-untyped-def]
        assert client.post(TAGS, json=body, headers=auth_headers("editor")).status_code == 422

    @pytest.mark.usefixtures("world_and_trade")
    def test_refused_update_bodies(self, client, auth_headers) -> None:  # type: ignore[no-untyped-def]
        headers = auth_headers("editor")
        for body in ({"slug": "x"}, {"name": None}, {"id": 1}):
            assert client.patch(f"{TAGS}/trade", json=body, headers=headers).status_code == 422

    def test_rename_changes_articles(self, client, auth_headers, make_article, session) -> None:  # type: ignore[no-untyped-def]
        article = make_article(tags=["Trade"])
        seq = _seq(session, article.id)
        r = client.patch(f"{TAGS}/trade", json={"name": "Trade policy"},
                         headers=auth_headers("editor"))
        assert r.status_code == 200
        card = client.get("/v1/articles").json()["data"][0]
        assert card["tags"] == [{"slug": "trade", "name": "Trade policy"}]
        assert _seq(session, article.id) > seq

    def test_delete_removes_links_and_announces_articles(self, client, auth_headers,  # type: ignore[no-untyped-def]
                                                         make_article, session) -> None:
        article = make_article(tags=["Trade", "Asia"])
        draft = make_article(tags=["Trade"], status="draft")
        seq = _seq(session, article.id)
        r = client.delete(f"{TAGS}/trade", headers=auth_headers("admin"))
        assert r.status_code == 204
        detail = client.get(f"/v1/articles/{article.slug}").json()
        assert [t["slug"] for t in detail["tags"]] == ["asia"]
        assert _seq(session, article.id) > seq
        # A draft's change is none for the public or partners: it is never in the log.
        assert session.exec(select(ArticleChange.seq).where(
            ArticleChange.article_id == draft.id)).first() is None
        headers = auth_headers("editor")
        assert client.get(f"{TAGS}/trade", headers=headers).status_code == 404
        assert [t["slug"] for t in client.get(TAGS, headers=headers).json()["data"]] == ["asia"]
        assert client.get("/v1/tags").json()["data"][0]["slug"] == "asia"
