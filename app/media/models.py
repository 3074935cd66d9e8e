"""The media table and the shapes that leave the API, the image object of every surface
included."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator
from pydantic import Field as PydanticField
from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from app.articles.blocks import plain_field
from app.core.db import UTCDateTime
from app.core.patch import Unset


class Media(SQLModel, table=True):
    """An uploaded image. The stored master has its EXIF orientation applied and no metadata
    but the colour profile; `version` names the bytes and focal point renditions are made
    from, so URLs carrying it can be cached for ever."""

    # The editorial list's keyset sort, ending in the tie-breaker `id`.
    __table_args__ = (Index("ix_media_created_at_id", "created_at", "id"),)

    id: str = Field(primary_key=True, max_length=32)
    version: str = Field(max_length=16)
    content_hash: str = Field(max_length=64)
    source_type: str = Field(max_length=32)  # the uploaded file's sniffed type
    master_format: str = Field(max_length=8)  # "jpeg" or "png": what `original` is stored as
    width: int
    height: int
    size_bytes: int
    has_alpha: bool = False
    alt: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    caption: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    credit: str | None = Field(default=None, max_length=500)
    focal_x: float = 0.5
    focal_y: float = 0.5
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime, index=True)
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class FocalPoint(BaseModel):
    x: float = PydanticField(ge=0, le=1)
    y: float = PydanticField(ge=0, le=1)


class Rendition(BaseModel):
    width: int
    height: int
    url: str
    type: str = PydanticField(description="The rendition's media type, e.g. `image/webp`")


IMAGE_EXAMPLE: dict[str, Any] = {
    "media_id": "018f3a2b4c5d6e7f8091a2b3c4d5e6f7", "width": 1600, "height": 900,
    "url": "https://api.example.com/media/018f3a2b4c5d6e7f8091a2b3c4d5e6f7/original.jpg"
           "?v=3fa9c2d41b7e",
    "alt": "Rescue workers on the riverbank", "caption": "The Koshi at Chatara",
    "credit": "Photo: A. Shrestha", "focal_point": {"x": 0.4, "y": 0.35},
    "renditions": [{"width": 320, "height": 180, "type": "image/webp",
                    "url": "https://api.example.com/media/018f3a2b4c5d6e7f8091a2b3c4d5e6f7/"
                           "w320.webp?v=3fa9c2d41b7e"}],
    "srcset": "https://api.example.com/media/018f3a2b4c5d6e7f8091a2b3c4d5e6f7/w320.webp"
              "?v=3fa9c2d41b7e 320w"}


class ImageObject(BaseModel):
    """An image as every surface returns it. For an image given by external `url` only,
    what the server cannot know is null and `renditions` is empty."""

    model_config = ConfigDict(json_schema_extra={"examples": [IMAGE_EXAMPLE]})

    media_id: str | None = None
    url: str
    width: int | None = None
    height: int | None = None
    alt: str | None = None
    caption: str | None = None
    credit: str | None = None
    focal_point: FocalPoint | None = None
    renditions: list[Rendition] = []
    srcset: str | None = PydanticField(
        default=None, description="The width ladder as an HTML `srcset` value (WebP)")


class MediaPublic(ImageObject):
    """A media object as the Editorial API shows it."""

    # Its own example: the image object's lacks the media object's required fields.
    model_config = ConfigDict(json_schema_extra={"examples": [{
        **IMAGE_EXAMPLE, "id": "018f3a2b4c5d6e7f8091a2b3c4d5e6f7", "type": "image/jpeg",
        "size_bytes": 482113, "created_at": "2026-12-03T10:00:00Z",
        "updated_at": "2026-12-03T10:00:00Z", "created_by_id": 1}]})

    media_id: str
    id: str
    type: str = PydanticField(description="The uploaded file's type, sniffed from its bytes")
    size_bytes: int
    created_at: datetime
    updated_at: datetime
    created_by_id: int | None = None


PlainAlt = Annotated[str, StringConstraints(max_length=2000)]
PlainCaption = Annotated[str, StringConstraints(max_length=2000)]
PlainCredit = Annotated[str, StringConstraints(max_length=500)]


class MediaUpdate(BaseModel):
    """PATCH body: only the fields to change; `focal_point` moves the crops (and changes the
    rendition URLs' version)."""

    model_config = ConfigDict(extra="forbid")
    alt: PlainAlt | None = None
    caption: PlainCaption | None = None
    credit: PlainCredit | None = None
    focal_point: FocalPoint | Unset = None

    @field_validator("alt", "caption", "credit")
    @classmethod
    def _plain_text(cls, value: str | None) -> str | None:
        if value is not None and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return plain_field(value)


def stored_fields(media: Media) -> dict[str, Any]:
    """What an article or block keeps of a media object it shows (see app/media/images.py)."""
    return {"media_id": media.id, "width": media.width, "height": media.height,
            "v": media.version, "fmt": media.master_format,
            "focal_point": {"x": media.focal_x, "y": media.focal_y}}
