"""Loading a media object for the Editorial API, and who may change it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from app.core.db import SessionDep
from app.core.errors import Forbidden, NotFound
from app.media.models import Media, MediaUpdate
from app.users.dependencies import CurrentWriter
from app.users.models import Role

MediaId = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[0-9a-f]+$",
                              description="The media object's id")]


def get_media(media_id: MediaId, session: SessionDep, _user: CurrentWriter) -> Media:
    media = session.get(Media, media_id)
    if media is None:
        raise NotFound(f"No media object with id {media_id}")
    return media


MediaDep = Annotated[Media, Depends(get_media)]


def media_changes(data: MediaUpdate, media: MediaDep, user: CurrentWriter) -> MediaUpdate:
    """Editors change any media object; a writer only the ones they uploaded."""
    if user.role == Role.writer and media.created_by_id != user.id:
        raise Forbidden("Writers can change only the media they uploaded")
    return data


MediaChanges = Annotated[MediaUpdate, Depends(media_changes)]
