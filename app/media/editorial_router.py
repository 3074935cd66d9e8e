"""Editorial API: uploading and managing images."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from app.articles.blocks import plain_field
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.editorial import PageParamsDep, envelope
from app.core.errors import Unprocessable, problem_responses
from app.core.listing import NowDep
from app.core.pagination import Page
from app.media import renditions, service
from app.media.dependencies import MediaChanges, MediaDep
from app.media.errors import UploadTooLarge, from_status
from app.media.intake import Master, Rejected, ingest
from app.media.models import FocalPoint, MediaPublic
from app.media.storage import get_store
from app.users.dependencies import CurrentEditor, CurrentWriter, no_store

router = APIRouter(prefix="/v1/editorial/media", tags=["Editorial"],
                   dependencies=[Depends(no_store)])
UPLOAD_PATH = "/v1/editorial/media"


class MediaList(Page[MediaPublic]):
    pass


def _text(name: str, value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        raise Unprocessable(f"{name} contains a NUL character",
                            errors=[{"loc": ["body", name], "msg": "NUL character"}])
    return plain_field(value)


def _ingest(data: bytes) -> Master:
    return ingest(data, slot=renditions.slots().hold)


@router.post("", response_model=MediaPublic, status_code=201, operation_id="uploadMedia",
             summary="Upload an image",
             responses=problem_responses(400, 401, 403, 413, 415, 422))
async def upload_media(
    request: Request, response: Response, session: SessionDep, user: CurrentWriter,
    now: NowDep,
    # An empty file part is no file (a form field without a filename): say so in the schema.
    file: Annotated[UploadFile, File(description="JPEG, PNG, WebP, AVIF or GIF (first frame)",
                                     json_schema_extra={"minLength": 1})],
    alt: Annotated[str | None, Form(max_length=2000, description="Text for screen readers")]
    = None,
    caption: Annotated[str | None, Form(max_length=2000)] = None,
    credit: Annotated[str | None, Form(max_length=500)] = None,
    focal_x: Annotated[float, Form(ge=0, le=1, description="Focal point, 0 = left")] = 0.5,
    focal_y: Annotated[float, Form(ge=0, le=1, description="Focal point, 0 = top")] = 0.5,
) -> dict[str, Any]:
    """Stores an image (multipart form) and returns the media object. The type is read from the
    bytes: JPEG, PNG, WebP, AVIF and GIF (first frame) are accepted; SVG and anything else answer
    415. Over `KHABAR_MAX_UPLOAD_BYTES` answers 413 (the rest of the body is not read); more than
    50 megapixels, or a truncated, polyglot or empty file, 422. EXIF orientation is applied and
    every metadata field but the colour profile is removed (no GPS position is ever kept).
    Renditions are made on first request. Writers, editors and admins."""
    limit = get_settings().max_upload_bytes
    if file.size is not None and file.size > limit:
        raise UploadTooLarge(f"Uploads are limited to {limit} bytes")
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise UploadTooLarge(f"Uploads are limited to {limit} bytes")
    texts = {name: _text(name, value) for name, value in
             (("alt", alt), ("caption", caption), ("credit", credit))}
    by_id = user.id
    # Loading the user opened a transaction: end it and give the connection back before the
    # decode, which can take seconds (the insert below opens a new, short one).
    await run_in_threadpool(session.close)
    try:
        master = await run_in_threadpool(_ingest, data)
    except Rejected as exc:
        raise from_status(exc.status, exc.detail) from None
    finally:
        del data  # the upload's bytes: the master is all that is kept
    media_id = service.new_media_id()
    await run_in_threadpool(renditions.save_master, get_store(), media_id, master)
    media = await run_in_threadpool(
        service.create_media, session, media_id, master, **texts,
        focal=FocalPoint(x=focal_x, y=focal_y), by_id=by_id, now=now)
    response.headers["Location"] = str(request.url_for("get_media", media_id=media.id))
    return service.media_public(media)


@router.get("", response_model=MediaList, operation_id="listMedia", summary="List media",
            responses=problem_responses(400, 401, 422))
def list_media(request: Request, response: Response, session: SessionDep,
               params: PageParamsDep, _user: CurrentWriter) -> dict[str, Any]:
    """Every media object, newest first, with cursor pagination."""
    items, next_cursor = service.list_media(session, limit=params.limit, cursor=params.cursor)
    return envelope(request, response, [service.media_public(m) for m in items],
                    limit=params.limit, next_cursor=next_cursor)


@router.get("/{media_id}", response_model=MediaPublic, operation_id="getMedia",
            summary="Get a media object", responses=problem_responses(401, 404, 422))
def get_media(media: MediaDep) -> dict[str, Any]:
    """One media object with its renditions and `srcset`."""
    return service.media_public(media)


@router.patch("/{media_id}", response_model=MediaPublic, operation_id="updateMedia",
              summary="Change a media object's text or focal point",
              responses=problem_responses(401, 403, 404, 422))
def update_media(media: MediaDep, data: MediaChanges, session: SessionDep,
                 now: NowDep) -> dict[str, Any]:
    """Send only the fields to change: `alt`, `caption`, `credit` (plain text), `focal_point`
    (`{x, y}` in 0..1). A new focal point makes new crops under a new URL version. Articles keep
    the alt, caption and credit they were given when the image was set on them. Editors change
    any media object; writers those they uploaded."""
    old_version = media.version
    media = service.update_media(session, media, data, now=now)
    if media.version != old_version:
        get_store().delete_prefix(f"{media.id}/{old_version}/")
    return service.media_public(media)


@router.delete("/{media_id}", status_code=204, response_class=Response,
               operation_id="deleteMedia", summary="Delete a media object",
               responses=problem_responses(401, 403, 404, 409, 422))
def delete_media(media: MediaDep, session: SessionDep, _editor: CurrentEditor) -> None:
    """Removes the image and its renditions. One that a published or scheduled article shows
    (as its image or in its body) answers 409. Editors and admins."""
    media_id = media.id
    service.delete_media(session, media)
    get_store().delete_prefix(f"{media_id}/")
