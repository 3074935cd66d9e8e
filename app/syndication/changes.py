"""Recording changes for the feed; called by the services that write articles, in their
transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from app.core.counters import CHANGE_SEQ, CONTENT_VERSION, bump
from app.syndication.models import ArticleChange


def content_changed(session: Session) -> None:
    bump(session, CONTENT_VERSION)


def article_changed(session: Session, article_ids: Sequence[str]) -> None:
    """Give each article a new, higher sequence number (and bump the content version)."""
    if not article_ids:
        content_changed(session)
        return
    last = bump(session, CHANGE_SEQ, len(article_ids))
    first = last - len(article_ids) + 1
    rows = [{"article_id": aid, "seq": first + i} for i, aid in enumerate(article_ids)]
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    stmt = insert(ArticleChange).values(rows)
    session.execute(stmt.on_conflict_do_update(index_elements=["article_id"],
                                               set_={"seq": stmt.excluded.seq}))
    content_changed(session)
