"""Serving renditions: `/media/{id}/{variant}.{ext}`, made once, then stored and cached for ever
under their URL's content version."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from app.core.db import get_write_engine
from app.core.errors import Forbidden, NotFound, problem_responses
from app.media import renditions, signing
from app.media.models import Media
from app.media.storage import DirectoryStore, get_store
from app.media.variants import FORMATS, parse

router = APIRouter(tags=["Content"])
IMMUTABLE = "public, max-age=31536000, immutable"
# A URL without its version (or with an old one) may show other bytes tomorrow.
UNVERSIONED = "public, max-age=300"
_VERSION = re.compile(r"^[0-9a-f]{12}$")
_IMAGES = {mime: {"schema": {"type": "string", "format": "binary"}}
           for mime in FORMATS.values()}


def _negotiate(accept: str, master_format: str | None) -> str:
    """AVIF, then WebP, when the client says it takes them; else the master's own format
    (JPEG, or PNG for images with transparency)."""
    accept = accept.lower()
    if renditions.AVIF and "image/avif" in accept:
        return "avif"
    if "image/webp" in accept:
        return "webp"
    return "png" if master_format == "png" else "jpg"


def _source(media_id: str) -> renditions.Source | None:
    with Session(get_write_engine()) as session:
        media = session.get(Media, media_id)
        if media is None:
            return None
        return renditions.Source(media.id, media.version, media.master_format, media.focal_x,
                                 media.focal_y)


def _answer(request: Request, data: bytes, ext: str, etag: str, cache_control: str,
            negotiated: bool) -> Response:
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if negotiated:
        headers["Vary"] = "Accept"
    inm = request.headers.get("if-none-match")
    if inm is not None and (inm.strip() == "*" or etag in [t.strip() for t in inm.split(",")]):
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=FORMATS[ext], headers=headers)


@router.get("/media/{media_id}/{name}", operation_id="getMediaRendition",
            summary="Get an image rendition", response_class=Response,
            responses={200: {"description": "The image", "content": _IMAGES},
                       304: {"description": "Not modified"},
                       **problem_responses(403, 404, 422)})
async def get_rendition(
    request: Request,
    media_id: Annotated[str, Path(max_length=32, description="The media object's id")],
    name: Annotated[str, Path(max_length=64, description=(
        "`<variant>.<webp|avif|jpg|png>`, or `<variant>` alone for the best format the "
        "`Accept` header allows; variants: `original`, `w320`..`w1920`, `16x9`, `1x1`, `4x5`, "
        "`16x9-w640`..."))],
    v: Annotated[str | None, Query(max_length=32, description="The content version")] = None,
    sig: Annotated[str | None, Query(max_length=64, description=(
        "HMAC signature of the path, required for sizes outside the ladder"))] = None,
) -> Response:
    """An image rendition: the width ladder (320, 640, 960, 1280, 1920; never wider than the
    original) and the focal-point crops `16x9`, `1x1`, `4x5`, in WebP, AVIF, JPEG or PNG. Use the
    URLs the API gives (`renditions`, `srcset`): they carry the content version `v` and are
    answered with `Cache-Control: public, max-age=31536000, immutable` and a strong ETag. Other
    sizes (`w750`, `750x500`) need a `sig` made with the server's key (403 without)."""
    variant_name, dot, ext = name.partition(".")
    negotiated = not dot
    variant = parse(variant_name)
    if variant is None or (dot and ext not in FORMATS) or not re.fullmatch(r"[0-9a-f]{1,32}",
                                                                             media_id):
        raise NotFound(f"No rendition {name!r}")
    if not variant.free and not signing.valid(request.url.path, sig):
        raise Forbidden("This size is not in the ladder; it needs a valid `sig`")
    if ext == "avif" and not renditions.AVIF:
        raise NotFound("AVIF is not available on this server")
    store = get_store()
    if v is not None and _VERSION.match(v) and not negotiated:
        if isinstance(store, DirectoryStore):  # a small local file: no thread hop
            data = renditions.stored(store, media_id, v, variant_name, ext)
        else:
            data = await run_in_threadpool(renditions.stored, store, media_id, v, variant_name,
                                           ext)
        if data is not None:
            return _answer(request, data, ext, f'"{v}-{name}"', IMMUTABLE, negotiated)
    source = await run_in_threadpool(_source, media_id)
    if source is None:
        raise NotFound(f"No media object with id {media_id}")
    if negotiated:
        ext = _negotiate(request.headers.get("accept", ""), source.master_format)
    data = await run_in_threadpool(renditions.stored_or_made, store, source, variant, ext)
    if data is None:
        raise NotFound(f"No media object with id {media_id}")
    current = v == source.version
    return _answer(request, data, ext, f'"{source.version}-{variant_name}.{ext}"',
                   IMMUTABLE if current else UNVERSIONED, negotiated)
