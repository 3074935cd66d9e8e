"""Article tables and the shapes that leave the API."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator, model_validator
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column, Index, UniqueConstraint, false, text
from sqlmodel import Field, SQLModel

from app.articles.blocks import (
    Block,
    MarkupBudget,
    check_http_url,
)
from app.authors.models import AuthorPublic, AuthorRef
from app.core.db import PackedJSON, PackedText, UTCDateTime
from app.core.patch import Unset
from app.i18n.bikram_sambat import BsDate
from app.media.images import ImageInput, ImagePatch
from app.media.models import ImageObject
from app.taxonomy.models import SectionRef, TagRef


class Status(StrEnum):
    draft = "draft"
    scheduled = "scheduled"
    published = "published"
    killed = "killed"  # withdrawn for legal or ethical reasons; only an admin brings it back


class Syndication(StrEnum):
    allowed = "allowed"
    denied = "denied"


NEVER_PUBLIC = "status NOT IN ('published', 'scheduled') OR deleted_at IS NOT NULL"
SCHEDULED = "status = 'scheduled' AND deleted_at IS NULL"


class Article(SQLModel, table=True):
    __table_args__ = (
        # Every keyset sort has an index that ends in the tie-breaker `id`.
        Index("ix_article_published_at_id", "published_at", "id"),
        Index("ix_article_updated_at_id", "updated_at", "id"),
        Index("ix_article_section_id_published_at_id", "section_id", "published_at", "id"),
        Index("ix_article_language_published_at_id", "language", "published_at", "id"),
        # The articles no passing time makes public (visibility.never_public), for search's
        # count: revision 0015.
        Index("ix_article_never_public", "published_at",
              sqlite_where=text(NEVER_PUBLIC), postgresql_where=text(NEVER_PUBLIC)),
        # The scheduled articles by time, a handful: "is one due?" (every sync and partner
        # feed request, each sweep) and the response cache's "when is the next one due?" read
        # them alone, not every article published before now (revision 0019).
        Index("ix_article_scheduled", "published_at",
              sqlite_where=text(SCHEDULED), postgresql_where=text(SCHEDULED)),
    )

    id: str = Field(primary_key=True, max_length=32)
    slug: str = Field(max_length=200, unique=True)
    title: str = Field(max_length=300)
    subtitle: str | None = Field(default=None, max_length=500)
    excerpt: str | None = Field(default=None, max_length=2000)
    body: list[dict[str, Any]] = Field(default_factory=list,
                                       sa_column=Column(PackedJSON, nullable=False))
    body_html: str = Field(default="", sa_column=Column(PackedText, nullable=False))
    body_text: str = Field(default="", sa_column=Column(PackedText, nullable=False))
    section_id: int | None = Field(default=None, foreign_key="section.id")
    language: str = Field(default="en", max_length=35)
    # The id of the first article of its translation group (app/i18n/translations.py).
    translation_group: str | None = Field(default=None, max_length=32, index=True)
    status: str = Field(default=Status.draft, max_length=16)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revision: int = 1
    word_count: int = 0
    reading_time_minutes: int = 0
    source_name: str | None = Field(default=None, max_length=200)
    source_url: str | None = Field(default=None, max_length=2000)
    copyright_holder: str | None = Field(default=None, max_length=200)
    syndication: str = Field(default=Syndication.allowed, max_length=16)
    usage_terms: str | None = Field(default=None, max_length=1000)
    canonical_url: str | None = Field(default=None, max_length=2000)
    image: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_by_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    kill_reason: str | None = Field(default=None, max_length=1000)
    # Set by editors: the front page's featured strip and `/v1/articles?featured=true`.
    featured: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class SlugHistory(SQLModel, table=True):
    """Slugs an article had before: the Content API answers them with a 301."""

    __tablename__ = "slug_history"
    slug: str = Field(primary_key=True, max_length=200)
    article_id: str = Field(foreign_key="article.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(sa_type=UTCDateTime)


class ArticleRevision(SQLModel, table=True):
    """The full state of an article before a change, with who made the change and when."""

    __tablename__ = "article_revision"
    __table_args__ = (UniqueConstraint("article_id", "revision"),)
    id: int | None = Field(default=None, primary_key=True)
    article_id: str = Field(foreign_key="article.id", ondelete="CASCADE")
    revision: int
    snapshot: dict[str, Any] = Field(sa_column=Column(PackedJSON, nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(sa_type=UTCDateTime)


# ---- shapes that leave the API ---------------------------------------------------------------


class Source(BaseModel):
    name: str
    url: str | None = None


class Rights(BaseModel):
    copyright_holder: str | None = None
    syndication: Syndication = Syndication.allowed
    usage_terms: str | None = None


# The v1 name of an article's image input (still what importers build).
Image = ImageInput


class TranslationRef(BaseModel):
    language: str
    id: str
    slug: str
    url: str


class CorrectionPublic(BaseModel):
    """A public notice appended to a published article; never edited or removed."""

    kind: str = PydanticField(description="`correction`, `clarification` or `update`")
    text: str
    at: datetime


class ArticleCard(BaseModel):
    """An article as lists show it."""

    id: str
    slug: str
    title: str
    subtitle: str | None = None
    excerpt: str | None = None
    section: SectionRef | None = None
    authors: list[AuthorRef] = []
    tags: list[TagRef] = []
    language: str
    published_at: datetime | None = None
    updated_at: datetime
    reading_time_minutes: int
    image: ImageObject | None = None
    published_date_bs: BsDate | None = PydanticField(
        default=None, description="`published_at` in Bikram Sambat, on the publisher's calendar "
        "(KHABAR_TIMEZONE)")
    body: list[Block] | None = None
    body_html: str | None = None
    body_text: str | None = None


class ArticlePublic(ArticleCard):
    """One article in full."""

    authors: list[AuthorPublic] = []  # type: ignore[assignment]  # full authors, not refs
    word_count: int
    source: Source | None = None
    rights: Rights
    canonical_url: str | None = None
    structured_data: dict[str, Any] | None = None
    translations: list[TranslationRef] = PydanticField(
        default=[], description="The article's published translations (other languages)")
    corrections: list[CorrectionPublic] = []


# ---- editorial input and output ----------------------------------------------------------------


class RightsInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    copyright_holder: str | None = PydanticField(default=None, max_length=200)
    syndication: Syndication | None = None
    usage_terms: str | None = PydanticField(default=None, max_length=1000)


class SourceInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = PydanticField(min_length=1, max_length=200)
    url: str | None = PydanticField(default=None, max_length=2000)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return check_http_url(value)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _both_given(a: str, b: str) -> dict[str, Any]:
    return {"required": [a, b], "properties": {a: {"not": {"type": "null"}},
                                               b: {"not": {"type": "null"}}}}


# `_one_body_form` in JSON Schema, so clients and schema-driven tools see the rule: no two of
# the body forms given (non-null) at once.
ONE_BODY_FORM: dict[str, Any] = {"anyOf": [
    _both_given("body", "body_html"), _both_given("body", "body_text"),
    _both_given("body_html", "body_text")]}


class _ArticleFields(BaseModel):
    """Fields a client may write. Server-owned ones (id, status, revision, timestamps, counts)
    are not here, and `extra="forbid"` answers them with 422 instead of ignoring them."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"not": ONE_BODY_FORM})

    slug: str | None = PydanticField(default=None, min_length=1, max_length=120)
    subtitle: str | None = PydanticField(default=None, max_length=500)
    excerpt: str | None = PydanticField(default=None, max_length=2000)
    body: list[Block] | None = PydanticField(default=None, max_length=2000)
    body_html: str | None = PydanticField(default=None, max_length=900_000)
    body_text: str | None = PydanticField(default=None, max_length=900_000)
    section: str | None = PydanticField(default=None, max_length=100, description="Section slug")
    # Items bounded like the columns they end up in (a tag's name, an author's slug).
    tags: list[Annotated[str, StringConstraints(max_length=100)]] | None = PydanticField(
        default=None, max_length=50, description="Tag slugs or names; unknown tags are created")
    authors: list[Annotated[str, StringConstraints(max_length=200)]] | None = PydanticField(
        default=None, min_length=1, max_length=20, description="Author slugs, in byline order")
    translation_of: str | None = PydanticField(
        default=None, max_length=32, description="The id of the article this one translates "
        "(another language); both then list each other in `translations`")
    # As long as the column: the pattern alone admits any number of subtags.
    language: str | None = PydanticField(default=None, max_length=35,
                                         pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
    source: SourceInput | None = None
    rights: RightsInput | None = None
    canonical_url: str | None = PydanticField(default=None, max_length=2000)
    image: ImageInput | None = PydanticField(
        default=None, description="An uploaded image by `media_id`, or an external `url`")

    @field_validator("canonical_url")
    @classmethod
    def _http_canonical_url(cls, value: str | None) -> str | None:
        return check_http_url(value)

    @model_validator(mode="before")
    @classmethod
    def _bounded_markup(cls, data: Any) -> Any:
        # One budget for every block of the body, checked before any block is sanitized: 50
        # blocks at the per-fragment bound would add up to seconds of parsing.
        if isinstance(data, dict) and isinstance(data.get("body"), list):
            budget = MarkupBudget()
            for text in _strings(data["body"]):
                budget.check(text)
        return data

    @model_validator(mode="after")
    def _one_body_form(self) -> _ArticleFields:
        given = [n for n in ("body", "body_html", "body_text") if getattr(self, n) is not None]
        if len(given) > 1:
            raise ValueError(f"give one of body, body_html, body_text (got {', '.join(given)})")
        return self


class ArticleCreate(_ArticleFields):
    title: str = PydanticField(min_length=1, max_length=300)


class SourcePatch(BaseModel):
    """`source` in a PATCH: the fields given merge into the stored ones (RFC 7396)."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = PydanticField(default=None, min_length=1, max_length=200)
    url: str | None = PydanticField(default=None, max_length=2000)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return check_http_url(value)


class ArticleUpdate(_ArticleFields):
    title: Annotated[str, StringConstraints(min_length=1, max_length=300)] | Unset = None
    # Nested objects merge (JSON Merge Patch): `{"rights": {"usage_terms": "..."}}` keeps the
    # holder and the syndication flag; a field given as null removes just that field.
    # (patch types in place of the create's: the ignores)
    source: SourcePatch | None = None  # type: ignore[assignment]
    image: ImagePatch | None = None  # type: ignore[assignment]
    # Rights can be changed field by field, never removed: no null in the schema (a sent null
    # is refused with 422, as for `title`).
    rights: RightsInput | Unset = None
    featured: bool | Unset = PydanticField(default=None, description=(
        "On the front page's featured strip (editors and admins only)"))


class PublishRequest(BaseModel):
    # `_one_time` in JSON Schema: both times given (non-null) is refused.
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "not": _both_given("publish_at", "published_at")})
    publish_at: datetime | None = PydanticField(
        default=None, description="A future time schedules the article; omitted means now")
    published_at: datetime | None = PydanticField(default=None, description=(
        "Admins only: publish with this past publication time (an archive's original date). "
        "A future time is refused: schedule with `publish_at`"))

    @model_validator(mode="after")
    def _one_time(self) -> PublishRequest:
        if self.publish_at is not None and self.published_at is not None:
            raise ValueError("give publish_at (schedule) or published_at (backdate), not both")
        return self


class _EditorialState(BaseModel):
    """What the newsroom sees of an article beyond its public fields. Named first among a
    model's bases, so these come after the public ones (pydantic orders fields from the last
    base to the first), as clients have always received them."""

    status: Status
    revision: int
    created_at: datetime
    deleted_at: datetime | None = None
    created_by_id: int | None = None
    featured: bool = False


class ArticleEditorial(_EditorialState, ArticlePublic):
    """An article as the newsroom sees it: every status, with its revision for `If-Match`."""


class ArticleEditorialCard(_EditorialState, ArticleCard):
    """An article as editorial lists show it."""


class RevisionSummary(BaseModel):
    revision: int
    created_at: datetime
    created_by_id: int | None
    title: str


class RevisionDetail(RevisionSummary):
    snapshot: dict[str, Any]
