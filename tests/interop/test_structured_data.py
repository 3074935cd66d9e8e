"""JSON-LD `image` is a list of schema.org ImageObjects with the dimensions the article's image
data has (Google's recommendation), on the detail read both paths render."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from app.articles.models import Article


def test_image_object(client: TestClient, make_article: Callable[..., Article]) -> None:
    sized = make_article("With a picture", image={
        "url": "https://cdn.example.com/i/नदी.jpg", "width": 1600, "height": 900,
        "caption": "The river", "credit": "Staff"})
    bare = make_article("Picture of unknown size", image={"url": "https://cdn.example.com/i/b.jpg"})
    plain = make_article("No picture")
    for fields in ("", "?fields=structured_data", "?formats=text"):
        data = client.get(f"/v1/articles/{sized.slug}{fields}").json()["structured_data"]
        assert data["image"] == [{
            "@type": "ImageObject", "url": "https://cdn.example.com/i/%E0%A4%A8%E0%A4%A6%E0%A5%80.jpg",
            "width": 1600, "height": 900, "caption": "The river", "creditText": "Staff"}]
    data = client.get(f"/v1/articles/{bare.slug}").json()["structured_data"]
    assert data["image"] == [{"@type": "ImageObject", "url": "https://cdn.example.com/i/b.jpg"}]
    assert "image" not in client.get(f"/v1/articles/{plain.slug}").json()["structured_data"]
