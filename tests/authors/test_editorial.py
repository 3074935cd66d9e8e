"""Editorial API: /v1/editorial/authors."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.changelog.models import ArticleChange

ROLES = (None, "writer", "editor", "admin")
URL = "/v1/editorial/authors"

MATRIX = [
    ("GET", URL, None, (401, 200, 200, 200)),
    ("POST", URL, {"name": "New Person"}, (401, 403, 201, 201)),
    ("GET", URL + "/{id}", None, (401, 200, 200, 200)),
    ("PATCH", URL + "/{id}", {"bio": "Reports on trade."}, (401, 403, 200, 200)),
    ("DELETE", URL + "/{id}", None, (401, 403, 403, 204)),
]


def _headers(auth_headers, role):  # type: ignore[no-untyped-def]
    return auth_headers(role) if role else {}


@pytest.mark.parametrize(
    ("method", "path", "body", "role", "expected"),
    [(m, p, b, role, want) for m, p, b, wants in MATRIX
     for role, want in zip(ROLES, wants, strict=True)],
    ids=lambda v: v if isinstance(v, str) else None)
def test_role_matrix(client, auth_headers, make_author, method, path, body, role,  # type: ignore[no-untyped-def]
                     expected) -> None:
    author = make_author("Existing Person")
    r = client.request(method, path.format(id=author.id), json=body,
                       headers=_headers(auth_headers, role))
    assert r.status_code == expected, r.text
    assert "no-store" in r.headers["cache-control"]
    if expected < 300:
        assert r.headers["cache-control"] == "private, no-store"


class TestListAuthors:
    def test_includes_authors_without_published_articles(self, client, auth_headers,  # type: ignore[no-untyped-def]
                                                         make_author, make_article) -> None:
        unpublished = make_author("Zed Unpublished")
        make_article(status="draft", authors=[unpublished.slug])
        make_author("Amy Nobody")
        r = client.get(URL, headers=auth_headers("writer"))
        by_name = {a["name"]: a for a in r.json()["data"]}
        assert {"Amy Nobody", "Zed Unpublished"} <= by_name.keys()
        assert by_name["Zed Unpublished"]["article_count"] == 1
        assert by_name["Amy Nobody"]["article_count"] == 0
        assert {"user_id", "created_at", "updated_at"} <= by_name["Amy Nobody"].keys()
        # the Content API lists neither
        assert client.get("/v1/authors").json()["data"] == []

    def test_keyset_walk_in_name_order(self, client, auth_headers, make_author) -> None:  # type: ignore[no-untyped-def]
        for name in ("Carla", "Anil", "Bina", "Dipak"):
            make_author(name)
        headers = auth_headers("editor")
        assert client.post(URL, json={"name": "Bina"}, headers=headers).status_code == 201
        seen, url = [], f"{URL}?limit=2"
        while url:
            r = client.get(url, headers=headers)
            assert r.status_code == 200, r.text
            seen += [(a["name"], a["id"]) for a in r.json()["data"]]
            url = r.json()["links"]["next"]
            if url:
                assert r.headers["link"] == f'<{url}>; rel="next"'
        assert [n for n, _ in seen] == ["Anil", "Bina", "Bina", "Carla", "Dipak"]
        assert len({i for _, i in seen}) == 5

    def test_bad_cursor_and_limit(self, client, auth_headers) -> None:  # type: ignore[no-untyped-def]
        headers = auth_headers("editor")
        assert client.get(f"{URL}?cursor=nope", headers=headers).status_code == 400
        assert client.get(f"{URL}?limit=1000", headers=headers).status_code == 422


class TestCreateAuthor:
    def test_creates_with_slug_from_name_and_location(self, client, auth_headers) -> None:  # type: ignore[no-untyped-def]
        r = client.post(URL, json={"name": "Bennett Ramberg", "title": "policy analyst",
                                   "links": {"website": "https://example.com"}},
                        headers=auth_headers("editor"))
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["slug"] == "bennett-ramberg"
        assert body["links"] == {"website": "https://example.com"}
        assert body["article_count"] == 0
        assert r.headers["location"].endswith(f"{URL}/{body['id']}")
        assert client.get(r.headers["location"], headers=auth_headers("writer")).json() == body

    @pytest.mark.parametrize("field", ["id", "article_count", "created_at", "updated_at", "color"])
    def test_server_owned_or_unknown_fields_are_422(self, client, auth_headers, field) -> None:  # type: ignore[no-untyped-def]
        r = client.post(URL, json={"name": "X", field: 1}, headers=auth_headers("editor"))
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        assert any(field in e["loc"] for e in r.json()["errors"])

    def test_taken_slug_is_409(self, client, auth_headers, make_author) -> None:  # type: ignore[no-untyped-def]
        make_author("Bennett Ramberg")
        r = client.post(URL, json={"name": "Someone", "slug": "bennett-ramberg"},
                        headers=auth_headers("editor"))
        assert r.status_code == 409
        # without a slug, a same-named author gets a free one
        r = client.post(URL, json={"name": "Bennett Ramberg"}, headers=auth_headers("editor"))
        assert r.status_code == 201
        assert r.json()["slug"] == "bennett-ramberg-2"

    def test_user_link_checked(self, client, auth_headers, make_user) -> None:  # type: ignore[no-untyped-def]
        headers = auth_headers("editor")
        writer = make_user("writer")
        r = client.post(URL, json={"name": "A", "user_id": 999999}, headers=headers)
        assert r.status_code == 422
        assert client.post(URL, json={"name": "A", "user_id": writer.id},
                           headers=headers).status_code == 201
        assert client.post(URL, json={"name": "B", "user_id": writer.id},
                           headers=headers).status_code == 409


class TestUpdateAuthor:
    def test_writer_edits_only_own_profile(self, client, auth_headers, make_user,  # type: ignore[no-untyped-def]
                                           make_author) -> None:
        writer = make_user("writer")
        own = make_author("Own Profile", user_id=writer.id)
        other = make_author("Other Profile")
        headers = auth_headers(user=writer)
        r = client.patch(f"{URL}/{own.id}", json={"bio": "Mine"}, headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["bio"] == "Mine"
        assert client.patch(f"{URL}/{other.id}", json={"bio": "x"},
                            headers=headers).status_code == 403
        # and may not hand the profile to someone else
        assert client.patch(f"{URL}/{own.id}", json={"user_id": None},
                            headers=headers).status_code == 403

    @pytest.mark.parametrize("body", [{"slug": "new"}, {"id": 5}, {"article_count": 3},
                                      {"updated_at": "2024-01-01T00:00:00Z"}, {"nope": True},
                                      {"name": None}])
    def test_refused_bodies(self, client, auth_headers, make_author, body) -> None:  # type: ignore[no-untyped-def]
        author = make_author()
        r = client.patch(f"{URL}/{author.id}", json=body, headers=auth_headers("editor"))
        assert r.status_code == 422

    def test_rename_changes_article_cards_and_announces_them(self, client, auth_headers,  # type: ignore[no-untyped-def]
                                                             make_author, make_article,
                                                             session) -> None:
        author = make_author("Old Name")
        article = make_article(authors=[author.slug])
        assert client.get("/v1/articles").json()["data"][0]["authors"][0]["name"] == "Old Name"
        seq = session.exec(select(ArticleChange.seq).where(
            ArticleChange.article_id == article.id)).one()
        r = client.patch(f"{URL}/{author.id}", json={"name": "New Name"},
                         headers=auth_headers("editor"))
        assert r.status_code == 200
        assert r.json()["slug"] == author.slug  # the slug (and links to it) stay
        assert client.get("/v1/articles").json()["data"][0]["authors"][0]["name"] == "New Name"
        session.expire_all()
        assert session.exec(select(ArticleChange.seq).where(
            ArticleChange.article_id == article.id)).one() > seq

    def test_unknown_and_bad_ids(self, client, auth_headers) -> None:  # type: ignore[no-untyped-def]
        headers = auth_headers("editor")
        assert client.patch(f"{URL}/424242", json={}, headers=headers).status_code == 404
        assert client.get(f"{URL}/abc", headers=headers).status_code == 422
        assert client.get(f"{URL}/{10**12}", headers=headers).status_code == 422


class TestDeleteAuthor:
    @pytest.mark.parametrize("status", ["published", "draft", "deleted"])
    def test_refused_while_the_author_has_articles(self, client, auth_headers, make_author,  # type: ignore[no-untyped-def]
                                                   make_article, status) -> None:
        author = make_author()
        make_article(status=status, authors=[author.slug])
        r = client.delete(f"{URL}/{author.id}", headers=auth_headers("admin"))
        assert r.status_code == 409
        assert r.json()["status"] == 409

    def test_deletes_an_unused_author(self, client, auth_headers, make_author) -> None:  # type: ignore[no-untyped-def]
        author = make_author()
        headers = auth_headers("admin")
        r = client.delete(f"{URL}/{author.id}", headers=headers)
        assert r.status_code == 204
        assert r.content == b""
        assert client.get(f"{URL}/{author.id}", headers=headers).status_code == 404
