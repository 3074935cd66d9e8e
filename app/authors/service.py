"""Author use cases."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from app.authors.models import Author, AuthorCreate, AuthorUpdate
from app.core.errors import Conflict
from app.core.slugs import slugify, unique_slug
from app.syndication import changes


def find_or_add(session: Session, name: str, *, bio: str | None, now: datetime) -> Author:
    """The author with this name's slug, created if new (flushes, does not commit)."""
    slug = slugify(name)
    author = session.exec(select(Author).where(Author.slug == slug)).first()
    if author is None:
        author = Author(slug=slug, name=name, bio=bio, created_at=now, updated_at=now)
        session.add(author)
        session.flush()
    return author


def create_author(session: Session, data: AuthorCreate, *, now: datetime) -> Author:
    if data.slug and session.exec(select(Author.id).where(Author.slug == data.slug)).first():
        raise Conflict(f"An author with slug {data.slug!r} exists")
    slug = slugify(data.slug) if data.slug else unique_slug(session, col(Author.slug), data.name)
    author = Author(**data.model_dump(exclude={"slug"}), slug=slug, created_at=now, updated_at=now)
    session.add(author)
    changes.content_changed(session)
    session.commit()
    session.refresh(author)
    return author


def update_author(session: Session, author: Author, data: AuthorUpdate, *, now: datetime) -> Author:
    for name, value in data.model_dump(exclude_unset=True).items():
        setattr(author, name, value)
    author.updated_at = now
    session.add(author)
    changes.content_changed(session)
    session.commit()
    session.refresh(author)
    return author
