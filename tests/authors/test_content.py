"""Content API contract: /v1/authors lists only authors with published articles."""

from __future__ import annotations


def test_only_authors_with_public_articles_and_their_counts(client, make_author,  # type: ignore[no-untyped-def]
                                                            make_article) -> None:
    both = make_author("Asha Both")
    drafty = make_author("Bikash Drafts")
    make_author("Chandra Nothing")
    make_article(authors=[both.slug])
    make_article(authors=[both.slug, drafty.slug])
    make_article(authors=[both.slug], status="draft")
    make_article(authors=[drafty.slug], status="scheduled")
    make_article(authors=[drafty.slug], status="deleted")
    r = client.get("/v1/authors")
    assert r.status_code == 200
    assert [(a["name"], a["article_count"]) for a in r.json()["data"]] == [
        ("Asha Both", 2), ("Bikash Drafts", 1)]
    assert client.get(f"/v1/authors/{drafty.slug}").json()["article_count"] == 1
    assert client.get("/v1/authors/chandra-nothing").status_code == 404


def test_cursor_walk(client, make_author, make_article) -> None:  # type: ignore[no-untyped-def]
    for name in ("Dev", "Anu", "Chet", "Binu"):
        make_article(authors=[make_author(name).slug])
    seen, url = [], "/v1/authors?limit=3"
    while url:
        page = client.get(url).json()
        seen += [a["name"] for a in page["data"]]
        url = page["links"]["next"]
    assert seen == ["Anu", "Binu", "Chet", "Dev"]
