"""Safe intake of an uploaded image: the type from the bytes, refusals before decoding, and a
clean master (orientation applied, no metadata but the colour profile).

Everything here is blocking CPU work on untrusted bytes: the router runs it in a worker thread
under the rendering semaphore (app/media/renditions.py), never on the event loop and never
while a database transaction is open.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import struct
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PIXELS = 50_000_000
# The master is at most this long on its longer side (WordPress keeps 2560): the largest
# rendition is 1920 wide, and a 50-megapixel master would cost 150 MB per decode.
MAX_EDGE = 4096
# A JPEG larger than this on its longer side is decoded at 1/2, 1/4 or 1/8 scale (libjpeg does
# it while decoding), never below this: a 50-megapixel photo costs 37 MB decoded, not 150.
DRAFT_EDGE = 2048
JPEG_QUALITY = 90
PILLOW_FORMAT = {"jpeg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WEBP", "avif": "AVIF"}
MIME = {"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp",
        "avif": "image/avif"}
# Markup inside an image makes it a polyglot: a browser or a mis-configured server that sniffs
# the file could run it. (A run of these bytes in compressed data is vanishingly unlikely.)
_MARKUP = re.compile(rb"<(?:script|html|svg|\?php|!doctype|iframe|body|object|embed)[\s>/]",
                     re.IGNORECASE)
_ARCHIVES = (b"PK\x03\x04", b"PK\x05\x06", b"%PDF-", b"Rar!", b"7z\xbc\xaf", b"\x7fELF", b"MZ")


class Rejected(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Master:
    data: bytes
    fmt: str  # "jpeg" | "png"
    width: int
    height: int
    has_alpha: bool
    source_type: str
    content_hash: str


def sniff(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp":
        size = struct.unpack(">I", data[:4])[0]
        brands = data[8:12] + data[16:max(16, min(size, 64))]
        if b"avif" in brands or b"avis" in brands:
            return "avif"
    return None


def _unsupported(data: bytes) -> Rejected:
    head = data[:512].lstrip().lower()
    if head.startswith((b"<?xml", b"<svg")) or b"<svg" in head:
        return Rejected(415, "SVG is not accepted (it can carry scripts); upload JPEG, PNG, "
                             "WebP, AVIF or GIF")
    return Rejected(415, "Only JPEG, PNG, WebP, AVIF and GIF images are accepted (the type "
                         "is read from the file's bytes)")


def _structure(data: bytes, kind: str) -> None:
    """Truncated files and data appended after the image's end (a polyglot) are refused."""
    n = len(data)
    tail = b""
    if kind == "png":
        pos = 8
        while True:
            if pos + 8 > n:
                raise Rejected(422, "The PNG file is truncated")
            length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
            pos += 12 + length
            if pos > n:
                raise Rejected(422, "The PNG file is truncated")
            if ctype == b"IEND":
                tail = data[pos:]
                break
    elif kind == "webp":
        total = struct.unpack("<I", data[4:8])[0] + 8
        if n < total:
            raise Rejected(422, "The WebP file is truncated")
        tail = data[total:]
    elif kind == "avif":
        pos = 0
        while pos < n:
            if pos + 8 > n:
                raise Rejected(422, "The AVIF file is truncated")
            size = struct.unpack(">I", data[pos:pos + 4])[0]
            if size == 1:
                if pos + 16 > n:
                    raise Rejected(422, "The AVIF file is truncated")
                size = struct.unpack(">Q", data[pos + 8:pos + 16])[0]
            elif size == 0:
                size = n - pos
            if size < 8:
                raise Rejected(422, "The AVIF file is malformed")
            pos += size
        if pos > n:
            raise Rejected(422, "The AVIF file is truncated")
    elif kind == "gif":
        if not data.rstrip(b"\x00").endswith(b";"):
            raise Rejected(422, "The GIF file is truncated")
    elif kind == "jpeg":
        end = data.rfind(b"\xff\xd9")
        if end < 0:
            raise Rejected(422, "The JPEG file is truncated")
        # Cameras append trailers of their own after the last EOI; other formats are refused.
        tail = data[end + 2:]
    foreign = kind != "jpeg" or any(sig in tail for sig in _ARCHIVES)
    if tail.strip(b"\x00\r\n\t ") and foreign:
        raise Rejected(422, "The file carries data after the image (a polyglot file)")
    if _MARKUP.search(data):
        raise Rejected(422, "The file carries markup inside the image (a polyglot file)")


def decoded_bytes(width: int, height: int, kind: str) -> int:
    """About what decoding costs in memory (4 bytes a pixel; JPEGs decoded at a reduced scale
    when large, see `DRAFT_EDGE`)."""
    if kind == "jpeg":
        longest = max(width, height)
        while longest >= 2 * DRAFT_EDGE and longest > MAX_EDGE:
            width, height, longest = width // 2, height // 2, longest // 2
    return width * height * 4


def ingest(data: bytes, *, max_pixels: int = MAX_PIXELS,
           slot: Callable[[int], AbstractContextManager[object]] = lambda _: nullcontext(),
           ) -> Master:
    """The clean master of an upload, or `Rejected` (415 for types, 422 for contents).
    `slot(bytes)` is held while the image is decoded (the caller's memory bound)."""
    if not data:
        raise Rejected(422, "The file is empty")
    kind = sniff(data)
    if kind is None:
        raise _unsupported(data)
    _structure(data, kind)
    try:
        with warnings.catch_warnings():
            # The bomb check below is ours (stricter); Pillow's own would only warn first.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=[PILLOW_FORMAT[kind]])
    except Image.DecompressionBombError:
        raise Rejected(422, f"The image is over {max_pixels // 1_000_000} megapixels") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, struct.error):
        raise Rejected(422, f"The file is not a readable {kind.upper()} image") from None
    width, height = im.size
    if width * height > max_pixels:  # read from the header: nothing is decoded yet
        raise Rejected(422, f"The image is {width}x{height}, over "
                            f"{max_pixels // 1_000_000} megapixels")
    try:
        with slot(decoded_bytes(width, height, kind)):
            return _clean(im, kind)
    except Image.DecompressionBombError:
        raise Rejected(422, f"The image is over {max_pixels // 1_000_000} megapixels") from None
    except (OSError, ValueError, SyntaxError, struct.error, EOFError):
        raise Rejected(422, f"The {kind.upper()} image is truncated or corrupt") from None
    finally:
        im.close()


def _clean(im: Image.Image, kind: str) -> Master:
    icc = im.info.get("icc_profile") if im.mode in ("RGB", "RGBA") else None
    if kind == "jpeg" and max(im.size) > MAX_EDGE:
        scale = DRAFT_EDGE / max(im.size)
        im.draft("RGB", (math.ceil(im.width * scale), math.ceil(im.height * scale)))
    im.load()
    ImageOps.exif_transpose(im, in_place=True)  # no copy when there is nothing to turn
    upright = im
    if upright.mode in ("RGBA", "LA", "PA") or (
            upright.mode == "P" and "transparency" in upright.info):
        upright = upright.convert("RGBA")
        lowest = upright.getchannel("A").getextrema()[0]
        if isinstance(lowest, int) and lowest == 255:
            upright = upright.convert("RGB")
    elif upright.mode != "RGB":
        upright = upright.convert("RGB")
    if max(upright.size) > MAX_EDGE:
        upright.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.LANCZOS, reducing_gap=3.0)
    has_alpha = upright.mode == "RGBA"
    upright.info = {}  # encoders write some of it back (JPEG comments, PNG text, EXIF)
    out = io.BytesIO()
    # A new encoder call with only the profile: EXIF, XMP, IPTC, comments and text chunks of
    # the upload are not carried over.
    extra = {"icc_profile": icc} if icc else {}
    if has_alpha:
        upright.save(out, "PNG", optimize=False, **extra)
    else:
        upright.save(out, "JPEG", quality=JPEG_QUALITY, **extra)
    data = out.getvalue()
    return Master(data=data, fmt="png" if has_alpha else "jpeg", width=upright.width,
                  height=upright.height, has_alpha=has_alpha, source_type=MIME[kind],
                  content_hash=hashlib.sha256(data).hexdigest())
