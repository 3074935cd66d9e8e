"""The image object of every surface, made from what an article, block or author stores.

An article stores, for an uploaded image, the media's id, size, version and focal point with
its own alt, caption and credit (given when it was linked, else the media's); URLs, renditions
and `srcset` are worked out here when rendering, with no query, so the fast row renderer and
the feeds pay nothing per image. An external image stores its URL and what the client said.
"""

from __future__ import annotations

import functools
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from pydantic import Field as PydanticField
from sqlmodel import Session

from app.articles.blocks import Block, ImageBlock, check_image_url, plain_field
from app.core.config import get_settings
from app.core.errors import Unprocessable
from app.feeds.urls import ascii_url
from app.media.models import Media, stored_fields
from app.media.variants import CROPS, FORMATS, LADDER, parse

RENDITION_FORMAT = "webp"


class ImagePatch(BaseModel):
    """`image` in a PATCH: the fields given merge into the stored ones (RFC 7396); switching
    from `url` to `media_id` sends the other as null."""

    model_config = ConfigDict(extra="forbid")
    media_id: str | None = PydanticField(default=None, max_length=32)
    url: str | None = PydanticField(default=None, max_length=2000)
    alt: str | None = PydanticField(default=None, max_length=2000)
    caption: str | None = PydanticField(default=None, max_length=2000)
    credit: str | None = PydanticField(default=None, max_length=500)
    width: int | None = PydanticField(default=None, ge=1, le=100_000)
    height: int | None = PydanticField(default=None, ge=1, le=100_000)

    @field_validator("url")
    @classmethod
    def _image_url(cls, value: str | None) -> str | None:
        return check_image_url(value)

    @field_validator("alt", "caption", "credit")
    @classmethod
    def _plain(cls, value: str | None) -> str | None:
        return plain_field(value)


class ImageInput(ImagePatch):
    """An image to show: an uploaded one by `media_id`, or an external one by `url`. Alt,
    caption and credit default to the media object's. The fields and checks of `ImagePatch`,
    with exactly one source."""

    # Exactly one source, stated in the schema too: a string `media_id` or a string `url`
    # (`_one_source` enforces it).
    model_config = ConfigDict(extra="forbid", json_schema_extra={"oneOf": [
        {"required": ["media_id"], "properties": {"media_id": {"type": "string"}}},
        {"required": ["url"], "properties": {"url": {"type": "string"}}},
    ]})

    @model_validator(mode="after")
    def _one_source(self) -> ImageInput:
        if (self.media_id is None) == (self.url is None):
            raise ValueError("give exactly one of media_id and url")
        return self


def patched_image(stored: Mapping[str, Any] | None, patch: ImagePatch | None,
                  loc: str) -> ImageInput | None:
    """An image after a PATCH (an article's `image`, an author's `avatar`): the fields given
    merge into what was given before (RFC 7396, app/core/patch.py). An uploaded image's size
    comes from its media object, never from the merge. A merge that leaves no source is a 422
    naming `url`."""
    from app.core.patch import given_fields, merge_patch, merged_object

    current = {k: v for k in ImageInput.model_fields
               if (v := (stored or {}).get(k)) is not None}
    if current.get("media_id"):
        current.pop("width", None)
        current.pop("height", None)
    after = merge_patch(current, given_fields(patch)) if patch is not None else None
    if after and after.get("media_id") is None and after.get("url") is None:
        raise Unprocessable(f"{loc} needs a url (or a media_id)", errors=[
            {"loc": ["body", loc, "url"], "msg": "give exactly one of media_id and url"}])
    merged = merged_object(current, patch, ImageInput, loc=loc)
    return ImageInput.model_validate(merged) if merged else None


def media_url(media_id: str, variant: str, ext: str, version: str) -> str:
    base = get_settings().public_base_url.rstrip("/")
    return f"{base}/media/{media_id}/{variant}.{ext}?v={version}"


def _ext(fmt: str) -> str:
    return "jpg" if fmt == "jpeg" else fmt


def renditions(media_id: str, width: int, height: int, version: str,
               focal: tuple[float, float]) -> tuple[list[dict[str, Any]], str | None]:
    """The width ladder (never wider than the original; the original width itself when it
    falls between rungs) then the named crops, all WebP; and the ladder's `srcset`."""
    kind = FORMATS[RENDITION_FORMAT]
    sizes = _sizes(width, height, *focal)
    # `Rendition`'s field order, as the model-based presenters dump it.
    items = [{"width": w, "height": h, "url": media_url(media_id, name, RENDITION_FORMAT, version),
              "type": kind} for name, w, h in sizes]
    ladder = ", ".join(f"{r['url']} {r['width']}w"
                       for r, (name, _, _) in zip(items, sizes, strict=True) if _is_ladder(name))
    return items, ladder or None


@functools.lru_cache(maxsize=1024)
def _sizes(width: int, height: int, fx: float, fy: float) -> tuple[tuple[str, int, int], ...]:
    """Each rendition's name and output size: the same for every image of one size and focal
    point (a newsroom's photos come in a few), so worked out once, not per image per read."""
    names = [f"w{w}" for w in LADDER if w <= width]
    if width < LADDER[-1] and width not in LADDER:
        names.append("original")
    names += list(CROPS)
    out = []
    for name in names:
        variant = parse(name)
        assert variant is not None
        _, (w, h) = variant.geometry(width, height, fx, fy)
        out.append((name, w, h))
    return tuple(out)


def _is_ladder(name: str) -> bool:
    return name == "original" or name.startswith("w")


def image_object(stored: dict[str, Any] | None) -> dict[str, Any] | None:
    """`ImageObject`, dumped, in its field order."""
    if not stored:
        return None
    media_id = stored.get("media_id")
    if media_id is None:
        return {"media_id": None, "url": stored.get("url"), "width": stored.get("width"),
                "height": stored.get("height"), "alt": stored.get("alt"),
                "caption": stored.get("caption"), "credit": stored.get("credit"),
                "focal_point": None, "renditions": [], "srcset": None}
    width, height, version = stored["width"], stored["height"], stored["v"]
    focal = stored.get("focal_point") or {"x": 0.5, "y": 0.5}
    items, ladder = renditions(media_id, width, height, version, (focal["x"], focal["y"]))
    return {"media_id": media_id, "url": media_url(media_id, "original", _ext(stored["fmt"]),
                                                    version),
            "width": width, "height": height, "alt": stored.get("alt"),
            "caption": stored.get("caption"), "credit": stored.get("credit"),
            "focal_point": {"x": focal["x"], "y": focal["y"]}, "renditions": items,
            "srcset": ladder}


def media_image(media: Media) -> dict[str, Any]:
    """A media object's own image object (its alt, caption and credit)."""
    image = image_object(stored_of(media))
    assert image is not None
    return image


def stored_of(media: Media, given: ImageInput | None = None) -> dict[str, Any]:
    fields = given.model_fields_set if given is not None else set()
    own = {name: getattr(given, name) if name in fields else getattr(media, name)
           for name in ("alt", "caption", "credit")}
    return {**stored_fields(media), **own}


def stored_image(session: Session, image: ImageInput | None,
                 loc: tuple[str | int, ...] = ("body", "image")) -> dict[str, Any] | None:
    """What an article (or block) stores for an image given to the API: an unknown
    `media_id` is a 422 naming where it was given."""
    if image is None:
        return None
    if image.media_id is None:
        return image.model_dump(exclude={"media_id"})
    media = session.get(Media, image.media_id)
    if media is None:
        raise Unprocessable(f"No media object with id {image.media_id!r}",
                            errors=[{"loc": [*loc, "media_id"], "msg": "unknown media_id"}])
    return stored_of(media, image)


def image_json_ld(image: Mapping[str, Any]) -> dict[str, Any]:
    """schema.org `ImageObject` of an image object (Google wants the size of article images;
    an external image given without one goes without), its URL as an ASCII URL."""
    url = ascii_url(image["url"])
    data: dict[str, Any] = {"@type": "ImageObject", "url": url}
    for key in ("width", "height"):
        if image.get(key):
            data[key] = image[key]
    if image.get("caption"):
        data["caption"] = image["caption"]
    if image.get("credit"):
        data["creditText"] = image["credit"]
    return data



def author_avatar(stored: dict[str, Any] | None, avatar_url: str | None) -> dict[str, Any] | None:
    """An author's avatar: the uploaded one, else `avatar_url` as an external image."""
    if stored:
        return image_object(stored)
    return image_object({"url": avatar_url}) if avatar_url else None


@dataclass(frozen=True)
class FeedImage:
    """An image as feeds carry it (RSS enclosure and `media:content`, Atom enclosure link,
    JSON Feed `image`): one JPEG every reader can show, at most 1280 wide."""

    url: str
    type: str
    width: int | None = None
    height: int | None = None


FEED_WIDTH = 1280


def feed_image(stored: dict[str, Any] | None) -> FeedImage | None:
    if not stored:
        return None
    media_id = stored.get("media_id")
    if media_id is None:
        url = stored.get("url")
        if not url:
            return None
        guessed = mimetypes.guess_type(url.split("?", 1)[0])[0]
        return FeedImage(url, guessed if guessed and guessed.startswith("image/")
                         else "image/jpeg", stored.get("width"), stored.get("height"))
    width, height = stored["width"], stored["height"]
    name = f"w{FEED_WIDTH}" if width > FEED_WIDTH else "original"
    variant = parse(name)
    assert variant is not None
    _, (w, h) = variant.geometry(width, height, 0.5, 0.5)
    return FeedImage(media_url(media_id, name, "jpg", stored["v"]), "image/jpeg", w, h)


def resolved_blocks(session: Session, blocks: list[Block] | None) -> list[Block] | None:
    """A body with each uploaded image's block filled in from its media object (an unknown
    `media_id` is a 422 naming the block). Stored as filled in, so reads do no work, as
    `body_html` always was."""
    if blocks is None:
        return None
    out: list[Block] = []
    for index, block in enumerate(blocks):
        if isinstance(block, ImageBlock) and block.media_id is not None:
            given = ImageInput(media_id=block.media_id, **{
                name: getattr(block, name) for name in ("alt", "caption", "credit")
                if name in block.model_fields_set})
            stored = stored_image(session, given, ("body", "body", index))
            assert stored is not None
            block = image_block(stored)
        out.append(block)
    return out


def image_block(stored: dict[str, Any]) -> ImageBlock:
    """The body block showing a stored image, filled in."""
    return ImageBlock.model_validate({"type": "image", **(image_object(stored) or {})},
                                     context={"stored": True})
