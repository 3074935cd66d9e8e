from __future__ import annotations

from sqlmodel import Field, SQLModel


class Counter(SQLModel, table=True):
    """Named counters bumped inside writing transactions.

    `change_seq` numbers the change feed: the row lock taken by the UPDATE serializes writers,
    so sequence numbers follow commit order (a bare database sequence would not).
    `content_version` changes on every content write and keys the response cache.
    """

    name: str = Field(primary_key=True, max_length=32)
    value: int = 0


class ArticleChange(SQLModel, table=True):
    """The latest change of each article; the feed renders its current state for each partner."""

    __tablename__ = "article_change"
    article_id: str = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    seq: int = Field(unique=True)
