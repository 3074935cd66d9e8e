"""The one visibility rule of the public surfaces.

An article is public when it is published (or scheduled and its time has come) and not deleted.
Every Content API and Syndication query starts from `public_articles()`; no route repeats it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, literal_column, or_

from app.articles.models import Article, Status

LIVE_STATUSES = (Status.published.value, Status.scheduled.value)
assert all(s.isalpha() for s in LIVE_STATUSES)  # written into SQL as quoted literals


def is_public(now: datetime | ColumnElement[datetime]) -> ColumnElement[bool]:
    # The table's columns rather than the mapped attributes: the same SQL, and a Core select
    # that uses the rule stays a Core select (the ORM ones accept it as well).
    article = Article.__table__.c
    return and_(
        # Constants, written into the SQL: no expanding parameter, so `core.prepared` can
        # compile the statement once.
        article.status.in_([literal_column(f"'{s}'") for s in LIVE_STATUSES]),
        article.published_at <= now,
        article.deleted_at.is_(None),
    )


def is_embargoed(now: datetime) -> ColumnElement[bool]:
    """Scheduled and not yet public: what partners with `embargo_access` receive early, marked
    `embargoed_until`. Nothing else ever shows it before its time."""
    article = Article.__table__.c
    return and_(
        article.status.in_([literal_column(f"'{s}'") for s in LIVE_STATUSES]),
        article.published_at > now,
        article.deleted_at.is_(None),
    )


def is_shown(now: datetime, *, early: bool) -> ColumnElement[bool]:
    """`is_public`, or with `early` (a partner with embargo access) `is_embargoed` too."""
    return or_(is_public(now), is_embargoed(now)) if early else is_public(now)


def never_public() -> ColumnElement[bool]:
    """Articles no passing time makes public: not live, or deleted. A newsroom has few (drafts,
    killed and deleted articles), and the partial index `ix_article_never_public` (revision
    0015) lists them; a query must write this clause exactly as the index does to use it."""
    article = Article.__table__.c
    return or_(article.status.not_in([literal_column(f"'{s}'") for s in LIVE_STATUSES]),
               article.deleted_at.is_not(None))


def not_shown(now: datetime, *, early: bool) -> list[ColumnElement[bool]]:
    """The complement of `is_shown`, as clauses whose union it is, each answered by an index
    (`ix_article_never_public`, `ix_article_published_at_id`): the few articles a search
    count leaves out, listed without reading any article (app/articles/search.py)."""
    article = Article.__table__.c
    # `status` is NOT NULL; a NULL `published_at` is never shown (`<= now` and `> now` are
    # both unknown), hence its own clause.
    parts = [never_public(), article.published_at.is_(None)]
    if not early:  # embargoed articles are shown to partners with early access
        parts.append(article.published_at > now)
    return parts


def is_due(now: datetime, *, dialect: str = "postgresql") -> ColumnElement[bool]:
    """The one rule "a scheduled article is due": scheduled, its time has come, not deleted.
    Reads treat it as published at once; the change log's sweep then records it as a change."""
    article = Article.__table__.c
    scheduled = article.status == Status.scheduled.value
    if dialect == "sqlite":
        # SQLite keeps no statistics on values (no STAT4 in Python's build): it took the status
        # test to match every row and walked `ix_article_published_at_id`, reading every
        # article. `unlikely()` tells it what PostgreSQL's statistics know: few are scheduled.
        scheduled = func.unlikely(scheduled)
    return and_(scheduled, article.published_at <= now, article.deleted_at.is_(None))


def is_public_now(status: str, published_at: datetime | None, deleted_at: datetime | None,
                  now: datetime) -> bool:
    """`is_public` for one row already in memory."""
    return (status in LIVE_STATUSES and deleted_at is None and published_at is not None
            and published_at <= now)


def is_embargoed_now(status: str, published_at: datetime | None, deleted_at: datetime | None,
                     now: datetime) -> bool:
    """`is_embargoed` for one row already in memory."""
    return (status in LIVE_STATUSES and deleted_at is None and published_at is not None
            and published_at > now)


def effective_status(status: str, published_at: datetime | None, now: datetime) -> Status:
    """A scheduled article whose time has come reads as published, with no job runner
    (`is_due` for one row in memory, deletion aside)."""
    if status == Status.scheduled and published_at is not None and published_at <= now:
        return Status.published
    return Status(status)
