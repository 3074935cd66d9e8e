"""Demo pictures: most demo articles, some bodies and the authors show generated images."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from PIL import Image
from sqlmodel import Session, func, select

from app.articles.blocks import BlockList
from app.articles.service import body_columns
from app.demo.generate import _rendered, compose_body, load_demo, pools
from app.media.demo import draw, ensure_demo_images
from app.media.images import image_block
from app.media.models import Media


def test_pictures_are_deterministic() -> None:
    assert draw(3) == draw(3)
    assert draw(3) != draw(4)
    assert Image.open(io.BytesIO(draw(0))).size == (1280, 720)


def test_composed_body_with_a_figure_matches_body_columns(session: Session) -> None:
    images = ensure_demo_images(session, datetime.now(UTC), count=2)
    pool = pools()["en"]
    blocks = [*pool.paragraphs[:2], _rendered(image_block(images[0])), pool.paragraphs[2]]
    typed = BlockList.validate_python([b.block for b in blocks])
    assert compose_body(blocks) == body_columns(typed)


def test_demo_articles_and_authors_have_images(session: Session, client: Any) -> None:
    load_demo(session, articles=28, now=datetime.now(UTC))
    load_demo(session, articles=28, now=datetime.now(UTC))
    assert session.exec(select(func.count()).select_from(Media)).one() == 24
    cards = client.get("/v1/articles?limit=100").json()["data"]
    with_image = [c for c in cards if c["image"] and c["image"]["media_id"]]
    assert len(with_image) >= 0.8 * len(cards)
    first = with_image[0]["image"]["renditions"][0]
    r = client.get(first["url"])
    assert r.status_code == 200
    assert Image.open(io.BytesIO(r.content)).size == (first["width"], first["height"])
    with_blocks = 0
    for card in cards[:12]:
        detail = client.get(f"/v1/articles/{card['slug']}").json()
        with_blocks += any(b["type"] == "image" and b["srcset"] for b in detail["body"])
        assert all(a["avatar"] and a["avatar"]["media_id"] for a in detail["authors"]
                   if a["slug"] != "khabarhub")
    assert with_blocks >= 2
