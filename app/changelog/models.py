"""The change log's tables."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import text
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime


class Kind(StrEnum):
    """What a change was for the public (webhook event names are `article.<kind>`)."""

    published = "published"
    updated = "updated"
    unpublished = "unpublished"
    killed = "killed"
    deleted = "deleted"
    corrected = "corrected"


class Reason(StrEnum):
    """Why a viewer must take an article down (a tombstone's `reason`)."""

    unpublished = "unpublished"
    deleted = "deleted"
    killed = "killed"
    out_of_scope = "out_of_scope"
    rights_withdrawn = "rights_withdrawn"


class ArticleChange(SQLModel, table=True):
    """The latest public change of each article. Feeds render each row against the article's
    current state for the caller (upsert when it may see it now, else a tombstone), so keeping
    only the latest change per article is enough for a mirror to converge. Articles that were
    never public have no row: their ids never reach anyone."""

    __tablename__ = "article_change"
    article_id: str = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    seq: int = Field(unique=True)
    kind: str = Field(default=Kind.updated.value, max_length=16)
    # Indexed: the newest is the public lists' Last-Modified (`queries.last_change`).
    at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    # Whether the article was public as of this change: the "before" of the next one.
    public: bool = False


class ChangeScope(SQLModel, table=True):
    """Every scope an article was ever public in: its (language, section) and whether its
    rights allowed syndication then. A viewer receives tombstones only for articles that were
    once public within its own filters or entitlement, never for ids it could never see."""

    __tablename__ = "change_scope"
    article_id: str = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    language: str = Field(primary_key=True, max_length=35)
    section_id: int = Field(default=0, primary_key=True)  # 0: no section
    syndicated: bool = Field(default=False, primary_key=True)
    # The latest change seq at which the article was public in this scope: a partner granted
    # the section later never saw it unless this is at or after the grant (`PartnerGrant`).
    seq: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})


ALL_SECTIONS = -1  # `PartnerScope.section_id` of an empty allowlist (every section)


class PartnerScope(SQLModel, table=True):
    """The sections a partner's allowlist held before its current one: its tombstones also
    cover articles it could see under an earlier allowlist (so a narrowed allowlist takes down
    what the partner may no longer keep)."""

    __tablename__ = "partner_scope"
    partner_id: int = Field(foreign_key="partner.id", primary_key=True, ondelete="CASCADE")
    section_id: int = Field(primary_key=True)  # ALL_SECTIONS for an empty allowlist


class PartnerGrant(SQLModel, table=True):
    """When each section of a partner's current allowlist entered it: the first `seq` the
    grant covers (ALL_SECTIONS: when the allowlist became empty, i.e. every section). No row:
    since the partner's creation. A widened allowlist thus sends no tombstones for articles
    that left the public before the partner could see them."""

    __tablename__ = "partner_grant"
    partner_id: int = Field(foreign_key="partner.id", primary_key=True, ondelete="CASCADE")
    section_id: int = Field(primary_key=True)
    seq: int
