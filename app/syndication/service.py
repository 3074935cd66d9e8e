"""Partner reads: entitled articles and the change feed.

The change feed is the change log (`app.changelog`) as this partner sees it: an initial sync of
what it may republish now (no tombstones), then every change after its cursor rendered against
the article's current state for it: an upsert when it may see it now, else a `delete` tombstone
with the reason, only for articles it could once see. A partner that stores `meta.next_cursor`
and polls converges on exactly the set it is entitled to, at the cost of its own items.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlmodel import Session, col, select

from app.articles.models import Article
from app.changelog.feed import Position
from app.changelog.views import Viewer
from app.core.errors import InvalidCursor
from app.core.pagination import decode_cursor, encode_cursor
from app.partners.models import Partner
from app.syndication.entitlement import visible_to
from app.taxonomy.models import Section

CURSOR_SORT = "changes"  # a delta position (the v1 cursor)
INITIAL_SORT = "changes-initial"  # a position within an initial sync, and where it resumes


def encode_position(position: Position) -> str:
    if position.initial:
        return encode_cursor(INITIAL_SORT, [position.seq, position.head])
    return encode_cursor(CURSOR_SORT, [position.seq])


def decode_position(cursor: str | None) -> Position | None:
    """None: start an initial sync."""
    if not cursor:
        return None
    try:
        values, initial = decode_cursor(cursor, CURSOR_SORT, 1), False
    except InvalidCursor:
        values, initial = decode_cursor(cursor, INITIAL_SORT, 2), True
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values):
        raise InvalidCursor("The cursor is not one this API issued")
    return Position(initial, values[0], values[1] if initial else 0)


def viewer_of(session: Session, partner: Partner) -> Viewer:
    sections = None
    if partner.sections:
        sections = cast(tuple[int, ...], tuple(session.exec(  # ids read back are never None
            select(Section.id).where(col(Section.slug).in_(partner.sections))).all()))
    return Viewer(sections=sections, syndicated=True, partner_id=partner.id,
                  early=partner.embargo_access)


def get_entitled(session: Session, partner: Partner, article_id: str,
                 now: datetime) -> Article | None:
    return session.exec(select(Article).where(col(Article.id) == article_id,
                                              visible_to(partner, now))).first()
