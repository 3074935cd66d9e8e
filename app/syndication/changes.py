"""Recording changes, in the writing transaction: the change feed's sequence numbers, the
content version response caches check, and the Surrogate-Keys a CDN should purge."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from app.authors.models import ArticleAuthor
from app.core.counters import CHANGE_SEQ, CONTENT_VERSION, bump
from app.core.purge import mark_stale, purging
from app.syndication.models import ArticleChange


def content_changed(session: Session, *stale_keys: str) -> None:
    """Bump the content version; `stale_keys` are the Surrogate-Keys of what changed."""
    bump(session, CONTENT_VERSION)
    mark_stale(session, stale_keys)


def article_changed(session: Session, article_ids: Sequence[str], *stale_keys: str) -> None:
    """Give each article a new, higher sequence number (and bump the content version). Lists
    and feeds (`articles`), each article's pages and its authors' pages go stale."""
    if not article_ids:
        content_changed(session, *stale_keys)
        return
    last = bump(session, CHANGE_SEQ, len(article_ids))
    first = last - len(article_ids) + 1
    rows = [{"article_id": aid, "seq": first + i} for i, aid in enumerate(article_ids)]
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    stmt = insert(ArticleChange).values(rows)
    session.execute(stmt.on_conflict_do_update(index_elements=["article_id"],
                                               set_={"seq": stmt.excluded.seq}))
    if purging():
        authors = session.exec(select(ArticleAuthor.author_id).distinct()
                               .where(col(ArticleAuthor.article_id).in_(article_ids))).all()
        stale_keys = ("articles", *(f"article:{a}" for a in article_ids),
                      *(f"author:{a}" for a in authors), *stale_keys)
    content_changed(session, *stale_keys)
