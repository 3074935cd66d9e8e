from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import StringConstraints
from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime
from app.core.ids import RowId
from app.core.patch import Unset
from app.i18n.bikram_sambat import BsDate
from app.media.models import ImageObject

LanguageText = Annotated[str, StringConstraints(max_length=35,
                                                 pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")]


class BriefBase(SQLModel):
    dateline: str | None = Field(default=None, max_length=100)
    headline: str = Field(min_length=1, max_length=300)
    summary: str | None = Field(default=None, max_length=2000)


class Brief(BriefBase, table=True):
    __table_args__ = (Index("ix_brief_date_position", "date", "position"),
                      Index("ix_brief_language_date_position", "language", "date", "position"))
    id: int | None = Field(default=None, primary_key=True)
    date: dt.date
    language: str = Field(default="en", max_length=35)
    position: int = 0
    article_id: str | None = Field(default=None, foreign_key="article.id", ondelete="SET NULL")
    published_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(sa_type=UTCDateTime)
    deleted_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class BriefCreate(BriefBase):
    model_config = {"extra": "forbid"}
    date: dt.date
    position: int | None = Field(default=None, ge=0, le=10_000)
    article_id: str | None = Field(default=None, max_length=32)
    published: bool = True
    language: LanguageText = Field(default="en", description="BCP 47 language tag")


class BriefUpdate(SQLModel):
    model_config = {"extra": "forbid"}
    dateline: str | None = Field(default=None, max_length=100)
    headline: Annotated[str, StringConstraints(min_length=1, max_length=300)] | Unset = None
    summary: str | None = Field(default=None, max_length=2000)
    date: dt.date | Unset = None
    position: int | None = Field(default=None, ge=0, le=10_000)
    article_id: str | None = Field(default=None, max_length=32)
    published: bool | None = None
    language: LanguageText | Unset = None


class BriefArticleRef(SQLModel):
    id: str
    slug: str
    title: str
    image: ImageObject | None = None


class BriefPublic(BriefBase):
    id: int
    date: dt.date
    position: int
    article: BriefArticleRef | None = None
    published_at: dt.datetime | None
    language: str = "en"
    date_bs: BsDate | None = Field(default=None,
                                   description="`date` in Bikram Sambat (Nepal's calendar)")


class BriefEditorial(BriefPublic):
    """A brief as the Editorial API shows it: unpublished and deleted ones too, and `article`
    whatever the story's status."""

    article_id: str | None = None
    deleted_at: dt.datetime | None = None
    created_at: dt.datetime
    updated_at: dt.datetime


class BriefOrder(SQLModel):
    model_config = {"extra": "forbid"}
    ids: list[RowId] = Field(max_length=1000, description=(
        "Every live brief of the day, in the order they should appear"))


class BriefDay(SQLModel):
    """One day's briefs in page order."""

    date: dt.date
    data: list[BriefEditorial]
