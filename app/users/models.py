from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import EmailStr
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime


class Role(StrEnum):
    writer = "writer"
    editor = "editor"
    admin = "admin"


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True)
    name: str | None = Field(default=None, max_length=200)
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Access tokens issued before this (their `iat`) no longer authenticate.
    password_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class UserCreate(SQLModel):
    model_config = {"extra": "forbid"}
    email: EmailStr
    password: str = Field(min_length=10, max_length=256)
    role: Role
    name: str | None = Field(default=None, max_length=200)


class UserUpdate(SQLModel):
    model_config = {"extra": "forbid"}
    role: Role | None = None
    name: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, min_length=10, max_length=256)
    disabled: bool | None = None


class UserPublic(SQLModel):
    id: int
    email: str
    name: str | None
    role: Role
    created_at: datetime
    disabled: bool
