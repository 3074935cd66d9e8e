"""Shared query parameters and the rendering of list and detail reads."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import Depends, Query
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from app.core.db import utcnow
from app.core.errors import Unprocessable
from app.core.http import Representation, respond
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT


async def now() -> datetime:
    """The request's clock (a dependency, so tests can move time): `db.utcnow`, the one clock.
    Dependencies that do no I/O are async: FastAPI runs a plain `def` one in a worker thread,
    a hop per request."""
    return utcnow()


NowDep = Annotated[datetime, Depends(now)]


# No example value: the names differ per resource (`id,slug,title` is no brief's field).
FieldsQ = Annotated[str | None, Query(max_length=500, description=(
    "Sparse fieldset: comma-separated top-level field names, e.g. `slug,title` for articles; "
    "an unknown name answers 422"))]


@dataclass(frozen=True, slots=True)
class ListParams:
    limit: int
    cursor: str | None
    fields: str | None


async def list_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT,
                                description="Page size (1-100)")] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=512, description=(
        "Opaque cursor from `meta.next_cursor` of the previous page"))] = None,
    fields: FieldsQ = None,
) -> ListParams:
    return ListParams(limit, cursor, fields)  # async, as `now` is


ListParamsDep = Annotated[ListParams, Depends(list_params)]


def parse_fields(fields: str | None, model: type[BaseModel]) -> set[str] | None:
    if not fields:
        return None
    names = {f.strip() for f in fields.split(",") if f.strip()}
    unknown = sorted(names - set(model.model_fields))
    if unknown:
        raise Unprocessable(
            f"Unknown field(s): {', '.join(unknown)}",
            errors=[{"loc": ["query", "fields"], "msg": f"unknown field {name!r}"}
                    for name in unknown],
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


# Models are dumped to JSON-ready dicts already; the hot reads hand over plain dicts holding
# datetimes, which must come out as pydantic writes them (UTC as `Z`).
JSON_OPTIONS = orjson.OPT_UTC_Z


_SCRIPT_UNSAFE = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"))


def script_safe_json(value: Any) -> orjson.Fragment:
    """`value` as JSON with `<`, `>` and `&` written as `\\u003c`, `\\u003e`, `\\u0026`: the
    same JSON to any parser, and no `</script>` (or `<!--`) when a site pastes it into a
    `<script type="application/ld+json">`. (Outside strings JSON has no such characters.)"""
    body = orjson.dumps(value, option=JSON_OPTIONS)
    for raw, escaped in _SCRIPT_UNSAFE:
        body = body.replace(raw, escaped)
    return orjson.Fragment(body)


def dump(item: BaseModel | dict[str, Any], include: set[str] | None = None) -> dict[str, Any]:
    """A model's JSON shape (fields it was not given left out), or a plain dict already in that
    shape; `include` keeps only those top-level fields. JSON-LD (`structured_data`) comes out
    safe to embed in a page (`script_safe_json`)."""
    if isinstance(item, dict):
        out = item if include is None else {k: v for k, v in item.items() if k in include}
    else:
        out = item.model_dump(mode="json", include=include, exclude_unset=True)
    if isinstance(out.get("structured_data"), dict):
        out = {**out, "structured_data": script_safe_json(out["structured_data"])}
    return out


def list_representation(request: Request, items: Sequence[BaseModel | dict[str, Any]], *,
                        limit: int,
                        next_cursor: str | None, fields: set[str] | None,
                        surrogate_keys: Iterable[str], last_modified: datetime | None,
                        public: bool = True, expires: datetime | None = None,
                        meta: dict[str, Any] | None = None) -> Representation:
    next_url = _url_with_cursor(request, next_cursor) if next_cursor else None
    body = orjson.dumps({
        "data": [dump(item, fields) for item in items],
        "meta": {"limit": limit, "next_cursor": next_cursor, **(meta or {})},
        "links": {"self": str(request.url), "next": next_url},
    }, option=JSON_OPTIONS)
    headers = {"Link": f'<{next_url}>; rel="next"'} if next_url else {}
    return Representation(body, last_modified=last_modified, surrogate_keys=surrogate_keys,
                          headers=headers, public=public, expires=expires)


def detail_representation(item: BaseModel | dict[str, Any], *, fields: set[str] | None,
                          surrogate_keys: Iterable[str], last_modified: datetime | None,
                          public: bool = True) -> Representation:
    return Representation(orjson.dumps(dump(item, fields), option=JSON_OPTIONS),
                          last_modified=last_modified,
                          surrogate_keys=surrogate_keys, public=public)


def answer(request: Request, rep: Representation) -> Response:
    return respond(request, rep)


def latest(values: Iterable[datetime | None]) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None
