"""The public sync's reads: cursors bound to their filters, pages rendered as the Content API
renders articles (`presenters.cards` / `presenters.full`, the shapes of `/v1/articles`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from app.articles import presenters
from app.articles.models import Article, ArticleCard
from app.changelog import feed
from app.changelog.feed import Position
from app.changelog.views import Viewer
from app.core.errors import InvalidCursor
from app.core.listing import dump
from app.core.pagination import decode_cursor, encode_cursor
from app.taxonomy.models import Section

CURSOR_SORT = "sync"
NO_SECTION = (-2,)  # an unknown section slug: no article is in it


def _filters_of(language: str | None, section: str | None) -> str:
    return f"{language or ''}|{section or ''}"


def encode_position(position: Position, language: str | None, section: str | None) -> str:
    return encode_cursor(CURSOR_SORT, [int(position.initial), position.seq, position.head,
                                       _filters_of(language, section)])


def decode_position(cursor: str | None, language: str | None,
                    section: str | None) -> Position | None:
    if not cursor:
        return None
    initial, seq, head, filters = decode_cursor(cursor, CURSOR_SORT, 4)
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
               for v in (initial, seq, head)) or initial not in (0, 1):
        raise InvalidCursor("The cursor is not one this API issued")
    if filters != _filters_of(language, section):
        raise InvalidCursor("This cursor was issued for other `language`/`section` filters; "
                            "sync with the same filters, or start again without a cursor")
    return Position(bool(initial), seq, head)


def viewer(session: Session, language: str | None, section: str | None) -> Viewer:
    sections = None
    if section:
        found = session.exec(select(Section.id).where(Section.slug == section)).first()
        sections = (found,) if found is not None else NO_SECTION
    return Viewer(language=language, sections=sections)


def items(session: Session, page: feed.FeedPage, *, body: bool) -> list[dict[str, Any]]:
    ids = [e.article_id for e in page.entries if e.reason is None]
    articles = {a.id: a for a in session.exec(select(Article).where(col(Article.id).in_(ids)))}
    ordered = [articles[i] for i in ids]
    if body:
        shown: list[ArticleCard] = [presenters.full(session, a) for a in ordered]
    else:
        shown = presenters.cards(session, ordered)
    rendered = {a.id: dump(a) for a in shown}
    return [{"seq": e.seq, "op": "upsert", "id": e.article_id,
             "article": rendered[e.article_id]} if e.reason is None else
            {"seq": e.seq, "op": "delete", "id": e.article_id, "reason": e.reason.value,
             "at": _utc(e.at)} for e in page.entries]


def _utc(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None
