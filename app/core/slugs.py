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


def slugify(text: str) -> str:
    return _slugify(text, allow_unicode=True, regex_pattern=_DISALLOWED, max_length=MAX_SLUG,
                    word_boundary=True) or "untitled"


def unique_slug(session: Session, column: Mapped[str], wanted: str, *,
                taken: Set[str] = frozenset()) -> str:
    """`wanted`, or `wanted-2`, `wanted-3`, ... whichever is free in `column` (and not in
    `taken`)."""
    base = slugify(wanted)
    existing = set(session.exec(select(column).where(
        (column == base) | column.startswith(base + "-"))).all()) | set(taken)
    if base not in existing:
        return base
    n = 2
    while f"{base}-{n}" in existing:
        n += 1
    return f"{base}-{n}"
