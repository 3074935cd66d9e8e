from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import StringConstraints
from sqlalchemy import JSON, Column, false
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime


class Partner(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    # An empty allowlist means every section.
    sections: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    rate_limit: str | None = Field(default=None, max_length=32)
    # Receives scheduled articles before their time, marked `embargoed_until`.
    embargo_access: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    key_prefix: str = Field(max_length=16, unique=True)
    key_hash: str = Field(max_length=128)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class PartnerUsage(SQLModel, table=True):
    __tablename__ = "partner_usage"
    partner_id: int = Field(foreign_key="partner.id", primary_key=True, ondelete="CASCADE")
    day: dt.date = Field(primary_key=True)
    route: str = Field(primary_key=True, max_length=100)
    count: int = 0


SectionSlug = Annotated[str, StringConstraints(max_length=100)]
# An Annotated constraint: SQLModel's `Field(regex=...)` is not enforced under pydantic 2.
RateLimitText = Annotated[
    str, StringConstraints(pattern=r"^[1-9]\d{0,6}/(second|minute|hour|day)$")]


class PartnerCreate(SQLModel):
    model_config = {"extra": "forbid"}
    name: str = Field(min_length=1, max_length=200)
    sections: list[SectionSlug] = Field(default_factory=list, max_length=50,
                                description="Allowed section slugs; empty means every section")
    rate_limit: RateLimitText | None = Field(
        default=None, description="e.g. `600/minute`; unset: KHABAR_RATE_LIMIT_PARTNER")
    embargo_access: bool = Field(default=False, description=(
        "Receive scheduled articles as soon as they are scheduled, marked `embargoed_until` "
        "(ninjs `embargoed` / `embargoedUntil`): the partner agrees not to publish them before"))


class PartnerUpdate(SQLModel):
    model_config = {"extra": "forbid"}
    sections: list[SectionSlug] | None = Field(default=None, max_length=50)
    rate_limit: RateLimitText | None = None
    embargo_access: bool | None = Field(default=None, description=(
        "Granting it announces the articles scheduled now in the partner's change feed"))


class PartnerPublic(SQLModel):
    id: int
    name: str
    sections: list[str]
    rate_limit: str | None
    embargo_access: bool
    key_prefix: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class PartnerWithKey(PartnerPublic):
    api_key: str = Field(description="Shown once; store it now")
