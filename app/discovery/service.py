"""Reads that assemble pages: the front page in one request, and related articles.

Both render cards with `public_reads.cards_where`, the list's own renderer, so a card is the same
bytes wherever it appears. The front page costs a fixed number of statements however many
sections there are: the newest `per_section` of every section are picked in one statement (a
UNION ALL of one ordered, limited branch per section, each a range scan of
`ix_article_section_id_published_at_id`), not one query per section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, or_, select, true, union_all
from sqlmodel import Session, col
from sqlmodel import select as sqlmodel_select

from app.articles.models import Article
from app.articles.public_reads import cards_where
from app.articles.visibility import is_public
from app.briefs import queries as briefs_queries
from app.briefs.models import BriefPublic
from app.core.config import get_settings
from app.taxonomy.models import ArticleTag, Section, SectionRef

A = Article.__table__.c
AT = ArticleTag.__table__.c
NEWEST = (A.published_at.desc(), A.id.desc())
BRIEFS_MAX = 100
RELATED_CANDIDATES = 200
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass
class FrontPage:
    featured: list[dict[str, Any]]
    sections: list[tuple[SectionRef, list[dict[str, Any]]]]
    briefs: list[BriefPublic]


def _language(language: str | None) -> list[Any]:
    return [A.language == language] if language else []


def sections_in_order(session: Session) -> list[Section]:
    # Navigation order: `position` where sections have one (1.1 adds it), then slug.
    position = getattr(Section, "position", None)
    order = [col(position)] if position is not None else []
    return list(session.exec(sqlmodel_select(Section).order_by(*order, col(Section.slug))).all())


def front_page(session: Session, now: datetime, *, language: str | None, featured: int,
               per_section: int) -> FrontPage:
    """Four statements: featured cards, sections, the newest of every section, today's
    briefs."""
    connection: Connection = session.connection()
    featured_cards = cards_where(connection, now, A.featured == true(), *_language(language),
                                 order_by=NEWEST, limit=featured)
    sections = sections_in_order(session)
    blocks: list[tuple[SectionRef, list[dict[str, Any]]]] = []
    if sections:
        branches = [
            select(A.id).where(is_public(now), A.section_id == s.id, *_language(language))
            .order_by(*NEWEST).limit(per_section).subquery()
            for s in sections]
        # Each branch in a subquery of its own: SQLite refuses ORDER BY/LIMIT on compound parts.
        newest = union_all(*(select(b.c.id) for b in branches)).subquery()
        cards = cards_where(connection, now, A.id.in_(select(newest.c.id)), order_by=NEWEST)
        by_section: dict[str, list[dict[str, Any]]] = {}
        for card in cards:
            by_section.setdefault(card["section"]["slug"], []).append(card)
        blocks = [(SectionRef(slug=s.slug, name=s.name), by_section[s.slug])
                  for s in sections if s.slug in by_section]
    today = now.astimezone(get_settings().tz).date()
    briefs, _ = briefs_queries.list_page(session, now=now, day=today, dateline=None,
                                         limit=BRIEFS_MAX, cursor=None)
    return FrontPage(featured_cards, blocks, briefs)


def _words(*texts: str | None) -> set[str]:
    return {w.casefold() for t in texts if t for w in _WORD.findall(t) if len(w) > 2}


def related(session: Session, article: Article, now: datetime, *,
            limit: int) -> list[dict[str, Any]]:
    """Published articles in the same language, scored by 3 per shared tag, 2 for the same
    section and up to 4 for title and excerpt words in common (Jaccard); ties go to the
    newer, then the greater id. Candidates are the newest 200 sharing a tag or the section
    (or, for an article with neither, the newest 200 in its language): a bounded cost."""
    shared = (select(AT.article_id, func.count().label("n"))
              .where(AT.tag_id.in_(select(AT.tag_id).where(AT.article_id == article.id)))
              .group_by(AT.article_id).subquery())
    n_shared = func.coalesce(shared.c.n, 0)
    stmt = (select(A.id, A.title, A.excerpt, A.section_id, A.published_at, n_shared)
            .select_from(Article.__table__.outerjoin(shared, shared.c.article_id == A.id))
            .where(is_public(now), A.language == article.language, A.id != article.id))
    links = [shared.c.n > 0]
    if article.section_id is not None:
        links.append(A.section_id == article.section_id)
    has_links = article.section_id is not None or session.connection().execute(
        select(func.count()).where(AT.article_id == article.id)).scalar_one() > 0
    if has_links:
        stmt = stmt.where(or_(*links))
    rows = session.connection().execute(
        stmt.order_by(n_shared.desc(), *NEWEST).limit(RELATED_CANDIDATES)).all()
    own = _words(article.title, article.excerpt)
    scored = []
    for id_, title, excerpt, section_id, published_at, n in rows:
        theirs = _words(title, excerpt)
        similarity = len(own & theirs) / len(own | theirs) if own and theirs else 0.0
        score = 3 * n + (2 if section_id is not None and section_id == article.section_id
                         else 0) + 4 * similarity
        scored.append((-round(score, 9), -published_at.timestamp(), id_))
    ranked = [id_ for *_, id_ in sorted(scored, key=lambda s: (s[0], s[1], _desc(s[2])))][:limit]
    if not ranked:
        return []
    cards = {c["id"]: c for c in cards_where(session.connection(), now, A.id.in_(ranked))}
    return [cards[i] for i in ranked if i in cards]


def _desc(text: str) -> tuple[int, ...]:
    # Ids descending inside an ascending sort key.
    return tuple(-ord(ch) for ch in text)
