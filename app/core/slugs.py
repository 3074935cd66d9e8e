"""Unicode-aware slugs: Devanagari titles keep readable slugs (python-slugify would drop the
vowel signs, which are combining marks, without the wider pattern below)."""

from __future__ import annotations

from collections.abc import Set

from slugify import slugify as _slugify
from sqlalchemy.orm import Mapped
from sqlmodel import Session, select

# Everything that is not a word character, a combining mark of a South Asian script or a hyphen.
_DISALLOWED = r"[^\w\u0300-\u036f\u0900-\u0dff-]+"
MAX_SLUG = 120
SLUG_BATCH = 50


def slugify(text: str) -> str:
    return _slugify(text, allow_unicode=True, regex_pattern=_DISALLOWED, max_length=MAX_SLUG,
                    word_boundary=True) or "untitled"


def unique_slug(session: Session, column: Mapped[str], wanted: str, *,
                taken: Set[str] = frozenset()) -> str:
    """`wanted`, or `wanted-2`, `wanted-3`, ... whichever is free in `column` (and not in
    `taken`)."""
    base = slugify(wanted)
    # The candidates are asked for by value, a batch at a time, each an index lookup: a prefix
    # match (`LIKE 'base-%'`) cannot use the unique index under PostgreSQL's usual collations
    # (nor SQLite's case-blind LIKE), and read every article of a newsroom whose daily brief
    # keeps its title.
    first = 1
    while True:
        batch = [base if n == 1 else f"{base}-{n}" for n in range(first, first + SLUG_BATCH)]
        existing = set(session.exec(select(column).where(column.in_(batch))).all()) | taken
        free = next((slug for slug in batch if slug not in existing), None)
        if free is not None:
            return free
        first += SLUG_BATCH
