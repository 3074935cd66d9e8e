"""Images of an imported post, in one place: the featured image (`_thumbnail_id`) and the
images inside the content. Today both keep their URL on the old site (made absolute); with
`--media-dir` (a copy of the site's `wp-content/uploads`) a local file's pixel size is read
for the featured image. Media objects with stored files replace these URLs once the media
library lands: these two functions are where that happens."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from app.articles.blocks import check_image_url, plain_field
from app.importer.wxr import Attachment

UPLOADS = "/wp-content/uploads/"


def local_file(url: str, media_dir: Path | None) -> Path | None:
    """The file under `media_dir` for an uploads URL (`.../wp-content/uploads/2012/03/a.jpg`
    -> `media_dir/2012/03/a.jpg`), if it exists and stays inside `media_dir`."""
    if media_dir is None:
        return None
    path = unquote(urlsplit(url).path)
    relative = path.split(UPLOADS, 1)[1] if UPLOADS in path else path.lstrip("/")
    base = media_dir.resolve()
    candidate = (base / relative).resolve()
    if not candidate.is_relative_to(base) or not candidate.is_file():
        return None
    return candidate


def pixel_size(path: Path) -> tuple[int, int] | None:
    """Width and height from a PNG, GIF or JPEG header (no image library needed)."""
    with path.open("rb") as handle:
        head = handle.read(32)
        if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
            width, height = struct.unpack(">II", head[16:24])
            return width, height
        if head[:6] in (b"GIF87a", b"GIF89a"):
            width, height = struct.unpack("<HH", head[6:10])
            return width, height
        if head.startswith(b"\xff\xd8"):
            handle.seek(2)
            while True:
                marker = handle.read(4)
                if len(marker) < 4 or marker[0] != 0xFF:
                    return None
                length = struct.unpack(">H", marker[2:4])[0]
                if length < 2:
                    return None
                if 0xC0 <= marker[1] <= 0xCF and marker[1] not in (0xC4, 0xC8, 0xCC):
                    frame = handle.read(5)
                    if len(frame) < 5:
                        return None
                    height, width = struct.unpack(">HH", frame[1:5])
                    return width, height
                handle.seek(length - 2, 1)
    return None


def featured_image(attachment: Attachment, media_dir: Path | None, *,
                   base_url: str) -> dict[str, Any] | None:
    """An article's `image` for a post's featured attachment (None if its URL is unusable)."""
    url = urljoin(base_url.rstrip("/") + "/", attachment.url.strip())
    try:
        url = check_image_url(url) or ""
    except ValueError:
        return None
    width = height = None
    found = local_file(url, media_dir)
    if found is not None:
        width, height = pixel_size(found) or (None, None)
    caption = plain_field(attachment.caption) or plain_field(attachment.alt)
    return {"url": url, "caption": caption[:2000] if caption else None, "credit": None,
            "width": width, "height": height}


def inline_image(url: str, media_dir: Path | None) -> str:  # noqa: ARG001 (see the docstring)
    """The URL an image inside the content keeps: its own, for now."""
    return url
