from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel
from pydantic import Field as PydanticField

from app.articles.models import ArticlePublic
from app.changelog.models import Reason
from app.core.pagination import PageLinks

# ---- shapes that leave the Syndication API ---------------------------------------------------


class SyndicatedArticle(ArticlePublic):
    """An article in full, as partners receive it: body as blocks, HTML and plain text."""

    revision: int = PydanticField(description="+1 on every change; compare to know what changed")
    embargoed_until: datetime | None = PydanticField(None, description=(
        "Only for partners with embargo access: the article is scheduled and must not be "
        "published before this time (absent once it is public)"))


class Change(BaseModel):
    seq: int = PydanticField(description="Position in the feed; increases in commit order")
    op: Literal["upsert", "delete"]
    id: str = PydanticField(description="Article id")
    article: SyndicatedArticle | dict[str, Any] | None = PydanticField(
        description="The article's current state (upsert; a ninjs document with "
        "`format=ninjs`); null for a delete tombstone")
    reason: Reason | None = PydanticField(None, description=(
        "Why to take it down (delete only): `unpublished`, `deleted`, `killed`, "
        "`rights_withdrawn` or `out_of_scope` (moved out of your sections)"))
    at: datetime | None = PydanticField(None, description="When it left your view (delete only)")


class ChangeMeta(BaseModel):
    limit: int
    next_cursor: str = PydanticField(description="Store it and poll with `since=`; never null")
    has_more: bool = PydanticField(description="More pages are ready now: poll again at once")


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
