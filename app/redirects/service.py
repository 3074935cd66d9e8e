"""Old URLs: how paths are compared, and which public article one leads to."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from urllib.parse import parse_qsl, unquote, urlsplit

from sqlmodel import Session, col, select

from app.articles.models import Article
from app.articles.visibility import is_public
from app.core.ids import ascii_int
from app.redirects.models import Redirect


def normalize_path(value: str) -> str:
    """One spelling per old URL: a full URL or a path, percent-encoded or not, with or without
    a trailing slash, all give the same key. Of the query only WordPress's `p` counts
    (`/?p=123`, its shortlink); campaign parameters and the like are dropped."""
    parts = urlsplit(value.strip())
    path = unicodedata.normalize("NFC", unquote(parts.path or "/"))
    path = "/" + path.strip("/") if path.strip("/") else "/"
    post = next((ascii_int(v) for k, v in parse_qsl(parts.query) if k == "p"), None)
    return f"{path.rstrip('/') or ''}/?p={post}" if post is not None else path


def target(session: Session, path: str, now: datetime) -> tuple[str, str] | None:
    """(article id, current slug) of the public article an old path names, or None."""
    row = session.exec(
        select(Article.id, Article.slug).join(Redirect, col(Redirect.article_id) == Article.id)
        .where(Redirect.path == normalize_path(path), is_public(now))).first()
    return (row[0], row[1]) if row else None
