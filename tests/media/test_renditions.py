"""Serving renditions: sizes, formats, caching, signatures and focal-point crops."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image

from tests.media.conftest import picture


@pytest.fixture
def media(upload: Callable[..., Any]) -> dict[str, Any]:
    r = upload(picture(1600, 1000), focal_x=0.15, focal_y=0.15)
    assert r.status_code == 201, r.text
    return r.json()


def decoded(response: Any) -> Image.Image:
    im = Image.open(io.BytesIO(response.content))
    im.load()
    return im


class TestRenditions:
    def test_every_listed_rendition_has_its_size_and_type(self, media: dict[str, Any],
                                                          client: Any) -> None:
        for item in media["renditions"]:
            r = client.get(item["url"])
            assert r.status_code == 200, item
            assert r.headers["content-type"] == item["type"] == "image/webp"
            assert decoded(r).size == (item["width"], item["height"])
            assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
            assert "content-encoding" not in r.headers  # never gzipped
        sizes = {urlsplit(i["url"]).path.rsplit("/", 1)[1]: (i["width"], i["height"])
                 for i in media["renditions"]}
        assert sizes["w640.webp"] == (640, 400)
        assert sizes["16x9.webp"] == (1280, 720)
        assert sizes["1x1.webp"] == (1000, 1000)
        assert sizes["4x5.webp"] == (800, 1000)

    def test_each_format_by_extension_decodes(self, media: dict[str, Any], client: Any) -> None:
        base = media["renditions"][0]["url"].split("/w320.webp")[0]
        version = media["url"].split("?v=")[1]
        for ext, fmt in (("webp", "WEBP"), ("avif", "AVIF"), ("jpg", "JPEG"), ("png", "PNG")):
            r = client.get(f"{base}/w320.{ext}?v={version}")
            assert r.status_code == 200, ext
            im = decoded(r)
            assert (im.format, im.size) == (fmt, (320, 200))

    def test_never_wider_than_the_original(self, upload: Callable[..., Any],
                                           client: Any) -> None:
        small = upload(picture(500, 300)).json()
        assert [i["width"] for i in small["renditions"] if "/w" in i["url"]] == [320]
        assert small["srcset"].endswith("500w")
        base, version = small["url"].split("/original.jpg?v=")
        assert decoded(client.get(f"{base}/w1920.webp?v={version}")).size == (500, 300)

    def test_etag_and_304(self, media: dict[str, Any], client: Any) -> None:
        url = media["renditions"][1]["url"]
        first = client.get(url)
        etag = first.headers["etag"]
        assert etag.startswith('"')
        assert not etag.startswith("W/")
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert client.get(url).content == first.content  # stored, served the same

    def test_made_once_then_stored(self, media: dict[str, Any], client: Any,
                                   media_store: Any) -> None:
        url = media["renditions"][0]["url"]
        client.get(url)
        stored = list((media_store / media["id"]).rglob("w320.webp"))
        assert len(stored) == 1
        mtime = stored[0].stat().st_mtime_ns
        client.get(url)
        assert stored[0].stat().st_mtime_ns == mtime

    def test_accept_negotiation(self, media: dict[str, Any], client: Any) -> None:
        url = media["renditions"][0]["url"].replace("w320.webp", "w320")
        for accept, mime in (("image/avif,image/webp,*/*", "image/avif"),
                             ("image/webp,*/*", "image/webp"), ("*/*", "image/jpeg")):
            r = client.get(url, headers={"Accept": accept})
            assert r.status_code == 200
            assert r.headers["content-type"] == mime
            assert r.headers["vary"] == "Accept"
            assert decoded(r).size == (320, 200)

    def test_signed_sizes_only(self, media: dict[str, Any], client: Any) -> None:
        from app.media.signing import sign

        base = media["url"].split("/original.jpg")[0]
        for name in ("w750.webp", "750x500.jpg", "16x9-w700.webp"):
            path = urlsplit(f"{base}/{name}").path
            assert client.get(f"{base}/{name}").status_code == 403, name
            assert client.get(f"{base}/{name}?sig=AAAAAAAAAAAAAAAAAAAAAAAA").status_code == 403
            r = client.get(f"{base}/{name}?sig={sign(path)}")
            assert r.status_code == 200, name
        exact = urlsplit(base).path + "/750x500.jpg"
        assert decoded(client.get(f"{base}/750x500.jpg?sig={sign(exact)}")).size == (750, 500)
        assert client.get(f"{base}/16x9-w640.webp").status_code == 200  # ladder width: free

    def test_unknown_names_are_404(self, media: dict[str, Any], client: Any) -> None:
        base = media["url"].split("/original.jpg")[0]
        for name in ("w320.gif", "huge.webp", "w0.webp", "w99999.webp", "../x.webp"):
            assert client.get(f"{base}/{name}").status_code == 404, name
        assert client.get("/media/ffffffffffffffffffffffffffffffff/w320.webp").status_code == 404

    def test_focal_crop_keeps_the_focal_point(self, upload: Callable[..., Any],
                                              client: Any) -> None:
        """A red square at 10-20% of each side; crops around it keep it, crops around the
        opposite corner do not."""
        def red_in(url: str) -> bool:
            im = decoded(client.get(url)).convert("RGB")
            return any(im.getpixel((x, y))[0] > 200 and im.getpixel((x, y))[1] < 60
                       for x in range(0, im.width, 4) for y in range(0, im.height, 4))

        near = upload(picture(2000, 1000), focal_x=0.15, focal_y=0.15).json()
        far = upload(picture(2000, 1000), focal_x=0.95, focal_y=0.95).json()
        for crop in ("1x1", "4x5"):
            assert red_in(next(r["url"] for r in near["renditions"] if f"/{crop}." in r["url"]))
            assert not red_in(next(r["url"] for r in far["renditions"]
                                   if f"/{crop}." in r["url"]))

    def test_new_focal_point_new_crop_urls(self, media: dict[str, Any], client: Any,
                                           auth_headers: Callable[..., dict[str, str]]) -> None:
        old = next(r["url"] for r in media["renditions"] if "/1x1." in r["url"])
        client.get(old)
        changed = client.patch(f"/v1/editorial/media/{media['id']}", headers=auth_headers(),
                               json={"focal_point": {"x": 0.9, "y": 0.9}}).json()
        new = next(r["url"] for r in changed["renditions"] if "/1x1." in r["url"])
        assert new != old
        assert client.get(new).headers["cache-control"].endswith("immutable")
        # An old URL still answers (with the current crop), but is no longer cached for ever.
        assert client.get(old).headers["cache-control"] == "public, max-age=300"
