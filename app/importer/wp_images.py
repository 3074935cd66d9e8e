"""Images of an imported post, in one place: the featured image (`_thumbnail_id`) and the
images inside the content.

Without `--media-dir` both keep their URL on the old site (made absolute). With it (a copy of
the site's `wp-content/uploads`), an image whose file is there becomes a media object: the file
goes through the media library's own intake (`app.media.intake.ingest`: type sniffed from the
bytes, size and pixel limits, polyglots refused, EXIF orientation applied and metadata dropped)
and its master is stored as an upload's is (renditions are made on first request). A file is
matched by its path after `uploads/` (or, for WordPress.com's `files.wordpress.com/2012/03/x.jpg`,
its whole path); a resized copy WordPress made (`x-300x200.jpg`) is read from its original
(`x.jpg`) when that is there, so one attachment is one media object. A file the intake refuses
keeps its URL and is reported.

A media object's id is derived from the file's SHA-256, so importing again, or the same file
shown by many posts, never makes a second one: a file already imported is found by its id (one
read) and not decoded again.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.articles.blocks import ImageBlock, check_image_url, plain_field
from app.core.config import get_settings
from app.importer.wxr import Attachment
from app.media import renditions
from app.media.images import image_block
from app.media.intake import Rejected, ingest
from app.media.models import FocalPoint, Media, stored_fields
from app.media.service import new_media
from app.media.storage import get_store

UPLOADS = "/wp-content/uploads/"
_SIZED = re.compile(r"^(.+)-\d{1,5}x\d{1,5}(\.[A-Za-z0-9]{1,5})$")
# What a process remembers of the files it has read (then starts over): bounds its memory on
# an archive of any size.
REMEMBERED = 20_000


def _relative(url: str) -> str:
    path = unquote(urlsplit(url.strip()).path)
    return path.split(UPLOADS, 1)[1] if UPLOADS in path else path.lstrip("/")


def local_file(url: str, media_dir: Path | None) -> Path | None:
    """The file under `media_dir` for an uploads URL (`.../wp-content/uploads/2012/03/a.jpg`
    -> `media_dir/2012/03/a.jpg`; a resized copy `a-300x200.jpg` -> `a.jpg` when that exists),
    if it exists and stays inside `media_dir`."""
    if media_dir is None:
        return None
    relative = _relative(url)
    base = media_dir.resolve()
    sized = _SIZED.match(relative)
    for candidate in ([f"{sized[1]}{sized[2]}"] if sized else []) + [relative]:
        path = (base / candidate).resolve()
        if path.is_relative_to(base) and path.is_file():
            return path
    return None


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


def media_id_of(file_hash: str) -> str:
    """The media object an imported file becomes (the same file, the same object)."""
    return hashlib.sha256(f"khabar-wordpress-media:{file_hash}".encode()).hexdigest()[:32]


@dataclass
class Tally:
    """What became of the images of one post."""

    stored: int = 0  # shown from a media object
    external: int = 0  # kept as a URL: no file for it
    refused: int = 0  # kept as a URL: its file was refused
    refusals: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    media: dict[str, dict[str, Any]] = field(default_factory=dict)  # rows made by this import


@dataclass(frozen=True)
class _Stored:
    media: Media
    new: bool  # made by this import (its row is written with the posts showing it)


class Images:
    """Turns the images of the posts this process converts into what articles store."""

    def __init__(self, media_dir: Path | None, attachments: Mapping[int, Attachment], *,
                 base_url: str, now: datetime, lookup: Engine | None = None) -> None:
        self.media_dir = media_dir
        self.attachments = attachments
        self.base_url = base_url
        self.now = now
        self.lookup = lookup  # where media objects already imported are found (None: settings)
        self._by_path: dict[str, Attachment] | None = None
        self._files: dict[Path, tuple[int, int, str]] = {}  # path -> (size, mtime, sha256)
        self._done: dict[str, _Stored | str] = {}  # sha256 -> media, or why it was refused

    # -- what the digest covers

    def signature(self, urls: Iterable[str]) -> list[tuple[str, int, int]]:
        """The files these images would come from, with their size and time: a file added,
        changed or removed under `--media-dir` changes the post's digest."""
        if self.media_dir is None:
            return []
        found = set()
        for url in urls:
            path = local_file(url, self.media_dir)
            if path is not None:
                stat = path.stat()
                found.add((str(path.relative_to(self.media_dir.resolve())), stat.st_size,
                           stat.st_mtime_ns))
        return sorted(found)

    # -- the two kinds of image

    def featured(self, attachment: Attachment, tally: Tally) -> dict[str, Any] | None:
        """An article's `image` for a post's featured attachment (None if its URL is unusable)."""
        url = urljoin(self.base_url.rstrip("/") + "/", attachment.url.strip())
        try:
            url = check_image_url(url) or ""
        except ValueError:
            return None
        texts = {"alt": _text(attachment.alt, 2000), "caption": _text(attachment.caption, 2000),
                 "credit": _text(attachment.credit, 500)}
        found = local_file(url, self.media_dir)
        stored = self._media(found, texts, tally) if found is not None else None
        if stored is not None:
            return {**stored_fields(stored), **texts}
        width = height = None
        if found is not None:  # refused: its size may still be read
            width, height = pixel_size(found) or (None, None)
        else:
            tally.external += 1
        caption = texts["caption"] or texts["alt"]
        return {"url": url, "caption": caption, "credit": None, "width": width,
                "height": height}

    def inline(self, block: ImageBlock, tally: Tally) -> ImageBlock:
        """An image block of the content: from a media object when its file is there."""
        if block.media_id is not None or block.url is None:
            return block
        found = local_file(block.url, self.media_dir)
        if found is None:
            tally.external += 1
            return block
        attachment = self._attachment(block.url)
        texts = {"alt": _text(attachment.alt, 2000) if attachment else None,
                 "caption": block.caption,
                 "credit": _text(attachment.credit, 500) if attachment else None}
        stored = self._media(found, texts, tally)
        if stored is None:
            return block
        return image_block({**stored_fields(stored), **texts})

    # -- files into media objects

    def _media(self, path: Path, texts: dict[str, str | None], tally: Tally) -> Media | None:
        """The media object of a file (found, or made now), or None when the file is refused
        (counted either way)."""
        assert self.media_dir is not None
        name = str(path.relative_to(self.media_dir.resolve()))
        try:
            digest = self._hash(path)
        except OSError as exc:
            return self._refused(tally, name, f"cannot be read ({exc.strerror or exc})")
        if digest is None:
            limit = get_settings().max_upload_bytes
            return self._refused(tally, name, f"over the upload limit of {limit:,} bytes")
        done = self._done.get(digest)
        if done is None:
            done = self._find(digest) or self._make(path, digest, texts)
            if len(self._done) >= REMEMBERED:
                self._done.clear()
            self._done[digest] = done
        if isinstance(done, str):
            return self._refused(tally, name, done)
        tally.stored += 1
        if done.new:
            tally.media[done.media.id] = done.media.model_dump()
        return done.media

    @staticmethod
    def _refused(tally: Tally, name: str, reason: str) -> None:
        tally.refused += 1
        tally.refusals.append((name, reason))
        return None

    def _hash(self, path: Path) -> str | None:
        """The file's SHA-256 (None when it is over the upload limit: never read)."""
        stat = path.stat()
        known = self._files.get(path)
        if known is not None and known[:2] == (stat.st_size, stat.st_mtime_ns):
            return known[2]
        if stat.st_size > get_settings().max_upload_bytes:
            return None
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if len(self._files) >= REMEMBERED:
            self._files.clear()
        self._files[path] = (stat.st_size, stat.st_mtime_ns, digest)
        return digest

    def _find(self, digest: str) -> _Stored | None:
        """The media object an earlier import made of this file, if any. A failed read only
        costs a second intake: the writer never inserts a media object twice."""
        from app.core.db import get_lookup_engine

        try:
            with Session(self.lookup or get_lookup_engine()) as session:
                media = session.get(Media, media_id_of(digest))
                if media is not None:
                    session.expunge(media)
        except SQLAlchemyError:
            return None
        return _Stored(media, new=False) if media is not None else None

    def _make(self, path: Path, digest: str, texts: dict[str, str | None]) -> _Stored | str:
        """The file through the media intake, its master stored: the new media object, or why
        the intake refused the file."""
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:  # changed while being read
            digest = hashlib.sha256(data).hexdigest()
        try:
            master = ingest(data, slot=renditions.slots().hold)
        except Rejected as exc:
            return exc.detail
        finally:
            del data
        media_id = media_id_of(digest)
        renditions.save_master(get_store(), media_id, master)
        return _Stored(new_media(media_id, master, **texts, focal=FocalPoint(x=0.5, y=0.5),
                                 by_id=None, now=self.now), new=True)

    def _attachment(self, url: str) -> Attachment | None:
        """The attachment whose file an image of the content shows (its resized copies too)."""
        if self._by_path is None:
            self._by_path = {_relative(a.url): a for a in self.attachments.values()}
        relative = _relative(url)
        found = self._by_path.get(relative)
        sized = _SIZED.match(relative)
        if found is None and sized:
            found = self._by_path.get(f"{sized[1]}{sized[2]}")
        return found


def _text(value: str, limit: int) -> str | None:
    text = plain_field(value) if value else None
    return text[:limit] if text else None
