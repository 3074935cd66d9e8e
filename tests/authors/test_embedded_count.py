"""An author embedded in an article says what the author's own page says: one count of
published articles everywhere (details, the Editorial API, the Syndication API)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from app.articles.models import Article
from tests.syndication.conftest import make_partner  # noqa: F401  (fixture)


def test_one_number_everywhere(client: TestClient, make_author: Callable[..., Any],
                               make_article: Callable[..., Article],
                               auth_headers: Callable[..., dict[str, str]],
                               make_partner: Any) -> None:  # noqa: F811
    ram = make_author("Ram Sharma")
    sita = make_author("Sita Rai")
    shared = make_article("Together", authors=[ram.slug, sita.slug])
    for i in range(3):
        make_article(f"Ram {i}", authors=[ram.slug])
    make_article("Ram draft", authors=[ram.slug], status="draft")
    make_article("Ram deleted", authors=[ram.slug], status="deleted")
    make_article("Ram later", authors=[ram.slug], status="scheduled")

    own = {a: client.get(f"/v1/authors/{a}").json()["article_count"] for a in (ram.slug,
                                                                              sita.slug)}
    assert own == {ram.slug: 4, sita.slug: 1}
    detail = client.get(f"/v1/articles/{shared.slug}").json()
    assert {a["slug"]: a["article_count"] for a in detail["authors"]} == own
    editorial = client.get(f"/v1/editorial/articles/{shared.id}",
                           headers=auth_headers("editor")).json()
    assert {a["slug"]: a["article_count"] for a in editorial["authors"]} == own
    _, partner = make_partner()
    syndicated = client.get(f"/v1/syndication/articles/{shared.id}", headers=partner).json()
    assert {a["slug"]: a["article_count"] for a in syndicated["authors"]} == own
