"""Shared query parameters and the rendering of list and detail reads."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import Depends, Query
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from app.core.errors import Unprocessable
from app.core.http import Representation, respond
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT


def now() -> datetime:
    """The request's clock (a dependency, so tests can move time)."""
    return datetime.now(UTC)


NowDep = Annotated[datetime, Depends(now)]


class ListParams:
    def __init__(
        self,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size (1-100)")] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, Query(max_length=512, description=(
            "Opaque cursor from `meta.next_cursor` of the previous page"))] = None,
        fields: Annotated[str | None, Query(max_length=500, description=(
            "Sparse fieldset: comma-separated top-level field names"), examples=["id,slug,title"])] = None,
    ) -> None:
        self.limit = limit
        self.cursor = cursor
        self.fields = fields


ListParamsDep = Annotated[ListParams, Depends()]


def parse_fields(fields: str | None, model: type[BaseModel]) -> set[str] | None:
    if not fields:
        return None
    names = {f.strip() for f in fields.split(",") if f.strip()}
    unknown = sorted(names - set(model.model_fields))
    if unknown:
        raise Unprocessable(
            f"Unknown field(s): {', '.join(unknown)}",
            errors=[{"loc": ["query", "fields"], "msg": f"unknown field {name!r}"} for name in unknown],
        )
    return names


def utc(value: datetime | None) -> datetime | None:
    """Query timestamps without an offset are read as UTC."""
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+05:00 is before the first UTC instant
        raise Unprocessable("Timestamp out of range", errors=[
            {"loc": ["query"], "msg": f"timestamp out of range: {value.isoformat()}"}]) from None


def _url_with_cursor(request: Request, cursor: str) -> str:
    return str(request.url.include_query_params(cursor=cursor))


def dump(model: BaseModel, include: set[str] | None = None) -> dict[str, Any]:
    return model.model_dump(mode="json", include=include, exclude_unset=True)


def list_representation(request: Request, items: Sequence[BaseModel], *, limit: int,
                        next_cursor: str | None, fields: set[str] | None,
                        surrogate_keys: Iterable[str], last_modified: datetime | None,
                        public: bool = True) -> Representation:
    next_url = _url_with_cursor(request, next_cursor) if next_cursor else None
    body = orjson.dumps({
        "data": [dump(item, fields) for item in items],
        "meta": {"limit": limit, "next_cursor": next_cursor},
        "links": {"self": str(request.url), "next": next_url},
    })
    headers = {"Link": f'<{next_url}>; rel="next"'} if next_url else {}
    return Representation(body, last_modified=last_modified, surrogate_keys=surrogate_keys,
                          headers=headers, public=public)


def detail_representation(item: BaseModel, *, fields: set[str] | None,
                          surrogate_keys: Iterable[str], last_modified: datetime | None,
                          public: bool = True) -> Representation:
    return Representation(orjson.dumps(dump(item, fields)), last_modified=last_modified,
                          surrogate_keys=surrogate_keys, public=public)


def answer(request: Request, rep: Representation) -> Response:
    return respond(request, rep)


def latest(values: Iterable[datetime | None]) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None
