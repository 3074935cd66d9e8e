"""Named counters bumped inside writing transactions.

`change_seq` numbers the syndication change feed: the row lock taken by the UPDATE serializes
writers, so numbers follow commit order (a bare database sequence would not).
`content_version` changes with every content write; response caches key on it.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Field, Session, SQLModel, col, select

CHANGE_SEQ = "change_seq"
CONTENT_VERSION = "content_version"


class Counter(SQLModel, table=True):
    name: str = Field(primary_key=True, max_length=32)
    value: int = 0


def bump(session: Session, name: str, by: int = 1) -> int:
    """Add `by` inside the caller's transaction and return the new value."""
    result = session.execute(
        update(Counter).where(col(Counter.name) == name).values(value=col(Counter.value) + by)
        .returning(col(Counter.value))
    ).scalar_one()
    return int(result)


def read(session: Session, name: str) -> int:
    return int(session.exec(select(Counter.value).where(Counter.name == name)).one())
