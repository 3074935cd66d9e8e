from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import StringConstraints, field_validator
from sqlalchemy import JSON, Column, Index, text
from sqlmodel import Field, SQLModel

from app.articles.blocks import check_http_url, check_image_url
from app.core.db import UTCDateTime
from app.core.ids import RowId
from app.core.patch import Unset
from app.media.images import ImageInput, ImagePatch
from app.media.models import ImageObject


class AuthorBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    bio: str | None = Field(default=None, max_length=5000)
    title: str | None = Field(default=None, max_length=200)
    avatar_url: str | None = Field(default=None, max_length=2000)


class Author(AuthorBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=200, unique=True)
    links: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # An uploaded avatar, stored as articles store images (app/media/images.py).
    avatar: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    user_id: int | None = Field(default=None, foreign_key="user.id", unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    # How many of the author's articles are live (published or scheduled) and not deleted,
    # whatever their time: kept by `app.authors.counts` in every transaction that changes an
    # article's status, deletion or byline. The public count is this less the live ones whose
    # time has not come (`counts.public_count`), so the clock needs no writer.
    live_articles: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})


# A profile's links (website, social): a few named URLs, each bounded.
LINKS_MAX = 20
LinksInput = Annotated[dict[Annotated[str, StringConstraints(min_length=1, max_length=50)],
                            Annotated[str, StringConstraints(max_length=2000)]],
                       Field(max_length=LINKS_MAX)]


def _http_urls(_cls: type[SQLModel],
               value: str | dict[str, str] | None) -> str | dict[str, str] | None:
    """The avatar (an http(s) URL or a path on the site) and profile links (website, social;
    absolute http(s) URLs) are rendered as `src`/`href`: no other scheme gets that far."""
    if isinstance(value, dict):
        return {name: check_http_url(url) or "" for name, url in value.items()}
    return check_image_url(value)


class AuthorCreate(AuthorBase):
    model_config = {"extra": "forbid"}
    slug: str | None = Field(default=None, max_length=200)
    links: LinksInput = Field(default_factory=dict)
    user_id: RowId | None = None
    avatar: ImageInput | None = Field(
        default=None, description="An uploaded avatar by `media_id` (or an external `url`)")

    _urls = field_validator("avatar_url", "links")(classmethod(_http_urls))


# `links` in a PATCH merges (RFC 7396): a name given as null removes that link alone.
LinksPatch = Annotated[dict[Annotated[str, StringConstraints(min_length=1, max_length=50)],
                            Annotated[str, StringConstraints(max_length=2000)] | None],
                       Field(max_length=LINKS_MAX)]


def _patch_urls(_cls: type[SQLModel], value: str | dict[str, str | None] | None,
                ) -> str | dict[str, str | None] | None:
    if isinstance(value, dict):
        return {name: None if url is None else check_http_url(url) or ""
                for name, url in value.items()}
    return check_image_url(value)


class AuthorUpdate(SQLModel):
    model_config = {"extra": "forbid"}
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | Unset = None
    bio: str | None = Field(default=None, max_length=5000)
    title: str | None = Field(default=None, max_length=200)
    avatar_url: str | None = Field(default=None, max_length=2000)
    links: LinksPatch | None = None
    user_id: RowId | None = None
    # Merges into the stored avatar (RFC 7396), as an article's `image` does.
    avatar: ImagePatch | None = None

    _urls = field_validator("avatar_url", "links")(classmethod(_patch_urls))


class AuthorRef(SQLModel):
    """An author as list cards show it."""

    id: int
    slug: str
    name: str


class AuthorPublic(AuthorBase):
    id: int
    slug: str
    links: dict[str, str] = {}
    article_count: int = 0
    avatar: ImageObject | None = Field(default=None, description=(
        "The avatar as an image object (renditions include the square `1x1` crop); from "
        "`avatar_url` when only that is set"))


class AuthorEditorial(AuthorPublic):
    """An author as the Editorial API shows it; `article_count` counts articles of any status."""

    user_id: int | None = None
    created_at: datetime
    updated_at: datetime


class ArticleAuthor(SQLModel, table=True):
    """The ordered byline of an article."""

    __tablename__ = "article_author"
    __table_args__ = (Index("ix_article_author_author_id_article_id", "author_id", "article_id"),)
    article_id: str = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    author_id: int = Field(foreign_key="author.id", primary_key=True)
    position: int = 0
