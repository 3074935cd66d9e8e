"""Keyset pagination: one helper for every list, with opaque cursors.

A cursor is the sort key of the last row returned plus its id, base64url-encoded with the sort it
belongs to, so a page costs the same at any depth and stays stable while new content arrives.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

import orjson
from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, or_, tuple_

from app.core.errors import InvalidCursor

T = TypeVar("T")
MAX_LIMIT = 100
DEFAULT_LIMIT = 20


@dataclass(frozen=True)
class SortKey:
    """The ordered columns of one sort, each with its direction; the last must be unique."""

    name: str
    columns: Sequence[tuple[Any, bool]]  # (column, descending)

    def order_by(self) -> list[Any]:
        return [col.desc() if desc else col.asc() for col, desc in self.columns]

    def after(self, values: Sequence[Any]) -> ColumnElement[bool]:
        """Rows strictly after `values` in this order."""
        directions = {desc for _, desc in self.columns}
        cols = [col for col, _ in self.columns]
        if len(directions) == 1:  # one row-value comparison: an index range scan on both DBs
            return tuple_(*cols) < tuple_(*values) if directions.pop() else tuple_(*cols) > tuple_(
                *values)
        clauses = []
        for i, (col, desc) in enumerate(self.columns):
            prefix = [cols[j] == values[j] for j in range(i)]
            clauses.append(and_(*prefix, col < values[i] if desc else col > values[i]))
        return or_(*clauses)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return {"$d": value.isoformat()}
    return value


def _revive(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"$d"}:
        text = value["$d"]
        return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
    return value


def encode_cursor(sort: str, values: Sequence[Any]) -> str:
    raw = orjson.dumps({"s": sort, "k": [_plain(v) for v in values]})
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(token: str, sort: str, arity: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = orjson.loads(raw)
        if data["s"] != sort:
            raise InvalidCursor("This cursor belongs to another sort order; start again without it")
        values = [_revive(v) for v in data["k"]]
        if len(values) != arity or not all(isinstance(v, str | int | date) for v in values):
            raise ValueError
        return values
    except InvalidCursor:
        raise
    except (ValueError, KeyError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise InvalidCursor("The cursor is not one this API issued") from None


class PageMeta(BaseModel):
    limit: int
    next_cursor: str | None = None


class PageLinks(BaseModel):
    self: str
    next: str | None = None


class Page(BaseModel, Generic[T]):
    """The list envelope of every collection."""

    data: list[T]
    meta: PageMeta
    links: PageLinks
