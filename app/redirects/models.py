"""Old URLs of articles (an imported site's permalinks) and the article each now names."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime


class Redirect(SQLModel, table=True):
    # `path` is normalized (`service.normalize_path`): percent-decoded, NFC, no trailing slash,
    # and of the query only WordPress's `p` (`/?p=123`).
    path: str = Field(primary_key=True, max_length=2000)
    article_id: str = Field(foreign_key="article.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(sa_type=UTCDateTime)


class RedirectArticle(BaseModel):
    id: str
    slug: str


class RedirectPublic(BaseModel):
    """Where an old URL now points."""

    path: str
    status: int = 301
    location: str
    article: RedirectArticle
