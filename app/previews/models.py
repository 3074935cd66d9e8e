"""Preview links: expiring, revocable tokens that show an article's current draft."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime

DEFAULT_SECONDS = 24 * 3600
MAX_SECONDS = 7 * 24 * 3600


class PreviewLink(SQLModel, table=True):
    """Only a hash of the token is stored: a database dump opens no preview."""

    __tablename__ = "preview_link"
    id: int | None = Field(default=None, primary_key=True)
    article_id: str = Field(foreign_key="article.id", index=True, ondelete="CASCADE",
                            max_length=32)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")


class PreviewLinkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    expires_in: int = PydanticField(
        default=DEFAULT_SECONDS, ge=60, le=MAX_SECONDS,
        description="Seconds until the link stops working: 60 to 604800 (7 days); 24 h default")


class PreviewLinkPublic(BaseModel):
    id: int
    article_id: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    created_by_id: int | None = None
    active: bool = PydanticField(description="Neither expired nor revoked")


class PreviewLinkCreated(PreviewLinkPublic):
    token: str = PydanticField(description="Shown once; only its hash is stored")
    url: str = PydanticField(description="`GET` it to see the current draft")
