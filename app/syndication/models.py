from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlmodel import Field, SQLModel

from app.articles.models import ArticlePublic
from app.core.pagination import PageLinks


class ArticleChange(SQLModel, table=True):
    """The latest change of each article. The feed renders each article's current state for the
    calling partner (upsert if the partner may see it, else a delete tombstone), so keeping only
    the latest change per article is enough for a mirror to converge."""

    __tablename__ = "article_change"
    article_id: str = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    seq: int = Field(unique=True)


# ---- shapes that leave the Syndication API ---------------------------------------------------


class SyndicatedArticle(ArticlePublic):
    """An article in full, as partners receive it: body as blocks, HTML and plain text."""

    revision: int = PydanticField(description="+1 on every change; compare to know what changed")


class Change(BaseModel):
    seq: int = PydanticField(description="Position in the feed; increases in commit order")
    op: Literal["upsert", "delete"]
    id: str = PydanticField(description="Article id")
    article: SyndicatedArticle | None = PydanticField(
        description="The article's current state (upsert); null for a delete tombstone")


class ChangeMeta(BaseModel):
    limit: int
    next_cursor: str = PydanticField(description="Store it and poll with `since=`; never null")


class ChangeFeed(BaseModel):
    data: list[Change]
    meta: ChangeMeta
    links: PageLinks


class UsageRow(BaseModel):
    day: date = PydanticField(description="UTC calendar day")
    route: str = PydanticField(description="Route template, e.g. `/v1/syndication/changes`")
    count: int


class UsageReport(BaseModel):
    partner_id: int
    since: date
    data: list[UsageRow]
