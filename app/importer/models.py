"""What the WordPress importer remembers between runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime


class WordpressPost(SQLModel, table=True):
    """A WordPress post already imported: its article, and a digest of what the import made of
    it, so a rerun skips what did not change and updates only what did."""

    __tablename__ = "wordpress_post"
    site: str = Field(primary_key=True, max_length=300)  # the export's base blog URL
    wp_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    article_id: str = Field(foreign_key="article.id", index=True, ondelete="CASCADE")
    digest: str = Field(max_length=64)
    imported_at: datetime = Field(sa_type=UTCDateTime)
