"""Named counters bumped inside writing transactions.

`change_seq` numbers the syndication change feed: the row lock taken by the UPDATE serializes
writers, so numbers follow commit order (a bare database sequence would not).
`content_version` changes with every content write; response caches key on it.
"""

from __future__ import annotations

from sqlalchemy import bindparam, update
from sqlmodel import Field, Session, SQLModel, select

CHANGE_SEQ = "change_seq"
CONTENT_VERSION = "content_version"


class Counter(SQLModel, table=True):
    name: str = Field(primary_key=True, max_length=32)
    value: int = 0


_C = Counter.__table__.c
_BUMP = (update(Counter.__table__).where(_C.name == bindparam("counter"))
         .values(value=_C.value + bindparam("by")).returning(_C.value))


def bump(session: Session, name: str, by: int = 1) -> int:
    """Add `by` inside the caller's transaction and return the new value."""
    # A Core statement: the ORM's bulk UPDATE would look for loaded counters to synchronize.
    result = session.connection().execute(_BUMP, {"counter": name, "by": by}).scalar_one()
    return int(result)


def read(session: Session, name: str) -> int:
    return int(session.exec(select(Counter.value).where(Counter.name == name)).one())
