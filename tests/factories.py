"""Small typed factories (fixtures that return builder functions)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from app.articles import service as articles_service
from app.articles.models import Article, ArticleCreate, Status
from app.authors.models import Author
from app.core.security import issue_token
from app.taxonomy.models import Section
from app.users.models import Role, User, UserCreate

_counter = itertools.count(1)
PASSWORD = "correct horse battery staple"


def utcnow() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def make_section(session: Session) -> Callable[..., Section]:
    def make(slug: str = "news", name: str | None = None) -> Section:
        section = Section(slug=slug, name=name or slug.title())
        session.add(section)
        session.commit()
        session.refresh(section)
        return section

    return make


@pytest.fixture
def make_author(session: Session) -> Callable[..., Author]:
    def make(name: str | None = None, **fields: Any) -> Author:
        from app.core.slugs import slugify

        name = name or f"Author {next(_counter)}"
        now = utcnow()
        author = Author(slug=slugify(name), name=name, created_at=now, updated_at=now, **fields)
        session.add(author)
        session.commit()
        session.refresh(author)
        return author

    return make


@pytest.fixture
def make_article(session: Session, make_author: Callable[..., Author]) -> Callable[..., Article]:
    """make_article(title=..., status="published"|"draft"|"scheduled"|"deleted",
    **create_fields)."""

    def make(title: str | None = None, *, status: str = "published",
             published_at: datetime | None = None, **fields: Any) -> Article:
        now = utcnow()
        if "authors" not in fields:
            fields["authors"] = [make_author().slug]
        if not {"body", "body_html", "body_text"} & fields.keys():
            fields["body_text"] = "Some words of body text.\n\nA second paragraph."
        data = ArticleCreate(title=title or f"Article {next(_counter)}", **fields)
        article = articles_service.create_article(session, data, by=None, now=now)
        if status in ("published", "deleted"):
            article = articles_service.publish_article(
                session, article, publish_at=None, expected_revision=article.revision, by=None,
                now=published_at or now - timedelta(seconds=1))
        elif status == "scheduled":
            article = articles_service.publish_article(
                session, article, publish_at=published_at or now + timedelta(hours=1),
                expected_revision=article.revision, by=None, now=now)
        if status == "deleted":
            article = articles_service.delete_article(
                session, article, expected_revision=article.revision, by=None, now=now)
        assert status in ("published", "deleted", "scheduled") or article.status == Status.draft
        return article

    return make


@pytest.fixture
def make_user(session: Session) -> Callable[..., User]:
    from app.users import service as users_service

    def make(role: str = "editor", email: str | None = None, **fields: Any) -> User:
        data = UserCreate(email=email or f"user{next(_counter)}@example.com", password=PASSWORD,
                          role=Role(role), **fields)
        return users_service.create_user(session, data, now=utcnow())

    return make


@pytest.fixture
def auth_headers(make_user: Callable[..., User]) -> Callable[..., dict[str, str]]:
    """auth_headers("editor") -> {"Authorization": "Bearer ..."} for a new user of that role."""

    def make(role: str = "editor", user: User | None = None) -> dict[str, str]:
        user = user or make_user(role)
        token, _ = issue_token(str(user.id), user.role, utcnow())
        return {"Authorization": f"Bearer {token}"}

    return make
