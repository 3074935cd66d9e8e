"""The audit log: who did what, when. Rows are only ever inserted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime


class AuditEntry(SQLModel, table=True):
    """`actor_id` is no foreign key: the log outlives whatever it names."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_at_id", "at", "id"),
        Index("ix_audit_entry_actor_id_at_id", "actor_id", "at", "id"),
        Index("ix_audit_entry_action_at_id", "action", "at", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime)
    actor_id: int | None = None
    actor_email: str | None = Field(default=None, max_length=320)
    action: str = Field(max_length=64)
    method: str | None = Field(default=None, max_length=8)
    path: str | None = Field(default=None, max_length=500)
    target_type: str | None = Field(default=None, max_length=32)
    target_id: str | None = Field(default=None, max_length=64)
    ip: str | None = Field(default=None, max_length=64)
    detail: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class AuditEntryPublic(BaseModel):
    id: int
    at: datetime
    actor_id: int | None = PydanticField(description="The user; null for failed logins")
    actor_email: str | None = PydanticField(description="The email given (failed logins too)")
    action: str = PydanticField(description=(
        "`login`, `login_failed`, or the operation id of an editorial write "
        "(e.g. `publishArticle`, `updateUser`, `rotatePartnerKey`)"))
    method: str | None
    path: str | None
    target_type: str | None = PydanticField(description="e.g. `article`, `user`, `partner`")
    target_id: str | None
    ip: str | None
    detail: dict[str, Any] | None = PydanticField(description=(
        "For updates: `changed` (table -> changed column names) and, for role, status, "
        "featured and revocation, `values` (table -> column -> `{from, to}`)"))
