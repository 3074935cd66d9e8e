"""Shapes of `GET /v1/sync`."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.articles.models import ArticleCard, ArticlePublic
from app.changelog.models import Reason
from app.core.pagination import PageLinks


class SyncUpsert(BaseModel):
    seq: int = Field(description="Position in the log; increases in commit order")
    op: Literal["upsert"]
    id: str = Field(description="Article id")
    article: ArticlePublic | ArticleCard = Field(
        description="The article now: a card, or the full article with `include=body`")


class SyncDelete(BaseModel):
    seq: int
    op: Literal["delete"]
    id: str
    reason: Reason = Field(description=(
        "`unpublished`, `deleted`, `killed`, or `out_of_scope` (no longer matches your "
        "`language`/`section` filters)"))
    at: datetime | None = Field(description="When it left")


class SyncMeta(BaseModel):
    limit: int
    next_cursor: str = Field(description="Store it; the next sync passes it as `cursor`")
    has_more: bool = Field(description="More pages are ready now: request `next_cursor` at once")


class SyncPage(BaseModel):
    data: list[SyncUpsert | SyncDelete]
    meta: SyncMeta
    links: PageLinks

    model_config = {"json_schema_extra": {"examples": [{
        "data": [
            {"seq": 41, "op": "upsert", "id": "0190c2a1f0e47c3a9b1d2e3f4a5b6c7d",
             "article": {"id": "0190c2a1f0e47c3a9b1d2e3f4a5b6c7d", "slug": "budget-passes",
                         "title": "Budget passes", "subtitle": None, "excerpt": None,
                         "section": {"slug": "news", "name": "News"}, "authors": [],
                         "tags": [], "language": "en",
                         "published_at": "2026-12-03T08:00:00Z",
                         "updated_at": "2026-12-03T08:00:00Z",
                         "reading_time_minutes": 2, "image": None}},
            {"seq": 42, "op": "delete", "id": "0190c29b77aa7c3a9b1d2e3f4a5b6c00",
             "reason": "unpublished", "at": "2026-12-03T08:05:00Z"}],
        "meta": {"limit": 100, "next_cursor": "eyJzIjoic3luYyIsImsiOlswLDQyLDAsInwiXX0",
                 "has_more": False},
        "links": {"self": "https://api.example.com/v1/sync?cursor=...", "next": None}}]}}
