"""Opaque, time-ordered identifiers for articles (32 hex characters), and the bounds of the
integer ids of every other table."""

import secrets
import time
from typing import Annotated

from pydantic import Field

# An integer id a client sends (in a path or a body) is checked against the 32-bit range the
# tables use: a larger one would reach the driver and fail there as a 500 (SQLite and
# PostgreSQL both refuse to bind integers past 64 bits).
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]


def ascii_int(text: str) -> int | None:
    """The number a string of ASCII digits spells (surrounding spaces allowed), or None. Not
    `str.isdigit`, which also accepts superscripts (`³`) that `int` then refuses."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() else None


def row_id(text: str) -> int | None:
    """The row id a string names, or None if it names none (not digits, or out of range)."""
    value = ascii_int(text)
    return value if value is not None and 1 <= value <= MAX_ROW_ID else None


def new_id() -> str:
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"
