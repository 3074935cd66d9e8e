"""Editorial reads: articles in every status (the Content API's visibility rule does not apply
here; who may see what is decided by the caller's role) and stored revisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from app.articles.models import Article, ArticleRevision, SlugHistory, Status
from app.articles.queries import SORTS
from app.authors.models import ArticleAuthor, Author
from app.core.pagination import SortKey, fetch_page
from app.taxonomy.models import Section

NEWEST_CHANGE = SORTS["-updated_at"]
NEWEST_REVISION = SortKey("-revision", [(col(ArticleRevision.revision), True)])


@dataclass
class EditorialFilters:
    status: Status | None = None
    author: str | None = None
    section: str | None = None
    include_deleted: bool = False
    created_by_id: int | None = None  # writers: only their own
    slug: str | None = None


def page_ids(session: Session, filters: EditorialFilters, *, now: datetime, limit: int,
             cursor: str | None) -> tuple[list[str], str | None]:
    """The ids of one page, newest change first (rendered by `public_reads.editorial_by_id`).
    The sort key can move while a client pages (an edit bumps `updated_at`); an edited article
    then shows up again at the top, never twice on a page."""
    stmt = select(*(c for c, _ in NEWEST_CHANGE.columns))
    if not filters.include_deleted:
        stmt = stmt.where(col(Article.deleted_at).is_(None))
    if filters.created_by_id is not None:
        stmt = stmt.where(Article.created_by_id == filters.created_by_id)
    # Scheduled articles whose time has come are published, as everywhere else.
    if filters.status == Status.published:
        stmt = stmt.where(col(Article.status).in_([Status.published, Status.scheduled]),
                          col(Article.published_at) <= now)
    elif filters.status == Status.scheduled:
        stmt = stmt.where(Article.status == Status.scheduled, col(Article.published_at) > now)
    elif filters.status is not None:
        stmt = stmt.where(Article.status == filters.status)
    if filters.slug:  # the current slug, or one the article had (old links)
        stmt = stmt.where(or_(col(Article.slug) == filters.slug, col(Article.id).in_(
            select(SlugHistory.article_id).where(SlugHistory.slug == filters.slug))))
    if filters.section:
        stmt = stmt.where(Article.section_id == select(Section.id).where(
            Section.slug == filters.section).scalar_subquery())
    if filters.author:
        stmt = stmt.where(col(Article.id).in_(
            select(ArticleAuthor.article_id).join(Author, col(Author.id) == ArticleAuthor.author_id)
            .where(Author.slug == filters.author)))
    rows, next_cursor = fetch_page(session, stmt, NEWEST_CHANGE, limit=limit, cursor=cursor,
                                   cursor_of=NEWEST_CHANGE.values_of)
    return [row.id for row in rows], next_cursor


def list_revisions(session: Session, article_id: str, *, limit: int,
                   cursor: str | None) -> tuple[list[ArticleRevision], str | None]:
    return fetch_page(session, select(ArticleRevision).where(
        ArticleRevision.article_id == article_id), NEWEST_REVISION, limit=limit, cursor=cursor,
        cursor_of=NEWEST_REVISION.values_of)


def get_revision(session: Session, article_id: str, revision: int) -> ArticleRevision | None:
    return session.exec(select(ArticleRevision).where(
        ArticleRevision.article_id == article_id, ArticleRevision.revision == revision)).first()


def revision_snapshot(session: Session, revision: ArticleRevision) -> dict[str, Any]:
    """The full state stored for `revision`. A snapshot without `body` was taken by a change
    that left the body as it was (`service._apply`): its body is that of the next revision that
    has one, or else the article's own. Every change of a body stores the body it replaces, so
    the first one found is the body this revision had."""
    snap = revision.snapshot
    if "body" in snap:
        return snap
    later = session.exec(select(ArticleRevision.snapshot).where(
        ArticleRevision.article_id == revision.article_id,
        col(ArticleRevision.revision) > revision.revision,
    ).order_by(col(ArticleRevision.revision)))
    body = next((s["body"] for s in later if "body" in s), None)
    if body is None:
        body = session.exec(select(Article.body).where(Article.id == revision.article_id)).one()
    return {**snap, "body": body}
