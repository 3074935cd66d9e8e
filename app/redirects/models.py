"""Old URLs of articles (an imported site's permalinks) and the article each now names."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
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
    """Where an old URL now points: a permanent redirect to the article."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "path": "/2012/01/04/template-password-protected", "status": 301,
        "location": "https://api.example.com/v1/articles/template-password-protected",
        "article": {"id": "0190a6c3d2e84b5f9a1c2d3e4f5a6b7c",
                    "slug": "template-password-protected"}}]})
    path: str = PydanticField(description="The old path, normalized")
    status: int = PydanticField(301, description="The HTTP status to answer the old URL with")
    location: str = PydanticField(description="The article in the Content API")
    article: RedirectArticle
