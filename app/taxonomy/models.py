from __future__ import annotations

from pydantic import ConfigDict
from sqlmodel import Field, SQLModel

SLUG_PATTERN = r"^[^\s/?#%]+$"


class SectionBase(SQLModel):
    name: str = Field(min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=1000)


class Section(SectionBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=100, unique=True)


class SectionCreate(SectionBase):
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]
    slug: str | None = Field(default=None, max_length=100, regex=SLUG_PATTERN)


class SectionUpdate(SQLModel):
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]
    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=1000)


class SectionRef(SQLModel):
    slug: str
    name: str


class SectionPublic(SectionRef):
    description: str | None = None
    article_count: int = 0


class TagBase(SQLModel):
    name: str = Field(min_length=1, max_length=100)


class Tag(TagBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=100, unique=True)


class TagCreate(TagBase):
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]
    slug: str | None = Field(default=None, max_length=100, regex=SLUG_PATTERN)


class TagUpdate(SQLModel):
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]
    name: str | None = Field(default=None, min_length=1, max_length=100)


class TagRef(SQLModel):
    slug: str
    name: str


class TagPublic(TagRef):
    article_count: int = 0


class ArticleTag(SQLModel, table=True):
    __tablename__ = "article_tag"
    article_id: str = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    tag_id: int = Field(foreign_key="tag.id", primary_key=True, index=True, ondelete="CASCADE")
