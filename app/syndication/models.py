from __future__ import annotations

from sqlmodel import Field, SQLModel


class ArticleChange(SQLModel, table=True):
    """The latest change of each article. The feed renders each article's current state for the
    calling partner (upsert if the partner may see it, else a delete tombstone), so keeping only
    the latest change per article is enough for a mirror to converge."""

    __tablename__ = "article_change"
    article_id: str = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    seq: int = Field(unique=True)
