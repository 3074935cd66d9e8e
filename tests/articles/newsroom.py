"""A small newsroom for Editorial API tests: two writers (each with an author profile), an
editor and an admin, with bearer headers, plus helpers to build articles in a given state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import pytest
from sqlmodel import Session

from app.articles import service as articles_service
from app.articles.models import Article, ArticleCreate, ArticleUpdate
from app.core.preconditions import revision_etag
from app.core.security import hash_password
from app.users.models import User
from tests.factories import PASSWORD

BAD_TOKEN = {"Authorization": "Bearer not-a-real-token"}


@dataclass
class Newsroom:
    writer: User
    other_writer: User
    editor: User
    admin: User
    headers: dict[str, dict[str, str]]
    session: Session

    def article(self, title: str = "A story", *, by: User | None = None, state: str = "draft",
                **fields: object) -> Article:
        """An article created by `by` (the writer by default), then brought to `state`:
        draft, revised (a draft with one stored revision), published or deleted."""
        by = by or self.writer
        now = datetime.now(UTC) - timedelta(seconds=5)
        fields.setdefault("body_text", "First paragraph.\n\nSecond paragraph.")
        article = articles_service.create_article(
            self.session, ArticleCreate(title=title, **fields), by=by, now=now)  # type: ignore[arg-type]
        if state == "revised":
            article = articles_service.update_article(
                self.session, article, ArticleUpdate(title=f"{title} (edited)"),
                expected_revision=article.revision, by=by, now=now)
        if state in ("published", "deleted"):
            article = articles_service.publish_article(
                self.session, article, publish_at=None, expected_revision=article.revision,
                by=self.editor, now=now)
        if state == "deleted":
            article = articles_service.delete_article(
                self.session, article, expected_revision=article.revision, by=self.editor, now=now)
        self.release()
        return article

    def release(self) -> None:
        # The factories' refresh() leaves a transaction open, and on SQLite the write engine
        # begins every transaction IMMEDIATE: end it, or the app would wait for our lock.
        self.session.commit()


def if_match(article: Article, **headers: str) -> dict[str, str]:
    return {"If-Match": revision_etag(article.id, article.revision), **headers}


@lru_cache
def password_hash() -> str:
    return hash_password(PASSWORD)  # once: Argon2 is slow on purpose


@pytest.fixture
def newsroom(session: Session, make_author: Callable[..., object],
             auth_headers: Callable[..., dict[str, str]]) -> Newsroom:
    now = datetime.now(UTC)
    users = {name: User(email=f"{name}@example.com", role=role, password_hash=password_hash(),
                        created_at=now)
             for name, role in (("writer", "writer"), ("other", "writer"), ("editor", "editor"),
                                ("admin", "admin"))}
    session.add_all(users.values())
    session.commit()
    make_author("Writer One", user_id=users["writer"].id)
    make_author("Writer Two", user_id=users["other"].id)
    make_author("Editor Three", user_id=users["editor"].id)
    make_author("Admin Four", user_id=users["admin"].id)
    headers = {name: auth_headers(user=user) for name, user in users.items()}
    headers["anon"] = {}
    headers["bad"] = BAD_TOKEN
    room = Newsroom(writer=users["writer"], other_writer=users["other"], editor=users["editor"],
                    admin=users["admin"], headers=headers, session=session)
    room.release()
    return room
