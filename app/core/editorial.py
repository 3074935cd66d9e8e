"""What the Editorial API's lists share: `limit`/`cursor` parameters and the list envelope.
No sparse fieldsets or HTTP caching here: editorial responses are private and small."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query
from pydantic import BeforeValidator
from starlette.requests import Request
from starlette.responses import Response

from app.core.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    PageLinks,
    PageMeta,
)

T = TypeVar("T")


class PageParams:
    def __init__(
        self,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT,
                                    description="Page size (1-100)")] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, Query(max_length=512, description=(
            "Opaque cursor from `meta.next_cursor` of the previous page"))] = None,
    ) -> None:
        self.limit = limit
        self.cursor = cursor


PageParamsDep = Annotated[PageParams, Depends()]


def _true_or_false(value: object) -> object:
    if isinstance(value, str):
        if value not in ("true", "false"):
            raise ValueError("must be `true` or `false`")
        return value == "true"
    return value


# A boolean query flag spelled as the schema's boolean is: `true` or `false`. Pydantic alone
# also takes `1`, `yes`, `on`..., which the document does not promise and clients cannot rely on.
QueryBool = Annotated[bool, BeforeValidator(_true_or_false)]


def envelope(request: Request, response: Response, items: list[T], *, limit: int,
             next_cursor: str | None) -> dict[str, Any]:
    """The list envelope, plus the RFC 8288 `Link: rel="next"` header."""
    next_url = str(request.url.include_query_params(cursor=next_cursor)) if next_cursor else None
    if next_url:
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return {"data": items, "meta": PageMeta(limit=limit, next_cursor=next_cursor),
            "links": PageLinks(self=str(request.url), next=next_url)}
