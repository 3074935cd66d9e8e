"""Public article reads: list, detail, search. Every query starts from the visibility rule."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import BindParameter, ColumnElement, Select, false, func, true
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.articles.models import Article
from app.articles.visibility import is_public, is_shown
from app.authors.models import ArticleAuthor, Author
from app.changelog.models import latest_public_change
from app.core.errors import BadRequest
from app.core.pagination import SortKey, fetch_page
from app.taxonomy.models import ArticleTag, Section, Tag

SORTS = {
    "-published_at": SortKey("-published_at", [(col(Article.published_at), True),
                                                (col(Article.id), True)]),
    "published_at": SortKey("published_at", [(col(Article.published_at), False),
                                              (col(Article.id), False)]),
    "-updated_at": SortKey("-updated_at", [(col(Article.updated_at), True),
                                           (col(Article.id), True)]),
}


class UnknownSort(BadRequest):
    title = "Unknown sort"
    slug = "unknown-sort"


# A filter's value, or the bind parameter standing for it in a statement built once
# (`public_reads`).
_Text = str | BindParameter[Any]
_When = datetime | BindParameter[Any]
_Stmt = TypeVar("_Stmt", bound=Select[Any])


@dataclass
class ArticleFilters:
    section: _Text | None = None
    tags: Sequence[_Text] = ()
    author: _Text | None = None
    language: _Text | None = None
    published_after: _When | None = None
    published_before: _When | None = None
    updated_since: _When | None = None
    featured: bool | None = None
    # more clauses from other surfaces (syndication)
    extra: list[ColumnElement[bool]] = field(default_factory=list)
    early: bool = False  # embargoed articles too (partners with embargo access)


def filtered(filters: ArticleFilters, now: datetime) -> SelectOfScalar[Article]:
    return narrowed(select(Article).where(is_shown(now, early=filters.early)), filters)


def narrowed(stmt: _Stmt, filters: ArticleFilters) -> _Stmt:
    """`stmt` (a select from `article`) with the filters' clauses. Values may be bind
    parameters, for statements built once and run many times (`public_reads`)."""
    stmt = stmt.where(*filters.extra)
    if _given(filters.section):
        stmt = stmt.where(col(Article.section_id) == select(Section.id).where(
            Section.slug == filters.section).scalar_subquery())
    for tag in filters.tags:
        stmt = stmt.where(col(Article.id).in_(
            select(ArticleTag.article_id).join(Tag, col(Tag.id) == ArticleTag.tag_id)
            .where(Tag.slug == tag)))
    if _given(filters.author):
        stmt = stmt.where(col(Article.id).in_(
            select(ArticleAuthor.article_id).join(Author, col(Author.id) == ArticleAuthor.author_id)
            .where(Author.slug == filters.author)))
    if _given(filters.language):
        stmt = stmt.where(col(Article.language) == filters.language)
    if filters.published_after is not None:
        stmt = stmt.where(col(Article.published_at) > filters.published_after)
    if filters.published_before is not None:
        stmt = stmt.where(col(Article.published_at) < filters.published_before)
    if filters.updated_since is not None:
        stmt = stmt.where(col(Article.updated_at) >= filters.updated_since)
    if filters.featured is not None:  # a constant, not a parameter: one statement per value
        stmt = stmt.where(col(Article.featured) == (true() if filters.featured else false()))
    return stmt


def only_language(filters: ArticleFilters) -> bool:
    """Whether `filters` narrow by nothing but the visibility rule and `language`."""
    return not (_given(filters.section) or filters.tags or _given(filters.author)
                or filters.extra or filters.featured is not None
                or filters.published_after is not None or filters.published_before is not None
                or filters.updated_since is not None)


def _given(value: object) -> bool:
    if isinstance(value, str):
        return value != ""  # `?section=` filters nothing
    return value is not None


def sort_key(sort: str) -> SortKey:
    try:
        return SORTS[sort]
    except KeyError:
        raise UnknownSort(f"sort must be one of {', '.join(SORTS)}") from None


def page_ids(session: Session, filters: ArticleFilters, *, now: datetime, sort: str,
             limit: int, cursor: str | None) -> tuple[list[str], str | None]:
    """The ids of one page of the articles `filters` shows, in `sort` order after `cursor`, and
    the next cursor. Each surface renders them itself, from rows (`public_reads`)."""
    key = sort_key(sort)
    stmt = narrowed(select(*(c for c, _ in key.columns)).where(is_shown(now, early=filters.early)),
                    filters)
    rows, next_cursor = fetch_page(session, stmt, key, limit=limit, cursor=cursor,
                                   cursor_of=key.values_of)
    return [row.id for row in rows], next_cursor


def last_change(session: Session, now: datetime) -> datetime | None:
    """When the set of public articles last changed: the latest public change in the change
    log (an unpublish or delete is one; a draft's edit is not) or the latest publication time
    that has come.

    A list's `Last-Modified` must not be the newest of its own items: when the newest item
    leaves the list, that value moves backwards and `If-Modified-Since` would answer 304 for a
    changed list. Each half is one index lookup."""
    edited = latest_public_change()
    published = (select(func.max(Article.published_at))
                 .where(col(Article.published_at) <= now).scalar_subquery())
    row = session.execute(select(edited, published)).one()
    values = [_aware(v) for v in row if v is not None]
    return max(values) if values else None


def _aware(value: datetime) -> datetime:
    # Aggregates bypass the column type, so the stored naive UTC comes back as is.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def get_public(session: Session, slug: str, now: datetime) -> Article | None:
    return session.exec(select(Article).where(Article.slug == slug, is_public(now))).first()


# ---- search (the queries are in app/articles/search.py) -------------------------------

_WORD = re.compile(r"\w[\w\u0900-\u0dff\u0300-\u036f'’-]*", re.UNICODE)
MAX_TERMS = 12


def search_terms(q: str) -> list[str]:
    terms = [t.strip("'’-") for t in _WORD.findall(q)]
    return [t for t in terms if t][:MAX_TERMS]
