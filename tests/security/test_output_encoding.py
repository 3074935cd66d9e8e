"""Output encoding (issue 19, items 4 and 5): URLs are URLs on every field that takes one, a
control character stored by any path never breaks a feed or a sitemap, JSON-LD is safe to paste
into a `<script>`, and image captions and credits are plain text."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from lxml import etree
from sqlalchemy import update
from sqlmodel import Session

from app.articles.models import Article
from app.authors.models import Author
from app.taxonomy.models import Section, Tag
from tests.articles.newsroom import Newsroom

ARTICLES = "/v1/editorial/articles"
CONTROL = "\x01\x08\x0b\x1b\x7f\x85\x9f"
BAD_URLS = [
    *(f"https://example.com/a{c}b" for c in CONTROL),
    "https://example.com/\x00", "javascript:alert(1)", "data:text/html,<b>x</b>",
    "file:///etc/passwd", "https://", "http://:80/", "https://example.com:99999/",
    "https://example.com:port/", "https://exa mple.com/", "https://example.com\\@evil.com/",
    "//evil.com/a", "https://e.com/\"onmouseover=alert(1)",
]
# Every field a client can put a URL in, as the JSON that carries it.
URL_FIELDS: list[tuple[str, str, Any]] = [
    ("article.canonical_url", "article", lambda u: {"canonical_url": u}),
    ("article.source.url", "article", lambda u: {"source": {"name": "S", "url": u}}),
    ("article.image.url", "article", lambda u: {"image": {"url": u}}),
    ("article.body.image", "article", lambda u: {"body": [{"type": "image", "url": u}]}),
    ("author.avatar_url", "author", lambda u: {"avatar_url": u}),
    ("author.links", "author", lambda u: {"links": {"site": u}}),
]


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize(("name", "kind", "body"), URL_FIELDS, ids=[f[0] for f in URL_FIELDS])
def test_every_url_field_refuses_what_is_not_an_allowed_url(client, newsroom: Newsroom,
                                                            name, kind, body, url):
    if name == "article.body.image":
        # An image block without a valid URL is skipped (as in body_html), never stored.
        r = client.post(ARTICLES, json={"title": "T", **body(url)},
                        headers=newsroom.headers["editor"])
        assert r.status_code in (201, 422), r.text
        if r.status_code == 201:
            assert url not in r.text
        return
    if kind == "article":
        r = client.post(ARTICLES, json={"title": "T", **body(url)},
                        headers=newsroom.headers["editor"])
    else:
        r = client.post("/v1/editorial/authors", json={"name": "A", **body(url)},
                        headers=newsroom.headers["admin"])
    assert r.status_code == 422, (name, url, r.text)
    assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("body", [f[2] for f in URL_FIELDS[:3]], ids=[f[0] for f in URL_FIELDS[:3]])
def test_a_patch_refuses_a_control_character_in_a_url(client, newsroom: Newsroom, body):
    article = newsroom.article("Patched", by=newsroom.editor)
    r = client.get(f"{ARTICLES}/{article.id}", headers=newsroom.headers["editor"])
    r = client.patch(f"{ARTICLES}/{article.id}", json=body("https://example.com/\x1b[31m"),
                     headers={**newsroom.headers["editor"], "If-Match": r.headers["ETag"]})
    assert r.status_code == 422, r.text


XML_SURFACES = ["/v1/feeds/latest.rss", "/v1/feeds/latest.atom", "/v1/feeds/sections/news.rss",
                "/v1/feeds/sections/news.atom", "/v1/sitemaps/news.xml"]
PARTNER_XML = ["/v1/syndication/feed.atom"]


def test_control_characters_stored_by_any_path_never_break_xml(
        client, session: Session, make_article, make_section, make_partner, is_postgres):
    """Rows written before validation existed, or by a path that skips it (a migration, a
    script, an import), hold controls in every text column; every XML surface still answers
    200 with well-formed XML that a real parser reads."""
    make_section("news", "News")
    article = make_article("Clean", section="news", tags=["clean"],
                           image={"url": "https://img.example.com/a.jpg", "caption": "c"})
    # PostgreSQL text cannot hold NUL at all; SQLite stores it.
    dirty = f"D{CONTROL}\ufffe{'' if is_postgres else chr(0)}x"
    session.execute(update(Article).where(Article.id == article.id).values(
        title=dirty, excerpt=dirty, canonical_url=f"https://example.com/{dirty}",
        source_name=dirty, copyright_holder=None, body_html=f"<p>{dirty}</p>",
        body_text=dirty, image={"url": f"https://img.example.com/{dirty}.jpg", "caption": dirty}))
    session.execute(update(Author).values(name=dirty, title=dirty))
    session.execute(update(Tag).values(name=dirty))
    session.execute(update(Section).values(name=dirty))
    session.commit()
    _, partner = make_partner()
    for path in [*XML_SURFACES, *PARTNER_XML]:
        r = client.get(path, headers=partner if path in PARTNER_XML else {})
        assert r.status_code == 200, (path, r.text[:300])
        root = etree.fromstring(r.content, etree.XMLParser(recover=False))
        assert len(root) > 0, path
        assert article.id in r.text or "example.com" in r.text, path


SCRIPT_BREAKERS = "</script><script>alert(1)</script><!-- & -->"


def test_json_ld_is_safe_to_paste_into_a_script(client, make_article, make_section, make_author):
    make_section("news", "News")
    author = make_author("Writer", title=f"Columnist {SCRIPT_BREAKERS}")
    article = make_article(f"Title {SCRIPT_BREAKERS}", excerpt=f"Excerpt {SCRIPT_BREAKERS}",
                           section="news", tags=[f"tag {SCRIPT_BREAKERS}"],
                           authors=[author.slug],
                           source={"name": f"Source {SCRIPT_BREAKERS}"})
    r = client.get(f"/v1/articles/{article.slug}")
    assert r.status_code == 200
    text = r.content.decode()
    start = text.index('"structured_data":') + len('"structured_data":')
    end = json.JSONDecoder().raw_decode(text, start)[1]  # the member's value, as sent
    ld = text[start:end].encode()
    assert b"<" not in ld
    assert b">" not in ld
    assert b"&" not in ld
    # The same data to a JSON parser...
    assert orjson.loads(ld) == r.json()["structured_data"]
    assert SCRIPT_BREAKERS in r.json()["structured_data"]["headline"]
    # ...and pasted into a page, one script element whose text is that JSON.
    page = b'<html><head><script type="application/ld+json">' + ld + b"</script></head></html>"
    scripts = etree.HTML(page).findall(".//script")
    assert len(scripts) == 1
    assert orjson.loads(scripts[0].text) == r.json()["structured_data"]


@pytest.mark.parametrize("field", ["caption", "credit"])
def test_image_caption_and_credit_are_plain_text(client, newsroom: Newsroom, field):
    r = client.post(ARTICLES, headers=newsroom.headers["editor"], json={
        "title": "T", "image": {"url": "https://img.example.com/a.jpg",
                                field: "Photo <img src=x onerror=alert(1)> by <b>Ram</b>"}})
    assert r.status_code == 201, r.text
    assert " ".join(r.json()["image"][field].split()) == "Photo by Ram"
    r2 = client.get(f"{ARTICLES}/{r.json()['id']}", headers=newsroom.headers["editor"])
    r2 = client.patch(f"{ARTICLES}/{r.json()['id']}",
                      json={"image": {field: "<script>x</script>y"}},
                      headers={**newsroom.headers["editor"], "If-Match": r2.headers["ETag"]})
    assert r2.status_code == 200, r2.text
    assert r2.json()["image"][field] == "y"
