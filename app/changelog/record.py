"""Recording changes, in the writing transaction (a rolled-back write records nothing).

`article_changed` is the one door every article write passes through; `content_changed`
is the door for the rest of the public content (briefs, sections, tags, author pages). They keep:
the commit-ordered sequence (`change_seq`), the latest change of each article (`ArticleChange`:
kind, time, whether it is public now), the scopes each article was ever public in
(`ChangeScope`, so tombstones reach only viewers that could have seen it), the content version
and the Surrogate-Keys it made stale (`StaleKey`: what response caches in every process drop),
the keys the CDN purge sends, the authors' stored article counts, and the long-poll signal.

A write the public cannot see (creating or editing a draft, editorial-only state) is no change:
no sequence number, no content version, no purge, no `Last-Modified` move.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import case, func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from app.articles.models import Article, Status, Syndication
from app.articles.visibility import is_embargoed_now, is_public, is_public_now
from app.authors import counts
from app.authors.models import ArticleAuthor
from app.briefs.models import Brief
from app.changelog import signal
from app.changelog.models import (
    ALL_SECTIONS,
    EVERYTHING,
    MAX_STALE_KEYS,
    ArticleChange,
    ChangeScope,
    Kind,
    PartnerGrant,
    PartnerScope,
    StaleKey,
)
from app.core.counters import CHANGE_SEQ, CONTENT_VERSION, bump
from app.core.db import utcnow
from app.core.purge import mark_stale
from app.taxonomy.models import Section


@dataclass(frozen=True)
class Recorded:
    """One recorded public change of one article (what a webhook event is made from)."""

    article_id: str
    seq: int
    kind: Kind
    at: datetime
    slug: str
    language: str
    section_id: int | None


@dataclass
class Before:
    """What articles' public pages were keyed by before a change: the authors whose pages
    listed them (a byline change makes the removed author's pages stale too) and their
    sections; and the authors each counted for (`counts.counted`), so that the authors'
    counts move by the difference. `Before()` is the state of articles that did not exist."""

    authors: set[int] = field(default_factory=set)
    sections: set[int] = field(default_factory=set)
    counted: dict[str, list[int]] = field(default_factory=dict)
    # Public by the visibility rule: a scheduled article whose time has come is public before
    # the sweep records it so.
    shown: set[str] = field(default_factory=set)


def before(session: Session, article_ids: Sequence[str], now: datetime | None = None) -> Before:
    """Call before changing existing articles (a status, a byline, a section); pass the result
    to `article_changed`."""
    if not article_ids:
        return Before()
    ids = list(article_ids)
    rows = session.execute(select(Article.id, Article.section_id,
                                  is_public(now or utcnow())).where(col(Article.id).in_(ids))).all()
    lines = counts.bylines(session, ids)
    return Before(
        authors={line.author_id for line in lines},
        sections={section for _, section, _ in rows if section is not None},
        counted=counts.counted(lines),
        shown={article for article, _, public in rows if public})


def content_changed(session: Session, *stale_keys: str) -> None:
    """Public content other than an article's own state changed (a brief, a section's name):
    bump the content version; `stale_keys` are the Surrogate-Keys of what changed (none: all
    of it). Response caches drop what carries them; the CDN purge sends them."""
    version = bump(session, CONTENT_VERSION)
    keys = set(stale_keys) if stale_keys and len(stale_keys) <= MAX_STALE_KEYS else {EVERYTHING}
    session.connection().execute(_insert(session)(StaleKey.__table__).on_conflict_do_nothing(),
                                 [{"version": version, "key": key} for key in sorted(keys)])
    mark_stale(session, stale_keys)
    signal.announce(session)


def unseen(status_before: str | None, status_after: str) -> bool:
    """Whether an article's write is invisible outside the newsroom whatever else it changes: a
    draft (or a new article) that stays a draft. No reader, partner, feed or webhook has it and
    its bylines count nothing, so `article_changed` would record nothing: its callers skip the
    change log's bookkeeping for it (webhook viewers, `before`, the reads `article_changed`
    makes to find that out), a third of a draft save's cost."""
    return status_before in (None, Status.draft) and status_after == Status.draft


def article_changed(session: Session, article_ids: Sequence[str], *stale_keys: str,
                    kind: Kind | None = None, prior: Before | None = None,
                    now: datetime | None = None, at_publication: bool = False) -> list[Recorded]:
    """THE function every public article change passes through, after the write is flushed
    and before the commit. It compares each article's public state now with the one recorded
    at its last change and records what the change was for the public:

    - not public -> public: `published` (a scheduled one going live comes from the sweep);
    - public -> public: `updated`, or `kind` when the caller knows better (`corrected`);
    - public -> not public: `killed`, `deleted` or `unpublished`, from the article's state;
    - not public -> not public: `embargoed` when the article is or was scheduled and not yet
      public (only partners with embargo access see it: no content version, purge or event);
      for drafts nothing at all is recorded, bumped or purged.

    It returns the `Recorded` changes, each with its new `seq`. The webhook outbox attaches
    here with one line before the return (`outbox.enqueue(session, recorded)`), so events are
    written in the same transaction and exist exactly when the change does.

    `stale_keys` (e.g. `"tags"` when a tag's name changed) go stale whatever the articles'
    state; `at_publication` dates each change at the article's publication time (the sweep).
    `prior` is `before(...)` of the articles that existed, taken before the write (an article
    of `article_ids` it does not cover is new); without it the authors' counts are counted
    again from their articles, a cost that grows with their archive."""
    now = now or utcnow()
    ids = sorted(set(article_ids))
    if not ids:
        if stale_keys:
            content_changed(session, *stale_keys)
        return []
    session.flush()
    lines = counts.bylines(session, ids)
    bylines = {line.author_id for line in lines}
    # Whatever the write was (a status, a deletion, a byline), its authors' counts follow it.
    if prior is None:
        counts.recount(session, bylines)
    else:
        counts.shift(session, {i: prior.counted[i] for i in ids if i in prior.counted},
                     counts.counted(lines))
    rows = session.execute(
        # sqlmodel's select() is typed for at most four columns
        select(Article.id, Article.slug, Article.status,  # type: ignore[call-overload]
               Article.published_at,
               Article.deleted_at, Article.language, Article.section_id, Article.syndication,
               ArticleChange.public, ArticleChange.early)
        .outerjoin(ArticleChange, col(ArticleChange.article_id) == Article.id)
        .where(col(Article.id).in_(ids)).order_by(col(Article.id))).all()
    changed: list[tuple[Kind, datetime | None, bool, bool, Any]] = []
    for row in rows:
        is_ = is_public_now(row.status, row.published_at, row.deleted_at, now)
        early = not is_ and is_embargoed_now(row.status, row.published_at, row.deleted_at, now)
        # Withdrawn after its time came but before the sweep recorded its publication: readers
        # saw it, so its leaving is a public change (pages that showed it go stale).
        was = bool(row.public) or (not is_ and prior is not None and row.id in prior.shown)
        if not was and not is_:
            if early or row.early:  # scheduled, edited or withdrawn before its time
                changed.append((Kind.embargoed, now, False, early, row))
            continue
        if is_ and not was:
            what = Kind.published
        elif is_:
            what = kind or Kind.updated
        elif row.status == Status.killed:
            what = Kind.killed
        elif row.deleted_at is not None:
            what = Kind.deleted
        else:
            what = Kind.unpublished
        at = row.published_at if at_publication and row.published_at else now
        changed.append((what, at, is_, early, row))
    if not changed:
        if stale_keys:
            content_changed(session, *stale_keys)
        return []

    last = bump(session, CHANGE_SEQ, len(changed))
    first = last - len(changed) + 1
    values = [{"article_id": row.id, "seq": first + i, "kind": what.value, "at": at,
               "public": is_, "early": early}
              for i, (what, at, is_, early, row) in enumerate(changed)]
    # Core executemany of one statement (compiled once, then cached): a multi-row VALUES is
    # compiled again for each batch, which cost more than the writes of an import's batch.
    session.connection().execute(_upsert_change(_dialect(session)), values)
    _scoped(session, [(row, first + i, is_)
                      for i, (_, _, is_, early, row) in enumerate(changed) if is_ or early])

    public = [c for c in changed if c[0] != Kind.embargoed]
    keys = set(stale_keys)
    if public:
        keys |= _stale_keys(session, public, [row.id for *_, row in public], ids, bylines,
                            prior)
    if public or keys:
        content_changed(session, *keys)
    signal.announce(session)
    return [Recorded(row.id, first + i, what, at or now, row.slug, row.language, row.section_id)
            for i, (what, at, _, _, row) in enumerate(changed)]


def _scoped(session: Session, shown: Sequence[tuple[Any, int, bool]]) -> None:
    """Remember the scope each public (or embargoed: `public` False) article is in now, and
    the seq it was last shown at."""
    if not shown:
        return
    session.connection().execute(_upsert_scope(_dialect(session)), [
        {"article_id": row.id, "language": row.language, "section_id": row.section_id or 0,
         "syndicated": row.syndication == Syndication.allowed.value, "seq": seq,
         "first_seq": seq, "first_public_seq": seq if public else None,
         "public_seq": seq if public else None}
        for row, seq, public in shown])


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _insert(session: Session) -> Any:
    return _INSERTS[_dialect(session)]


_INSERTS: dict[str, Any] = {"sqlite": sqlite_insert, "postgresql": pg_insert}


# The upserts of every public change, built once per dialect: an `ON CONFLICT` statement's
# `excluded` columns are new objects each time it is built, a cost every publish paid.
@lru_cache
def _upsert_change(dialect: str) -> Any:
    stmt = _INSERTS[dialect](ArticleChange.__table__)
    return stmt.on_conflict_do_update(index_elements=["article_id"], set_={
        "seq": stmt.excluded.seq, "kind": stmt.excluded.kind, "at": stmt.excluded.at,
        "public": stmt.excluded.public, "early": stmt.excluded.early})


@lru_cache
def _upsert_scope(dialect: str) -> Any:
    stmt = _INSERTS[dialect](ChangeScope.__table__)
    return stmt.on_conflict_do_update(
        index_elements=["article_id", "language", "section_id", "syndicated"],
        set_={"seq": stmt.excluded.seq,
              "first_public_seq": func.coalesce(ChangeScope.__table__.c.first_public_seq,
                                                stmt.excluded.first_public_seq),
              "public_seq": func.coalesce(stmt.excluded.public_seq,
                                          ChangeScope.__table__.c.public_seq)})


def _stale_keys(session: Session, changed: Iterable[tuple[Any, ...]], ids: list[str],
                all_ids: list[str], bylines: set[int], prior: Before | None) -> set[str]:
    """The keys of every page that shows these articles: their details, the lists (`articles`),
    their authors' pages and, through the byline's article count, their authors' other
    articles (`author:`), their sections' pages, and the details of their translations (which
    list each other). An unrelated article's detail keeps its entries."""
    authors = set(session.exec(select(ArticleAuthor.author_id).distinct().where(
        col(ArticleAuthor.article_id).in_(ids))).all()) if ids != all_ids else set(bylines)
    authors |= prior.authors if prior else set()
    sections = {row.section_id for *_, row in changed if row.section_id is not None}
    sections |= prior.sections if prior else set()
    keys = {"articles", *(f"article:{a}" for a in ids), *(f"author:{a}" for a in authors)}
    groups = set(session.exec(select(Article.translation_group).where(
        col(Article.id).in_(ids), col(Article.translation_group).is_not(None))).all())
    if groups:
        keys |= {f"article:{a}" for a in session.exec(select(Article.id).where(
            col(Article.translation_group).in_(groups))).all()}
    if sections:
        keys |= {f"section:{slug}" for slug in session.exec(
            select(Section.slug).where(col(Section.id).in_(sections))).all()}
    if any(what != Kind.updated and what != Kind.corrected for what, *_ in changed):
        # The article entered or left the public set: author lists count it, and briefs
        # linked to it show (or stop showing) it.
        keys.add("authors")
        linked = session.exec(select(func.count()).select_from(Brief).where(
            col(Brief.article_id).in_(ids))).one()
        if linked:
            keys.add("briefs")
    return keys


def partner_rescoped(session: Session, partner_id: int, before: Sequence[int] | None,
                     after: Sequence[int] | None, article_ids: Sequence[str]) -> None:
    """A partner's allowlist changed from the sections `before` to `after` (`None`: every
    section). Remember what it could see before (`PartnerScope`) and from when it may see each
    section now (`PartnerGrant`), and give the touched articles new sequence numbers, so the
    partner's feed renders them again against its new allowlist (upserts, or `out_of_scope`
    tombstones). Nothing changed for the public: no content version, no purge, no event."""
    insert = _insert(session)
    # The first seq the new allowlist covers; the no-op bump locks the counter like any writer.
    changed_at = bump(session, CHANGE_SEQ, 0) + 1
    granted = dict(session.exec(select(PartnerGrant.section_id, PartnerGrant.seq).where(
        PartnerGrant.partner_id == partner_id)).all())
    if before is None:
        former = {ALL_SECTIONS: granted.get(ALL_SECTIONS, 0)}
    else:  # moving to every section, each former one stays visible only through `former`
        former = {s: granted.get(s, 0) for s in set(before) - set(after or ())}
    if former:
        stmt = insert(PartnerScope).values(
            [{"partner_id": partner_id, "section_id": s, "granted": seq, "revoked": changed_at}
             for s, seq in former.items()])
        scope = PartnerScope.__table__.c
        session.execute(stmt.on_conflict_do_update(
            index_elements=["partner_id", "section_id"], set_={
                "granted": case((scope.granted < stmt.excluded.granted, scope.granted),
                                else_=stmt.excluded.granted),
                "revoked": case((scope.revoked > stmt.excluded.revoked, scope.revoked),
                                else_=stmt.excluded.revoked)}))
    if after is None:
        grants = {ALL_SECTIONS: changed_at}
    elif before is None:  # narrowed from every section: each kept section was visible since then
        grants = dict.fromkeys(after, granted.get(ALL_SECTIONS, 0))
    else:
        grants = dict.fromkeys(set(after) - set(before), changed_at)
    if grants:
        stmt = insert(PartnerGrant).values(
            [{"partner_id": partner_id, "section_id": s, "seq": seq} for s, seq in grants.items()])
        session.execute(stmt.on_conflict_do_update(
            index_elements=["partner_id", "section_id"], set_={"seq": stmt.excluded.seq}))
    renumber(session, article_ids)


def renumber(session: Session, article_ids: Sequence[str]) -> None:
    """Give logged articles new sequence numbers, so every feed renders them again against
    its viewer's current scope (a partner's new allowlist or embargo access). No content
    version, no purge, no event: nothing changed for the public."""
    rows = session.execute(
        # sqlmodel's select() is typed for at most four columns
        select(Article.id, Article.language,  # type: ignore[call-overload]
               Article.section_id, Article.syndication,
               ArticleChange.public, ArticleChange.early)
        .join(ArticleChange, col(ArticleChange.article_id) == Article.id)
        .where(col(Article.id).in_(list(article_ids))).order_by(col(Article.id))).all()
    if not rows:
        return
    last = bump(session, CHANGE_SEQ, len(rows))
    first = last - len(rows) + 1
    for i, row in enumerate(rows):
        session.execute(update(ArticleChange).where(col(ArticleChange.article_id) == row.id)
                        .values(seq=first + i))
    # Shown now, so shown in its scope at the new seq (after any grant made just now).
    _scoped(session, [(row, first + i, row.public) for i, row in enumerate(rows)
                      if row.public or row.early])
    signal.announce(session)
