"""Articles as partners receive them: one statement per page, rendered from rows
(`public_reads.syndicated_by_id`), never per article."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.articles import public_reads


def native(session: Session, ids: Sequence[str], now: datetime) -> list[dict[str, Any]]:
    """`SyndicatedArticle`s (plain dicts) of these ids in this order; an article not yet public
    at `now` (only partners with embargo access get one) is marked `embargoed_until` its
    publication time."""
    found = public_reads.syndicated_by_id(session.connection(), now, list(ids))
    return [found[i] for i in ids if i in found]
