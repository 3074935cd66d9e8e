"""Corrections: public notices appended to published articles (append-only)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic import Field as PydanticField
from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime


class CorrectionKind(StrEnum):
    correction = "correction"
    clarification = "clarification"
    update = "update"


class ArticleCorrection(SQLModel, table=True):
    """No route, service or CLI updates or deletes these rows: a notice stays once published."""

    __tablename__ = "article_correction"
    id: int | None = Field(default=None, primary_key=True)
    article_id: str = Field(foreign_key="article.id", index=True, ondelete="CASCADE",
                            max_length=32)
    kind: str = Field(max_length=16)
    text: str = Field(sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")


class CorrectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: CorrectionKind = PydanticField(description=(
        "`correction` (a fact was wrong), `clarification` (it was unclear) or `update` "
        "(new information)"))
    # `pattern`: not only spaces (they are stripped), which the schema then says too.
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                           max_length=2000, pattern=r"\S")] = PydanticField(
        description="The notice readers see, e.g. what was wrong and what is right",
        examples=["An earlier version gave the wrong date for the vote."])
