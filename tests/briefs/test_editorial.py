"""Editorial API: /v1/editorial/briefs, including a day's order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.articles import service as articles_service

ROLES = (None, "writer", "editor", "admin")
URL = "/v1/editorial/briefs"
DAY = "2024-11-27"

MATRIX = [
    ("GET", URL, None, (401, 200, 200, 200)),
    ("POST", URL, {"headline": "New", "date": DAY}, (401, 403, 201, 201)),
    ("GET", URL + "/{id}", None, (401, 200, 200, 200)),
    ("PATCH", URL + "/{id}", {"summary": "More."}, (401, 403, 200, 200)),
    ("DELETE", URL + "/{id}", None, (401, 403, 204, 204)),
    ("PUT", URL + f"/order?date={DAY}", "ids", (401, 403, 200, 200)),
]


def _headers(auth_headers, role):  # type: ignore[no-untyped-def]
    return auth_headers(role) if role else {}


def _create(client, headers, headline, day=DAY, **fields):  # type: ignore[no-untyped-def]
    r = client.post(URL, json={"headline": headline, "date": day, **fields}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


@pytest.mark.parametrize(
    ("method", "path", "body", "role", "expected"),
    [(m, p, b, role, want) for m, p, b, wants in MATRIX
     for role, want in zip(ROLES, wants, strict=True)],
    ids=lambda v: v if isinstance(v, str) else None)
def test_role_matrix(client, auth_headers, method, path, body, role, expected) -> None:  # type: ignore[no-untyped-def]
    brief = _create(client, auth_headers("editor"), "Existing", dateline="KATHMANDU")
    if body == "ids":
        body = {"ids": [brief["id"]]}
    r = client.request(method, path.format(id=brief["id"]), json=body,
                       headers=_headers(auth_headers, role))
    assert r.status_code == expected, r.text
    assert "no-store" in r.headers["cache-control"]
    if expected < 300:
        assert r.headers["cache-control"] == "private, no-store"


class TestCreateBrief:
    def test_position_omitted_goes_last_of_its_day(self, client, auth_headers) -> None:  # type: ignore[no-untyped-def]
        headers = auth_headers("editor")
        first = _create(client, headers, "One")
        other_day = _create(client, headers, "Elsewhere", day="2024-11-26")
        second = _create(client, headers, "Two")
        assert (first["position"], second["position"], other_day["position"]) == (0, 1, 0)
        assert second["article"] is None
        assert second["deleted_at"] is None
        assert {"article_id", "created_at", "updated_at", "published_at"} <= second.keys()

    @pytest.mark.parametrize("field", ["id", "published_at", "deleted_at", "created_at",
                                       "updated_at", "article", "colour"])
    def test_server_owned_or_unknown_fields_are_422(self, client, auth_headers, field) -> None:  # type: ignore[no-untyped-def]
        r = client.post(URL, json={"headline": "H", "date": DAY, field: None},
                        headers=auth_headers("editor"))
        assert r.status_code == 422
        assert any(field in e["loc"] for e in r.json()["errors"])

    @pytest.mark.parametrize("body", [{"headline": "H"}, {"headline": "H", "date": "27-11-2024"},
                                      {"headline": "", "date": DAY},
                                      {"headline": "H", "date": DAY, "article_id": "nope"},
                                      {"headline": "H", "date": DAY, "position": -1}])
    def test_invalid_bodies_are_422(self, client, auth_headers, body) -> None:  # type: ignore[no-untyped-def]
        assert client.post(URL, json=body, headers=auth_headers("editor")).status_code == 422


class TestListBriefs:
    def test_includes_unpublished_newest_day_first(self, client, auth_headers) -> None:  # type: ignore[no-untyped-def]
        headers = auth_headers("editor")
        _create(client, headers, "Old", day="2024-11-25")
        hidden = _create(client, headers, "Hidden", published=False)
        _create(client, headers, "Shown")
        r = client.get(URL, headers=auth_headers("writer"))
        assert [b["headline"] for b in r.json()["data"]] == ["Hidden", "Shown", "Old"]
        assert hidden["published_at"] is None
        day = client.get(f"{URL}?date={DAY}", headers=headers).json()["data"]
        assert [b["headline"] for b in day] == ["Hidden", "Shown"]
        public = client.get(f"/v1/briefs?date={DAY}").json()["data"]
        assert [b["headline"] for b in public] == ["Shown"]

    def test_cursor_walk(self, client, auth_headers) -> None:  # type: ignore[no-untyped-def]
        headers = auth_headers("editor")
        for i in range(5):
            _create(client, headers, f"B{i}", day=f"2024-11-2{i % 2}")
        seen, url = [], f"{URL}?limit=2"
        while url:
            page = client.get(url, headers=headers).json()
            seen += [b["headline"] for b in page["data"]]
            url = page["links"]["next"]
        assert seen == ["B1", "B3", "B0", "B2", "B4"]

    def test_bad_date_and_cursor(self, client, auth_headers) -> None:  # type: ignore[no-untyped-def]
        headers = auth_headers("editor")
        assert client.get(f"{URL}?date=2024-13-01", headers=headers).status_code == 422
        assert client.get(f"{URL}?cursor=abc", headers=headers).status_code == 400


class TestReorderBriefs:
    def test_reorder_shows_in_both_apis(self, client, auth_headers) -> None:  # type: ignore[no-untyped-def]
        headers = auth_headers("editor")
        a, b, c = (_create(client, headers, h)["id"] for h in ("A", "B", "C"))
        r = client.put(f"{URL}/order?date={DAY}", json={"ids": [c, a, b]}, headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["date"] == DAY
        assert [(x["id"], x["position"]) for x in r.json()["data"]] == [(c, 0), (a, 1), (b, 2)]
        listed = client.get(f"{URL}?date={DAY}", headers=headers).json()["data"]
        assert [x["headline"] for x in listed] == ["C", "A", "B"]
        public = client.get(f"/v1/briefs?date={DAY}").json()["data"]
        assert [x["headline"] for x in public] == ["C", "A", "B"]

    def test_incomplete_foreign_or_repeated_ids_are_422_and_change_nothing(  # type: ignore[no-untyped-def]
            self, client, auth_headers) -> None:
        headers = auth_headers("editor")
        a, b = (_create(client, headers, h)["id"] for h in ("A", "B"))
        elsewhere = _create(client, headers, "X", day="2024-11-26")["id"]
        gone = _create(client, headers, "Gone")["id"]
        assert client.delete(f"{URL}/{gone}", headers=headers).status_code == 204
        for ids in ([b], [b, a, elsewhere], [b, a, a], [b, a, gone], [b, a, 999999], []):
            r = client.put(f"{URL}/order?date={DAY}", json={"ids": ids}, headers=headers)
            assert r.status_code == 422, ids
            assert r.json()["errors"]
        listed = client.get(f"{URL}?date={DAY}", headers=headers).json()["data"]
        assert [x["headline"] for x in listed] == ["A", "B"]

    def test_bad_requests(self, client, auth_headers) -> None:  # type: ignore[no-untyped-def]
        headers = auth_headers("editor")
        assert client.put(f"{URL}/order", json={"ids": []}, headers=headers).status_code == 422
        assert client.put(f"{URL}/order?date={DAY}", json={"ids": [], "extra": 1},
                          headers=headers).status_code == 422
        assert client.put(f"{URL}/order?date={DAY}", json={"ids": ["x"]},
                          headers=headers).status_code == 422


class TestUpdateAndDeleteBrief:
    @pytest.mark.parametrize("body", [{"id": 3}, {"deleted_at": None}, {"created_at": None},
                                      {"headline": None}, {"date": None}, {"x": 1}])
    def test_refused_bodies(self, client, auth_headers, body) -> None:  # type: ignore[no-untyped-def]
        headers = auth_headers("editor")
        brief = _create(client, headers, "A")
        assert client.patch(f"{URL}/{brief['id']}", json=body, headers=headers).status_code == 422

    def test_moving_to_another_day_goes_last_there(self, client, auth_headers) -> None:  # type: ignore[no-untyped-def]
        headers = auth_headers("editor")
        _create(client, headers, "There", day="2024-11-26")
        brief = _create(client, headers, "Mover")
        r = client.patch(f"{URL}/{brief['id']}", json={"date": "2024-11-26"}, headers=headers)
        assert (r.json()["date"], r.json()["position"]) == ("2024-11-26", 1)

    def test_unpublish_and_republish(self, client, auth_headers) -> None:  # type: ignore[no-untyped-def]
        headers = auth_headers("editor")
        brief = _create(client, headers, "A")
        r = client.patch(f"{URL}/{brief['id']}", json={"published": False}, headers=headers)
        assert r.json()["published_at"] is None
        assert client.get(f"/v1/briefs?date={DAY}").json()["data"] == []

    def test_soft_delete(self, client, auth_headers) -> None:  # type: ignore[no-untyped-def]
        headers = auth_headers("editor")
        brief = _create(client, headers, "A")
        assert client.delete(f"{URL}/{brief['id']}", headers=headers).status_code == 204
        assert client.get(f"/v1/briefs?date={DAY}").json()["data"] == []
        assert client.get(URL, headers=headers).json()["data"] == []
        deleted = client.get(f"{URL}?include_deleted=true", headers=headers).json()["data"]
        assert [b["id"] for b in deleted] == [brief["id"]]
        r = client.get(f"{URL}/{brief['id']}", headers=headers)
        assert r.status_code == 200
        assert r.json()["deleted_at"] is not None
        assert client.delete(f"{URL}/{brief['id']}", headers=headers).status_code == 409
        assert client.patch(f"{URL}/{brief['id']}", json={"headline": "B"},
                            headers=headers).status_code == 409

    def test_unknown_and_bad_ids(self, client, auth_headers) -> None:  # type: ignore[no-untyped-def]
        headers = auth_headers("editor")
        assert client.get(f"{URL}/777", headers=headers).status_code == 404
        assert client.delete(f"{URL}/777", headers=headers).status_code == 404
        assert client.get(f"{URL}/{10**12}", headers=headers).status_code == 422


class TestBriefArticleLink:
    def test_draft_article_is_not_leaked_until_published(self, client, auth_headers, session,  # type: ignore[no-untyped-def]
                                                         make_article) -> None:
        article = make_article("Full story", status="draft")
        headers = auth_headers("editor")
        brief = _create(client, headers, "Teaser", article_id=article.id)
        assert brief["article"] == {"id": article.id, "slug": article.slug, "title": "Full story",
                                    "image": None}
        public = client.get(f"/v1/briefs?date={DAY}").json()["data"]
        assert public[0]["headline"] == "Teaser"
        assert public[0]["article"] is None
        articles_service.publish_article(session, article, publish_at=None,
                                         expected_revision=article.revision, by=None,
                                         now=datetime.now(UTC) - timedelta(seconds=1))
        public = client.get(f"/v1/briefs?date={DAY}").json()["data"]
        assert public[0]["article"] == {"id": article.id, "slug": article.slug,
                                        "title": "Full story", "image": None}
