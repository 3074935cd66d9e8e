"""Reading the change log as one viewer sees it: the public sync (with its filters) or a
partner (with its allowlist and rights).

A viewer's delta after a cursor is every logged article, in `seq` order, that the viewer could
ever have seen (`ChangeScope` within its filters or entitlement, since the section entered the
partner's allowlist or under an earlier allowlist), rendered against the article's current
state: an upsert when the viewer may see it now, else a tombstone with the reason. An article
that was never public, or never public within the viewer's scope, never reaches it. The initial
sync lists only what the viewer may see now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, exists, false, func, literal, or_, true
from sqlalchemy.sql.elements import SQLCoreOperations
from sqlmodel import Session, col, select

from app.articles.models import Article, Status, Syndication
from app.articles.visibility import is_shown
from app.changelog.models import (
    ALL_SECTIONS,
    ArticleChange,
    ChangeScope,
    PartnerGrant,
    PartnerScope,
    Reason,
)
from app.core.counters import CHANGE_SEQ, Counter

HORIZON = "changelog_horizon"  # counter: tombstones at or below this seq may have been pruned


@dataclass(frozen=True)
class Viewer:
    """Whose view: `sections` None means every section (and articles without one)."""

    language: str | None = None
    sections: tuple[int, ...] | None = None
    syndicated: bool = False  # a partner: only articles whose rights allow syndication
    partner_id: int | None = None
    early: bool = False  # a partner with embargo access: scheduled articles before their time


@dataclass(frozen=True)
class Entry:
    seq: int
    article_id: str
    at: datetime | None
    reason: Reason | None  # None: an upsert


def head(session: Session) -> int:
    return int(session.exec(select(Counter.value).where(Counter.name == CHANGE_SEQ)).one())


def horizon(session: Session) -> int:
    return int(session.exec(select(Counter.value).where(Counter.name == HORIZON)).first() or 0)


def _in_sections(column: SQLCoreOperations[int | None], sections: tuple[int, ...] | None
                 ) -> ColumnElement[bool]:
    return true() if sections is None else column.in_(sections) if sections else false()


def sees_now(viewer: Viewer, now: datetime, *, dialect: str = "postgresql"
             ) -> ColumnElement[bool]:
    section = _in_sections(col(Article.section_id), viewer.sections)
    if dialect == "sqlite" and viewer.sections:
        # SQLite keeps no statistics: it took the section's index (an equality) to drive the
        # initial sync, read every article of the viewer's sections and sorted them by `seq`,
        # for every page (3.6 ms a page at a sixth of 10,000 articles, growing with the
        # archive). `likely()` says what is so of the sections a viewer follows: they hold
        # many articles, so a walk in `seq` order (the page's own order) fills a page soon.
        section = func.likely(section)
    clauses = [is_shown(now, early=viewer.early), section]
    if viewer.language:
        clauses.append(col(Article.language) == viewer.language)
    if viewer.syndicated:
        clauses.append(col(Article.syndication) == Syndication.allowed.value)
    return and_(*clauses)


def could_see(viewer: Viewer) -> ColumnElement[bool]:
    """The article was once public within the viewer's scope (for a partner: after the section
    entered its allowlist, or under an earlier allowlist)."""
    section = col(ChangeScope.section_id)
    within = _in_sections(section, viewer.sections)
    # When it was last shown here as this viewer would have seen it: embargoed showings count
    # only for a partner with embargo access.
    shown = col(ChangeScope.seq if viewer.early else ChangeScope.public_seq)
    if viewer.partner_id is not None:
        granted = select(PartnerGrant.seq).where(
            col(PartnerGrant.partner_id) == viewer.partner_id,
            col(PartnerGrant.section_id) == (
                literal(ALL_SECTIONS) if viewer.sections is None else section)
        ).scalar_subquery()
        within = and_(within, shown >= func.coalesce(granted, 0))
        former = exists().where(
            col(PartnerScope.partner_id) == viewer.partner_id,
            or_(col(PartnerScope.section_id) == ALL_SECTIONS,
                col(PartnerScope.section_id) == section),
            # Seen before the revocation: embargoed counts only for a partner with access.
            col(ChangeScope.first_seq if viewer.early else ChangeScope.first_public_seq)
            < PartnerScope.revoked,
            shown >= PartnerScope.granted)
        within = or_(within, former)
    clauses = [col(ChangeScope.article_id) == ArticleChange.article_id, within]
    if not viewer.early:  # scopes only ever embargoed are no one else's business
        clauses.append(col(ChangeScope.first_public_seq).is_not(None))
    if viewer.language:
        clauses.append(col(ChangeScope.language) == viewer.language)
    if viewer.syndicated:
        clauses.append(col(ChangeScope.syndicated).is_(True))
    return exists().where(*clauses)


def delta(session: Session, viewer: Viewer, *, since: int, upto: int, limit: int,
          now: datetime) -> list[Entry]:
    visible = sees_now(viewer, now)
    rows = session.execute(
        # sqlmodel's select() is typed for at most four columns
        select(ArticleChange.seq, ArticleChange.article_id,  # type: ignore[call-overload]
               ArticleChange.at,
               case((visible, 1), else_=0), case((is_shown(now, early=viewer.early), 1), else_=0),
               Article.status, Article.deleted_at, Article.syndication)
        .join(Article, col(Article.id) == ArticleChange.article_id)
        .where(col(ArticleChange.seq) > since, col(ArticleChange.seq) <= upto,
               or_(could_see(viewer), visible))
        .order_by(col(ArticleChange.seq)).limit(limit)).all()
    return [Entry(seq, article_id, at, None if seen else _reason(
        bool(public), status, deleted_at, syndication, viewer))
        for seq, article_id, at, seen, public, status, deleted_at, syndication in rows]


def _reason(public: bool, status: str, deleted_at: datetime | None, syndication: str,
            viewer: Viewer) -> Reason:
    if deleted_at is not None:
        return Reason.deleted
    if status == Status.killed:
        return Reason.killed
    if not public:
        return Reason.unpublished
    if viewer.syndicated and syndication != Syndication.allowed.value:
        return Reason.rights_withdrawn
    return Reason.out_of_scope


def initial(session: Session, viewer: Viewer, *, after: int, limit: int,
            now: datetime) -> list[Entry]:
    """What the viewer may see now, in `seq` order after `after`: upserts only."""
    rows = session.execute(
        select(ArticleChange.seq, ArticleChange.article_id, ArticleChange.at)
        .join(Article, col(Article.id) == ArticleChange.article_id)
        .where(col(ArticleChange.seq) > after,
               sees_now(viewer, now, dialect=session.get_bind().dialect.name))
        .order_by(col(ArticleChange.seq)).limit(limit)).all()
    return [Entry(seq, article_id, at, None) for seq, article_id, at in rows]
