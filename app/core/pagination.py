"""Keyset pagination: one helper for every list, with opaque cursors.

A cursor is the sort key of the last row returned plus its id, base64url-encoded with the sort it
belongs to, so a page costs the same at any depth and stays stable while new content arrives.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

import orjson
from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, or_, tuple_
from sqlmodel import Session

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
        """Rows strictly after `values` in this order (a cursor's values, checked first: a
        decoded cursor is client input, and a value of the wrong type would reach the driver)."""
        self.check(values)
        return self.after_clause(values)

    def values_of(self, row: Any) -> list[Any]:
        """The key's values in a row (or an object) that has them as attributes: a cursor's."""
        return [getattr(row, c.key) for c, _ in self.columns]

    def check(self, values: Sequence[Any]) -> None:
        if len(values) != len(self.columns) or not all(
                _fits(value, col) for value, (col, _) in zip(values, self.columns, strict=False)):
            raise InvalidCursor("The cursor is not one this API issued")

    def after_clause(self, values: Sequence[Any]) -> ColumnElement[bool]:
        """`after()` without the check: `values` may be bind parameters."""
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


INT64 = 2**63


def _fits(value: Any, column: Any) -> bool:
    """Whether a cursor value can be compared with `column` on every supported database."""
    sql_type = getattr(column.type, "impl_instance", column.type)  # through TypeDecorators
    try:
        expected = sql_type.python_type
    except (NotImplementedError, AttributeError):  # e.g. an untyped SQL expression
        expected = None
    if expected is object:
        expected = None
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int) and not -INT64 < value < INT64:
        return False
    if isinstance(value, str) and "\x00" in value:  # PostgreSQL text cannot hold NUL
        return False
    if isinstance(value, datetime):
        try:  # stored as naive UTC: an instant must be aware and convertible
            value.astimezone(UTC)
        except OverflowError:
            return False
        if value.tzinfo is None:
            return False
    if expected is None:
        return isinstance(value, str | int | float | date)
    if expected is float:
        return isinstance(value, int | float)
    if expected is date:  # a datetime is a date too, but not one this column holds
        return isinstance(value, date) and not isinstance(value, datetime)
    return isinstance(value, expected)


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


def fetch_page(session: Session, stmt: Any, key: SortKey, *, limit: int, cursor: str | None,
               cursor_of: Callable[[Any], Sequence[Any]]) -> tuple[list[Any], str | None]:
    """One page of `stmt` in `key` order after `cursor`; `cursor_of(last_row)` gives the key
    values the next cursor carries."""
    if cursor:
        stmt = stmt.where(key.after(decode_cursor(cursor, key.name, len(key.columns))))
    rows = list(session.exec(stmt.order_by(*key.order_by()).limit(limit + 1)).all())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(key.name, cursor_of(rows[-1]))


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
