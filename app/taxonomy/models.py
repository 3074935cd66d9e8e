from __future__ import annotations

from typing import Annotated

from pydantic import Field as PydanticField
from pydantic import StringConstraints
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.core.patch import Unset
from app.i18n.names import LanguageKey, LocalName

# Names in other languages: {"ne": "राजनीति"}; a section or tag in an article is named in the
# article's language when it has a name for it (app/i18n/names.py).
# (Keys that are not language tags are refused: the schema says so, not only the validator.)
_ONLY_TAGS = PydanticField(json_schema_extra={"additionalProperties": False})
Names = Annotated[dict[LanguageKey, LocalName], _ONLY_TAGS]
# `names` in a PATCH merges (RFC 7396): a language given as null removes that name alone;
# `"names": null` removes them all.
NamesPatch = Annotated[dict[LanguageKey, LocalName | None], _ONLY_TAGS]
NAMES_DESCRIPTION = ("The name in each language, by BCP 47 tag, e.g. "
                     '`{"en": "Politics", "ne": "राजनीति"}`; embedded in an article, `name` is '
                     "the one in the article's language when there is one")
NAMES_PATCH = ("Merges into the stored names (JSON Merge Patch): a language given as null "
               "removes that name, null removes every name")
NAMES_MAX = 20

SLUG_PATTERN = r"^[^\s/?#%]+$"
NameText = Annotated[str, StringConstraints(min_length=1, max_length=100)]
# An Annotated constraint: SQLModel's `Field(regex=...)` is not enforced under pydantic 2.
SlugText = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=SLUG_PATTERN)]


class SectionBase(SQLModel):
    name: str = Field(min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=1000)


class Section(SectionBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=100, unique=True)
    names: dict[str, str] | None = Field(default=None, sa_column=Column(JSON))
    position: int = Field(default=0, index=True)


class SectionCreate(SectionBase):
    model_config = {"extra": "forbid"}
    slug: SlugText | None = None
    names: Names | None = Field(default=None, max_length=20, description=NAMES_DESCRIPTION)
    position: int = Field(default=0, ge=0, le=10_000, description="Navigation order")


class SectionUpdate(SQLModel):
    model_config = {"extra": "forbid"}
    name: NameText | Unset = None
    description: str | None = Field(default=None, max_length=1000)
    names: NamesPatch | None = Field(default=None, max_length=20, description=NAMES_PATCH)
    position: Annotated[int, PydanticField(ge=0, le=10_000)] | Unset = None


class SectionRef(SQLModel):
    slug: str
    name: str


class SectionPublic(SectionRef):
    description: str | None = None
    article_count: int = 0
    names: dict[str, str] = {}
    position: int = 0


class SectionEditorial(SectionPublic):
    """A section as the Editorial API shows it; `article_count` counts every article that uses
    it, drafts and deleted ones included (a section can be deleted only at 0)."""

    id: int


class TagBase(SQLModel):
    name: str = Field(min_length=1, max_length=100)


class Tag(TagBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=100, unique=True)
    names: dict[str, str] | None = Field(default=None, sa_column=Column(JSON))


class TagCreate(TagBase):
    model_config = {"extra": "forbid"}
    slug: SlugText | None = None
    names: Names | None = Field(default=None, max_length=20, description=NAMES_DESCRIPTION)


class TagUpdate(SQLModel):
    model_config = {"extra": "forbid"}
    name: NameText | Unset = None
    names: NamesPatch | None = Field(default=None, max_length=20, description=NAMES_PATCH)


class TagRef(SQLModel):
    slug: str
    name: str


class TagPublic(TagRef):
    article_count: int = 0
    names: dict[str, str] = {}


class TagEditorial(TagPublic):
    """A tag as the Editorial API shows it; `article_count` counts articles of any status."""

    id: int


class ArticleTag(SQLModel, table=True):
    __tablename__ = "article_tag"
    article_id: str = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    tag_id: int = Field(foreign_key="tag.id", primary_key=True, index=True, ondelete="CASCADE")
