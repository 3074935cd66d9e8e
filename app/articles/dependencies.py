"""Loading an article for the Editorial API, with who may see and change it.

Writers see only articles they created, and someone else's article answers 404 (not 403), so a
writer cannot probe which ids exist. Writers change only their own drafts; publishing,
unpublishing and deleting need an editor; restoring a deleted article needs an admin.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from app.articles.errors import ArticleNotFound, ArticleStateConflict
from app.articles.models import Article, Status
from app.core.db import SessionDep, end_read, read_unlocked
from app.core.errors import Forbidden
from app.users.dependencies import CurrentAdmin, CurrentEditor, CurrentUser
from app.users.models import Role, User

ArticleId = Annotated[str, Path(min_length=1, max_length=32, description="The article's id")]


def is_writer(user: User) -> bool:
    return user.role == Role.writer


def readable_article(article_id: ArticleId, session: SessionDep, user: CurrentUser) -> Article:
    read_unlocked(session)  # the service's UPDATE checks the revision read here
    article = session.get(Article, article_id)
    end_read(session)  # the body (sanitized next) is not parsed under the write lock
    if article is None or (is_writer(user) and (
            article.created_by_id != user.id or article.deleted_at is not None)):
        raise ArticleNotFound(f"No article with id {article_id!r}")
    return article


ReadableArticle = Annotated[Article, Depends(readable_article)]


def editable_article(article: ReadableArticle, user: CurrentUser) -> Article:
    """Content edits (PATCH, restoring a revision)."""
    if article.deleted_at is not None:
        raise ArticleStateConflict("The article is deleted; an admin must restore it first")
    if is_writer(user) and article.status != Status.draft:
        raise Forbidden("Writers can change only their own drafts; ask an editor")
    return article


def managed_article(article: ReadableArticle, _editor: CurrentEditor) -> Article:
    """Publishing, unpublishing and deleting."""
    return article


def restorable_article(article: ReadableArticle, _admin: CurrentAdmin) -> Article:
    return article


EditableArticle = Annotated[Article, Depends(editable_article)]
ManagedArticle = Annotated[Article, Depends(managed_article)]
RestorableArticle = Annotated[Article, Depends(restorable_article)]
