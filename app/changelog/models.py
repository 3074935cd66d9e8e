"""The change log's tables."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ScalarSelect, false, literal_column, select, text
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
    # A change only partners with embargo access see (the article is not public before or
    # after it): no event, no content version, no public `Last-Modified`.
    embargoed = "embargoed"


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
    never public (nor scheduled: embargoed) have no row: their ids never reach anyone."""

    __tablename__ = "article_change"
    article_id: str = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    seq: int = Field(unique=True)
    kind: str = Field(default=Kind.updated.value, max_length=16)
    # Indexed: the newest is the public lists' Last-Modified (`queries.last_change`).
    at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    # Whether the article was public as of this change: the "before" of the next one.
    public: bool = False
    # Whether it was scheduled and not yet public (embargoed) as of this change.
    early: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class ChangeScope(SQLModel, table=True):
    """Every scope an article was ever public in: its (language, section) and whether its
    rights allowed syndication then. A viewer receives tombstones only for articles that were
    once public within its own filters or entitlement, never for ids it could never see."""

    __tablename__ = "change_scope"
    article_id: str = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    language: str = Field(primary_key=True, max_length=35)
    section_id: int = Field(default=0, primary_key=True)  # 0: no section
    syndicated: bool = Field(default=False, primary_key=True)
    # The latest (and first) change seq at which the article was shown in this scope, public
    # or embargoed: a partner with embargo access granted the section later never saw it
    # unless `seq` is at or after the grant (`PartnerGrant`), nor after a revocation unless it
    # was first shown before it (`PartnerScope`). Other partners compare `public_seq` and
    # `first_public_seq` instead.
    seq: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})
    first_seq: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})  # likewise
    # The first seq at which it was public here, what a partner without embargo access could
    # first see; None for a scope the article was only ever embargoed in, which counts only
    # for partners with embargo access, so nobody else learns the id of a story before its time.
    first_public_seq: int | None = Field(default=None)
    # The latest seq at which it was public here: what a partner without embargo access
    # compares with its grant. `seq` moves with embargoed changes too, so an article public
    # here only before the partner's grant, then scheduled again, would have looked seen.
    public_seq: int | None = Field(default=None)


class StaleKey(SQLModel, table=True):
    """The Surrogate-Keys each content version made stale: what response caches in every
    process drop when they see the version move (`app/core/cache.py`), instead of everything.
    Every move has at least one row; `*` means everything (a change whose keys are not known, or
    too many to list). Rows older than `STALE_KEYS_KEPT` versions are pruned: a process that
    finds a version without rows drops all its entries."""

    __tablename__ = "stale_key"
    version: int = Field(primary_key=True)
    key: str = Field(primary_key=True, max_length=200)


EVERYTHING = "*"  # `StaleKey.key`: every response is stale
STALE_KEYS_KEPT = 10_000  # content versions whose stale keys are kept
MAX_STALE_KEYS = 500  # more keys than this in one change are recorded as EVERYTHING


ALL_SECTIONS = -1  # `PartnerScope.section_id` of an empty allowlist (every section)


class PartnerScope(SQLModel, table=True):
    """The sections a partner's allowlist held before its current one, and when (from the
    `granted` seq to before the `revoked` one; several spells merge into one span): its
    tombstones also cover articles public in such a section then (so a narrowed allowlist takes
    down what the partner may no longer keep, and nothing published after it)."""

    __tablename__ = "partner_scope"
    partner_id: int = Field(foreign_key="partner.id", primary_key=True, ondelete="CASCADE")
    section_id: int = Field(primary_key=True)  # ALL_SECTIONS for an empty allowlist
    granted: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})
    # Rows older than these columns: as if never revoked.
    revoked: int = Field(default=2**31 - 1, sa_column_kwargs={
        "server_default": text(str(2**31 - 1))})


class PartnerGrant(SQLModel, table=True):
    """When each section of a partner's current allowlist entered it: the first `seq` the
    grant covers (ALL_SECTIONS: when the allowlist became empty, i.e. every section). No row:
    since the partner's creation. A widened allowlist thus sends no tombstones for articles
    that left the public before the partner could see them."""

    __tablename__ = "partner_grant"
    partner_id: int = Field(foreign_key="partner.id", primary_key=True, ondelete="CASCADE")
    section_id: int = Field(primary_key=True)
    seq: int


def latest_public_change() -> ScalarSelect[Any]:
    """When the public last saw an article change: the newest `at` of a change that was not
    embargoed (those are only partners' business). Newest first on `ix_article_change_at`,
    stopping at the first public one (a filtered `max()` would read the whole log)."""
    change = ArticleChange.__table__.c
    return (select(change.at)
            .where(change.at.is_not(None), change.kind != literal_column("'embargoed'"))
            .order_by(change.at.desc()).limit(1).scalar_subquery())
