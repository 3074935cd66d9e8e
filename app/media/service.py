"""Media use cases. Decoding and storing bytes happen before (upload) or after (delete) these
run, in worker threads: no transaction is open while an image is decoded or a store answers."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, or_
from sqlmodel import Session, col, select

from app.articles.models import Article, Status
from app.core.db import packed_text
from app.core.errors import Conflict
from app.core.ids import new_id
from app.core.pagination import SortKey, fetch_page
from app.core.patch import refuse_nulls
from app.media.images import media_image
from app.media.intake import Master
from app.media.models import FocalPoint, Media, MediaUpdate

NEWEST_FIRST = SortKey("media_newest", [(col(Media.created_at), True), (col(Media.id), True)])


def version_of(content_hash: str, focal_x: float, focal_y: float) -> str:
    return hashlib.sha256(f"{content_hash}:{focal_x:.4f}:{focal_y:.4f}".encode()).hexdigest()[:12]


def new_media_id() -> str:
    return new_id()


def media_public(media: Media) -> dict[str, Any]:
    return {**media_image(media), "id": media.id, "type": media.source_type,
            "size_bytes": media.size_bytes, "created_at": media.created_at,
            "updated_at": media.updated_at, "created_by_id": media.created_by_id}


def new_media(media_id: str, master: Master, *, alt: str | None, caption: str | None,
              credit: str | None, focal: FocalPoint, by_id: int | None, now: datetime) -> Media:
    """The row (not yet added) of an image whose master is already stored under `media_id`."""
    return Media(id=media_id, version=version_of(master.content_hash, focal.x, focal.y),
                 content_hash=master.content_hash, source_type=master.source_type,
                 master_format=master.fmt, width=master.width, height=master.height,
                 size_bytes=len(master.data), has_alpha=master.has_alpha, alt=alt,
                 caption=caption, credit=credit, focal_x=focal.x, focal_y=focal.y,
                 created_at=now, updated_at=now, created_by_id=by_id)


def create_media(session: Session, media_id: str, master: Master, *, alt: str | None,
                 caption: str | None, credit: str | None, focal: FocalPoint,
                 by_id: int | None, now: datetime) -> Media:
    """Adds and commits the row of an image whose master is already stored under `media_id`."""
    media = new_media(media_id, master, alt=alt, caption=caption, credit=credit, focal=focal,
                      by_id=by_id, now=now)
    session.add(media)
    session.commit()
    return media


def list_media(session: Session, *, limit: int, cursor: str | None) -> tuple[list[Media],
                                                                             str | None]:
    return fetch_page(session, select(Media), NEWEST_FIRST, limit=limit, cursor=cursor,
                      cursor_of=lambda m: (m.created_at, m.id))


def update_media(session: Session, media: Media, data: MediaUpdate, *, now: datetime) -> Media:
    given = data.model_fields_set
    refuse_nulls(data, "focal_point")
    for name in ("alt", "caption", "credit"):
        if name in given:
            setattr(media, name, getattr(data, name))
    if data.focal_point is not None:
        media.focal_x, media.focal_y = data.focal_point.x, data.focal_point.y
        media.version = version_of(media.content_hash, media.focal_x, media.focal_y)
    media.updated_at = now
    session.add(media)
    session.commit()
    return media


def published_users(session: Session, media_id: str, limit: int = 5) -> list[str]:
    """Slugs of live published or scheduled articles showing the media (as their image or in
    a block). A scan of the JSON as text: deletes are rare, and an id is 32 unique hex digits."""
    pattern = f'"{media_id}"'
    dialect = session.get_bind().dialect.name
    return list(session.exec(
        select(Article.slug).where(
            col(Article.status).in_([Status.published.value, Status.scheduled.value]),
            col(Article.deleted_at).is_(None),
            or_(cast(Article.image, Text).contains(pattern),
                packed_text(Article.body, dialect).contains(pattern)))
        .order_by(col(Article.slug)).limit(limit)).all())


def delete_media(session: Session, media: Media) -> None:
    users = published_users(session, media.id)
    if users:
        raise Conflict(f"Media {media.id} is shown by published articles "
                       f"({', '.join(users)}); replace it there first")
    session.delete(media)
    session.commit()
