"""Article bodies (blocks, HTML, text) and revision snapshots are stored deflated on SQLite and
as they are on PostgreSQL (which compresses them itself), by every writer; every reader gets them
back whole, and search indexes and un-indexes what they say (app/core/db.py, `PackedText`)."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from app.demo.generate import load_demo
from app.importer.wordpress import Options, import_wordpress

URL = "/v1/editorial/articles"
FIXTURE = Path(__file__).parents[1] / "fixtures" / "wordpress" / "themeunittestdata.wordpress.xml"
NEPALI = " ".join(["काठमाडौँ उपत्यकामा बिहानैदेखि झरी परिरह्यो।"] * 40)
BODY = [{"type": "heading", "level": 2, "text": "Monsoon"},
        {"type": "paragraph", "text": " ".join(["The monsoon reached Kathmandu on Tuesday."] * 40)},
        {"type": "paragraph", "text": NEPALI}]


def _stored(engine: Engine, article_id: str) -> tuple[object, object, object]:
    with engine.connect() as conn:
        return conn.exec_driver_sql(
            "SELECT body, body_html, body_text FROM article WHERE id = ?"
            if engine.dialect.name == "sqlite" else
            "SELECT body::text, body_html, body_text FROM article WHERE id = %s",
            (article_id,)).one()


def _searched(client: TestClient, q: str) -> list[str]:
    response = client.get("/v1/search", params={"q": q})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


def test_a_body_is_stored_deflated_on_sqlite_and_every_reader_gets_it_whole(
        client: TestClient, engine: Engine, auth_headers: Callable[..., dict[str, str]],
        make_author: Callable[..., object]) -> None:
    editor = auth_headers("editor")
    author = make_author().slug  # type: ignore[attr-defined]
    created = client.post(URL, headers=editor, json={
        "title": "Rain", "body": BODY, "authors": [author], "language": "en"})
    assert created.status_code == 201, created.text
    article = created.json()
    published = client.post(f"{URL}/{article['id']}/publish",
                            headers={**editor, "If-Match": created.headers["etag"]})
    assert published.status_code == 200, published.text

    detail = client.get(f"/v1/articles/{article['slug']}",
                        params={"formats": "blocks,html,text"}).json()
    assert [{k: v for k, v in b.items() if v is not None} for b in detail["body"]] == BODY
    blocks, html, plain = _stored(engine, article["id"])
    if engine.dialect.name == "sqlite":
        assert all(isinstance(v, bytes) for v in (blocks, html, plain))
        assert orjson.loads(zlib.decompress(blocks)) == detail["body"]
        assert zlib.decompress(html).decode() == detail["body_html"]
        assert zlib.decompress(plain).decode() == detail["body_text"]
        # Deflated: the three stored forms together are smaller than the HTML alone.
        assert sum(map(len, (blocks, html, plain))) < len(detail["body_html"].encode())
    else:  # PostgreSQL keeps them readable by any SQL client, and compresses them itself
        assert (orjson.loads(blocks), html, plain) == (detail["body"], detail["body_html"],
                                                        detail["body_text"])
    assert "Tuesday" in detail["body_text"]
    assert "झरी" in detail["body_html"]

    # The editorial read, the feeds and search read the same words.
    editorial = client.get(f"{URL}/{article['id']}", headers=editor).json()
    assert editorial["body_html"] == detail["body_html"]
    feed = client.get("/v1/feeds/latest.rss", params={"full_text": "true"})
    assert feed.status_code == 200
    assert "Kathmandu" in feed.text
    assert _searched(client, "उपत्यका") == [article["id"]]
    assert _searched(client, "monsoon") == [article["id"]]

    # A new body: search forgets the old words (the trigger takes out the stems of the packed
    # old row) and finds the new ones.
    etag = client.get(f"{URL}/{article['id']}", headers=editor).headers["etag"]
    patched = client.patch(f"{URL}/{article['id']}", headers={**editor, "If-Match": etag},
                           json={"body_text": "Drought in Terai.\n\nफाँटमा खडेरी।"})
    assert patched.status_code == 200, patched.text
    assert _searched(client, "उपत्यका") == []
    assert _searched(client, "drought") == [article["id"]]
    assert _searched(client, "खडेरी") == [article["id"]]
    # The revision keeps the body it replaced, packed as well.
    revision = client.get(f"{URL}/{article['id']}/revisions/2", headers=editor).json()
    assert revision["snapshot"]["body"][1]["text"].startswith("The monsoon reached Kathmandu")
    with engine.connect() as conn:
        kinds = conn.execute(text(
            "SELECT typeof(snapshot) FROM article_revision" if engine.dialect.name == "sqlite"
            else "SELECT json_typeof(snapshot) FROM article_revision")).scalars().all()
    assert kinds == ["blob" if engine.dialect.name == "sqlite" else "object"] * 2


def test_bulk_writers_store_bodies_as_the_api_does(engine: Engine, session: Session) -> None:
    """The demo loader and the WordPress importer write through `bulk_insert`, which skips
    Core's statement machinery: each value still goes through its column type."""
    load_demo(session, articles=12, now=datetime.now(UTC))
    import_wordpress(engine, FIXTURE, Options(), now=datetime(2026, 12, 1, tzinfo=UTC),
                     report=lambda _message: None)
    with engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM article")).scalar_one()
        if engine.dialect.name == "sqlite":
            stored = conn.execute(text(
                "SELECT count(*) FROM article WHERE typeof(body) = 'blob' AND "
                "typeof(body_html) = 'blob' AND typeof(body_text) = 'blob'")).scalar_one()
            readable = conn.execute(text(
                "SELECT count(*) FROM article WHERE json_valid(khabar_unpack(body))")
            ).scalar_one()
            assert stored == readable == total
        else:
            assert conn.execute(text(
                "SELECT count(*) FROM article WHERE json_typeof(body) = 'array'")).scalar_one() \
                == total
    assert total > 12
