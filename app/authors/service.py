"""Author use cases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from app.authors.models import (
    LINKS_MAX,
    ArticleAuthor,
    Author,
    AuthorCreate,
    AuthorEditorial,
    AuthorUpdate,
)
from app.changelog import record as changes
from app.core.db import commit_or_conflict
from app.core.errors import Conflict, Unprocessable
from app.core.pagination import SortKey, fetch_page
from app.core.patch import merge_patch, refuse_nulls
from app.core.slugs import slugify, unique_slug
from app.media.images import author_avatar, patched_image, stored_image
from app.users.models import User

BY_NAME = SortKey("name", [(col(Author.name), False), (col(Author.id), False)])
# Fields that article pages show (full author objects in article details, names on cards).
_SHOWN_ON_ARTICLES = {"name", "bio", "title", "avatar_url", "links", "avatar"}


def find(session: Session, name: str) -> Author | None:
    """The author with this name's slug, if there is one."""
    return session.exec(select(Author).where(Author.slug == slugify(name))).first()


def find_or_add(session: Session, name: str, *, bio: str | None, now: datetime) -> Author:
    """The author with this name's slug, created if new (flushes, does not commit)."""
    slug = slugify(name)
    author = session.exec(select(Author).where(Author.slug == slug)).first()
    if author is None:
        author = Author(slug=slug, name=name, bio=bio, created_at=now, updated_at=now)
        session.add(author)
        session.flush()
    return author


# ---- reads ----------------------------------------------------------------------------------


def _article_ids(session: Session, author_id: int) -> list[str]:
    return sorted(session.exec(select(ArticleAuthor.article_id).where(
        ArticleAuthor.author_id == author_id)).all())


def _with_counts() -> Select[Author, int]:
    counts = (select(ArticleAuthor.author_id, func.count().label("n"))
              .group_by(col(ArticleAuthor.author_id)).subquery())
    return (select(Author, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.author_id == Author.id))


def editorial_view(author: Author, article_count: int) -> AuthorEditorial:
    return AuthorEditorial.model_validate(author, update={
        "links": author.links or {}, "article_count": article_count,
        "avatar": author_avatar(author.avatar, author.avatar_url)})


def list_authors(session: Session, *, limit: int,
                 cursor: str | None) -> tuple[list[AuthorEditorial], str | None]:
    """Every author, with or without articles, in name order."""
    rows, next_cursor = fetch_page(session, _with_counts(), BY_NAME, limit=limit, cursor=cursor,
                                   cursor_of=lambda row: [row[0].name, row[0].id])
    return [editorial_view(a, n) for a, n in rows], next_cursor


def get_author_view(session: Session, author: Author) -> AuthorEditorial:
    return editorial_view(author, len(_article_ids(session, author.id or 0)))


# ---- writes ---------------------------------------------------------------------------------


def _check_user(session: Session, user_id: int | None, author_id: int | None) -> None:
    """A profile links to an existing user, and to one not linked to another profile."""
    if user_id is None:
        return
    if session.get(User, user_id) is None:
        raise Unprocessable(f"No user with id {user_id}",
                            errors=[{"loc": ["body", "user_id"], "msg": "unknown user"}])
    owner = session.exec(select(Author.id).where(Author.user_id == user_id)).first()
    if owner is not None and owner != author_id:
        raise Conflict(f"User {user_id} is already linked to another author profile")


def create_author(session: Session, data: AuthorCreate, *, now: datetime) -> Author:
    if data.slug:
        slug = slugify(data.slug)
        if session.exec(select(Author.id).where(Author.slug == slug)).first():
            raise Conflict(f"An author with slug {slug!r} exists")
    else:
        slug = unique_slug(session, col(Author.slug), data.name)
    _check_user(session, data.user_id, None)
    author = Author(**data.model_dump(exclude={"slug", "avatar"}), slug=slug, created_at=now,
                    updated_at=now, avatar=stored_image(session, data.avatar, ("body", "avatar")))
    session.add(author)
    changes.content_changed(session, "authors")
    commit_or_conflict(session, "The slug or user")
    session.refresh(author)
    return author


def update_author(session: Session, author: Author, data: AuthorUpdate, *, now: datetime) -> Author:
    """A profile edit; articles that show the author are announced as changed."""
    refuse_nulls(data, "name")
    values = data.model_dump(exclude_unset=True)
    if "avatar" in values:
        values["avatar"] = stored_image(
            session, patched_image(author.avatar, data.avatar, "avatar"), ("body", "avatar"))
    if "user_id" in values:
        _check_user(session, values["user_id"], author.id)
    if values.get("links") is not None:
        values["links"] = merge_patch(author.links, values["links"])
        if len(values["links"]) > LINKS_MAX:
            raise Unprocessable(f"An author has at most {LINKS_MAX} links", errors=[
                {"loc": ["body", "links"], "msg": f"at most {LINKS_MAX} links"}])
    for name, value in values.items():
        setattr(author, name, {} if name == "links" and value is None else value)
    author.updated_at = now
    session.add(author)
    stale = (f"author:{author.id}", "authors")
    if _SHOWN_ON_ARTICLES & values.keys():
        changes.article_changed(session, _article_ids(session, author.id or 0), *stale)
    else:
        changes.content_changed(session, *stale)
    commit_or_conflict(session, "The user")
    session.refresh(author)
    return author


def delete_author(session: Session, author: Author) -> None:
    """Only an author with no articles (of any status) can go: bylines must stay intact."""
    count = len(_article_ids(session, author.id or 0))
    if count:
        raise Conflict(f"The author has {count} article(s); move them to another author first")
    session.delete(author)
    changes.content_changed(session, f"author:{author.id}", "authors")
    session.commit()
