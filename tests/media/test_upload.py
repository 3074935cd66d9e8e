"""Uploading and managing media through the Editorial API, with real image files."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from typing import Any

from PIL import Image

from tests.media.conftest import picture

GPS_IFD = 0x8825


def jpeg_with_gps_and_rotation() -> bytes:
    """A 400x200 JPEG with GPS EXIF, a camera model and orientation 6 (rotate 90 clockwise)."""
    im = Image.new("RGB", (400, 200), (0, 128, 255))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x0110] = "SecretCam"  # Model
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (27.0, 42.0, 6.0), 3: "E", 4: (85.0, 18.0, 0.0)})
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif.tobytes(), comment=b"shot at home")
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the test file has GPS
    return data


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims a size and carries no pixels worth decoding."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0"))
            + chunk(b"IEND", b""))


class TestUpload:
    def test_jpeg_upload_returns_the_media_object(self, upload: Callable[..., Any],
                                                  client: Any) -> None:
        r = upload(picture(1600, 1000), alt="A <b>river</b>", caption="The Koshi",
                   credit="Photo: A", focal_x=0.25, focal_y=0.75)
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["type"] == "image/jpeg"
        assert (body["width"], body["height"]) == (1600, 1000)
        assert body["alt"] == "A river"  # plain text
        assert body["focal_point"] == {"x": 0.25, "y": 0.75}
        assert body["media_id"] == body["id"]
        widths = [x["width"] for x in body["renditions"] if "/w" in x["url"]]
        assert widths == [320, 640, 960, 1280]  # never wider than the original
        assert body["srcset"].count("w,") == 4  # 320, 640, 960, 1280 and the original width
        assert body["srcset"].endswith("1600w")
        assert r.headers["location"].endswith(f"/v1/editorial/media/{body['id']}")
        assert client.get(body["url"]).status_code == 200

    def test_gps_and_other_metadata_never_survive_and_orientation_is_applied(
            self, upload: Callable[..., Any], client: Any) -> None:
        body = upload(jpeg_with_gps_and_rotation()).json()
        assert (body["width"], body["height"]) == (200, 400)  # rotated upright
        for url in [body["url"], *(r["url"] for r in body["renditions"])]:
            data = client.get(url).content
            im = Image.open(io.BytesIO(data))
            exif = im.getexif()
            assert not exif.get_ifd(GPS_IFD), url
            assert 0x0110 not in exif, url
            assert 0x0112 not in exif, url
            assert b"SecretCam" not in data, url
            assert b"shot at home" not in data, url
            assert im.width < im.height or "1x1" in url or "16x9" in url

    def test_colour_profile_is_kept(self, upload: Callable[..., Any], client: Any) -> None:
        from PIL import ImageCms

        icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
        body = upload(picture(800, 600, icc_profile=icc)).json()
        assert Image.open(io.BytesIO(client.get(body["url"]).content)).info["icc_profile"] == icc

    def test_every_accepted_type(self, upload: Callable[..., Any]) -> None:
        cases = [("PNG", "image/png", {}), ("WEBP", "image/webp", {}),
                 ("AVIF", "image/avif", {}), ("GIF", "image/gif", {})]
        for fmt, mime, save in cases:
            r = upload(picture(640, 480, fmt, **save), filename="x.bin")
            assert r.status_code == 201, (fmt, r.text)
            assert r.json()["type"] == mime

    def test_gif_first_frame_and_transparency(self, upload: Callable[..., Any],
                                              client: Any) -> None:
        frames = [Image.new("RGBA", (100, 80), c) for c in ((255, 0, 0, 255), (0, 0, 255, 0))]
        out = io.BytesIO()
        frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100)
        body = upload(out.getvalue()).json()
        im = Image.open(io.BytesIO(client.get(body["url"]).content))
        assert im.format == "JPEG"
        assert im.getpixel((50, 40))[0] > 200
        clear = io.BytesIO()
        Image.new("RGBA", (100, 80), (0, 0, 0, 0)).save(clear, "PNG")
        body = upload(clear.getvalue()).json()
        assert body["url"].split("?")[0].endswith("original.png")

    def test_svg_and_other_types_are_415(self, upload: Callable[..., Any]) -> None:
        svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>'
        for data in (svg, b"%PDF-1.7\n...", b"GIF8 not really", b"\x00" * 64,
                     picture(64, 64, "BMP"), picture(64, 64, "TIFF")):
            r = upload(data)
            assert r.status_code == 415, (data[:10], r.text)
            assert r.headers["content-type"] == "application/problem+json"
        assert "SVG" in upload(svg).json()["detail"]

    def test_empty_truncated_and_polyglot_files_are_422(self, upload: Callable[..., Any]) -> None:
        jpeg, png = picture(600, 400), picture(600, 400, "PNG")
        webp = picture(600, 400, "WEBP")
        zip_tail = b"PK\x03\x04" + b"\x00" * 26 + b"evil.jar"
        cases = {
            "empty": b"",
            "truncated jpeg": jpeg[: len(jpeg) // 2],
            "truncated png": png[: len(png) - 30],
            "truncated webp": webp[: len(webp) - 40],
            "png + zip": png + zip_tail,
            "jpeg + zip (GIFAR-like)": jpeg + zip_tail,
            "gif + html": picture(60, 60, "GIF") + b"<html><script>alert(1)</script></html>",
            "jpeg with html comment": picture(60, 60, comment=b"<script>alert(1)</script>"),
            "jpeg header, no image": b"\xff\xd8\xff\xe0" + b"\x00" * 100 + b"\xff\xd9",
        }
        for name, data in cases.items():
            r = upload(data)
            assert r.status_code == 422, (name, r.text)
            assert r.headers["content-type"] == "application/problem+json", name

    def test_more_than_50_megapixels_is_refused_from_the_header(
            self, upload: Callable[..., Any]) -> None:
        r = upload(png_header(10_000, 5_001))
        assert r.status_code == 422
        assert "10000x5001" in r.json()["detail"]
        assert "megapixels" in r.json()["detail"]
        bomb = upload(png_header(100_000, 100_000))  # past Pillow's own limit too
        assert bomb.status_code == 422

    def test_over_the_upload_limit_is_413(self, configure: Callable[..., Any],
                                          auth_headers: Callable[..., dict[str, str]]) -> None:
        from fastapi.testclient import TestClient

        app = configure(KHABAR_MAX_UPLOAD_BYTES="50000")
        data = picture(1200, 1200, quality=95)
        assert len(data) > 50_000
        with TestClient(app) as c:
            r = c.post("/v1/editorial/media", headers=auth_headers("writer"),
                       files={"file": ("a.jpg", data, "image/jpeg")})
            assert r.status_code == 413
            assert r.headers["content-type"] == "application/problem+json"
            small = c.post("/v1/editorial/media", headers=auth_headers("writer"),
                           files={"file": ("a.jpg", picture(100, 100), "image/jpeg")})
            assert small.status_code == 201  # binary bodies past the JSON body limit's NUL check

    def test_text_fields_and_focal_point_are_validated(self, upload: Callable[..., Any]) -> None:
        assert upload(picture(100, 100), focal_x=1.5).status_code == 422
        assert upload(picture(100, 100), alt="x" * 2001).status_code == 422
        assert upload(picture(100, 100), alt="a\x00b").status_code == 422

    def test_anonymous_upload_is_401(self, client: Any) -> None:
        r = client.post("/v1/editorial/media", files={"file": ("a.jpg", picture(50, 50))})
        assert r.status_code == 401


class TestManage:
    def test_get_list_patch(self, upload: Callable[..., Any], client: Any,
                            auth_headers: Callable[..., dict[str, str]]) -> None:
        editor = auth_headers("editor")
        ids = [upload(picture(300 + i, 200)).json()["id"] for i in range(3)]
        page = client.get("/v1/editorial/media?limit=2", headers=editor).json()
        assert [m["id"] for m in page["data"]] == ids[::-1][:2]
        rest = client.get(f"/v1/editorial/media?limit=2&cursor={page['meta']['next_cursor']}",
                          headers=editor).json()
        assert [m["id"] for m in rest["data"]] == [ids[0]]
        assert rest["meta"]["next_cursor"] is None
        assert client.get("/v1/editorial/media?cursor=junk", headers=editor).status_code == 400
        one = client.get(f"/v1/editorial/media/{ids[0]}", headers=editor).json()
        r = client.patch(f"/v1/editorial/media/{ids[0]}", headers=editor,
                         json={"alt": "New <i>alt</i>", "focal_point": {"x": 0.1, "y": 0.9}})
        assert r.status_code == 200, r.text
        changed = r.json()
        assert changed["alt"] == "New alt"
        assert changed["focal_point"] == {"x": 0.1, "y": 0.9}
        assert changed["url"] != one["url"]  # a new version for new crops
        assert client.patch(f"/v1/editorial/media/{ids[0]}", headers=editor,
                            json={"focal_point": {"x": 2, "y": 0}}).status_code == 422
        assert client.patch(f"/v1/editorial/media/{ids[0]}", headers=editor,
                            json={"focal_point": None}).status_code == 422
        assert client.patch(f"/v1/editorial/media/{ids[0]}", headers=editor,
                            json={"width": 5}).status_code == 422
        assert client.get("/v1/editorial/media/ffff", headers=editor).status_code == 404

    def test_roles(self, upload: Callable[..., Any], client: Any,
                   auth_headers: Callable[..., dict[str, str]]) -> None:
        media_id = upload(picture(100, 100)).json()["id"]
        other_writer = auth_headers("writer")
        assert client.patch(f"/v1/editorial/media/{media_id}", headers=other_writer,
                            json={"alt": "x"}).status_code == 403
        assert client.delete(f"/v1/editorial/media/{media_id}",
                             headers=other_writer).status_code == 403
        editor = auth_headers("editor")
        assert client.patch(f"/v1/editorial/media/{media_id}", headers=editor,
                            json={"alt": "x"}).status_code == 200

    def test_delete_removes_renditions_and_refuses_while_published(
            self, upload: Callable[..., Any], client: Any,
            auth_headers: Callable[..., dict[str, str]], make_article: Callable[..., Any],
            media_store: Any) -> None:
        editor = auth_headers("editor")
        used = upload(picture(800, 500)).json()
        in_body = upload(picture(800, 500)).json()
        unused = upload(picture(800, 500)).json()
        make_article(image={"media_id": used["id"]})
        make_article(body=[{"type": "paragraph", "text": "Hi"},
                           {"type": "image", "media_id": in_body["id"]}])
        make_article(image={"media_id": unused["id"]}, status="draft")
        for media in (used, in_body):
            r = client.delete(f"/v1/editorial/media/{media['id']}", headers=editor)
            assert r.status_code == 409, r.text
        rendition = unused["renditions"][0]["url"]
        assert client.get(rendition).status_code == 200
        assert (media_store / unused["id"]).is_dir()
        assert client.delete(f"/v1/editorial/media/{unused['id']}", headers=editor).status_code \
            == 204
        assert not (media_store / unused["id"]).exists()
        assert client.get(rendition).status_code == 404
        assert client.get(f"/v1/editorial/media/{unused['id']}", headers=editor).status_code \
            == 404
