from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict
from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime


class AuthorBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    bio: str | None = Field(default=None, max_length=5000)
    title: str | None = Field(default=None, max_length=200)
    avatar_url: str | None = Field(default=None, max_length=2000)


class Author(AuthorBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=200, unique=True)
    links: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    user_id: int | None = Field(default=None, foreign_key="user.id", unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class AuthorCreate(AuthorBase):
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]
    slug: str | None = Field(default=None, max_length=200)
    links: dict[str, str] = Field(default_factory=dict)
    user_id: int | None = None


class AuthorUpdate(SQLModel):
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]
    name: str | None = Field(default=None, min_length=1, max_length=200)
    bio: str | None = Field(default=None, max_length=5000)
    title: str | None = Field(default=None, max_length=200)
    avatar_url: str | None = Field(default=None, max_length=2000)
    links: dict[str, str] | None = None
    user_id: int | None = None


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
