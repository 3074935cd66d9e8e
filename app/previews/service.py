"""Preview links. A token is 256 random bits, shown once; the table keeps its SHA-256, so a
lookup is one indexed equality and a leaked table opens nothing. Expired, revoked, unknown and
malformed tokens, and tokens of deleted articles, are one and the same 404 to the caller."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from app.articles.models import Article
from app.core.errors import NotFound
from app.core.pagination import SortKey, decode_cursor, encode_cursor
from app.previews.models import PreviewLink, PreviewLinkCreate
from app.users.models import User

TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # token_urlsafe(32)
NEWEST = SortKey("-id", [(col(PreviewLink.id), True)])


class PreviewNotFound(NotFound):
    title = "Preview not found"
    slug = "preview-not-found"


class PreviewLinkNotFound(NotFound):
    title = "Preview link not found"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_link(session: Session, article: Article, data: PreviewLinkCreate, *,
                by: User | None, now: datetime) -> tuple[PreviewLink, str]:
    token = secrets.token_urlsafe(32)
    link = PreviewLink(article_id=article.id, token_hash=token_hash(token), created_at=now,
                       expires_at=now + timedelta(seconds=data.expires_in),
                       created_by_id=by.id if by else None)
    session.add(link)
    session.commit()
    session.refresh(link)
    return link, token


def list_links(session: Session, article: Article, *, limit: int,
               cursor: str | None) -> tuple[list[PreviewLink], str | None]:
    stmt = select(PreviewLink).where(PreviewLink.article_id == article.id)
    if cursor:
        stmt = stmt.where(NEWEST.after(decode_cursor(cursor, NEWEST.name, 1)))
    rows = list(session.exec(stmt.order_by(*NEWEST.order_by()).limit(limit + 1)).all())
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], encode_cursor(NEWEST.name, [rows[limit - 1].id])


def get_link(session: Session, article: Article, link_id: int) -> PreviewLink:
    link = session.get(PreviewLink, link_id)
    if link is None or link.article_id != article.id:
        raise PreviewLinkNotFound(f"Article {article.id} has no preview link {link_id}")
    return link


def revoke_link(session: Session, link: PreviewLink, *, now: datetime) -> PreviewLink:
    """Idempotent: revoking twice keeps the first time."""
    if link.revoked_at is None:
        link.revoked_at = now
        session.add(link)
        session.commit()
        session.refresh(link)
    return link


def previewed_article(session: Session, token: str, now: datetime) -> tuple[Article, str]:
    """The article a live token opens, and the token's hash (the rate limit's key)."""
    gone = PreviewNotFound("No preview with this token; it may have expired or been revoked")
    if not TOKEN.match(token):
        raise gone
    digest = token_hash(token)
    article = session.exec(
        select(Article).join(PreviewLink, col(PreviewLink.article_id) == Article.id)
        .where(PreviewLink.token_hash == digest, col(PreviewLink.revoked_at).is_(None),
               col(PreviewLink.expires_at) > now, col(Article.deleted_at).is_(None))).first()
    if article is None:
        raise gone
    return article, digest


def is_active(link: PreviewLink, now: datetime) -> bool:
    return link.revoked_at is None and link.expires_at > now
