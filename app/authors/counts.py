"""Each author's count of public articles, kept so that a byline costs no COUNT.

`/v1/authors`, `/v1/authors/{slug}` and every byline of an article's detail say how many of the
author's articles the public can read: live (published or scheduled), not deleted, and whose
time has come (`visibility.is_public`). Counting them on each render read every article of the
author (5-8 ms for 2,000 articles, per author, per detail). The count is split in two:

- the part no clock changes, the author's live articles (`Author.live_articles`), is stored and
  recounted in the transaction of every write that can change it (`recount`, called by
  `changelog.record.article_changed`, which every article write passes through, and by the bulk
  loaders): a status, a deletion or a byline;
- the part the clock decides, live articles whose time has not come (scheduled ones: few), is
  subtracted at read time (`public_count`), found from `ix_article_published_at_id`.

So the count equals the visibility rule's at every instant, whether or not the scheduled
publication sweep has run (tests/authors/test_counts.py compares it with a COUNT after every
kind of write).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, literal_column, select, update
from sqlmodel import Session

from app.articles.models import Article
from app.articles.visibility import LIVE_STATUSES
from app.authors.models import ArticleAuthor, Author

A = Article.__table__.c
AA = ArticleAuthor.__table__.c
AU = Author.__table__.c


def _live(article: Any = A) -> ColumnElement[bool]:
    # Constants written into the SQL, as `visibility.is_public` writes them.
    return and_(article.status.in_([literal_column(f"'{s}'") for s in LIVE_STATUSES]),
                article.deleted_at.is_(None))


def recount(session: Session, author_ids: Iterable[int | None]) -> None:
    """Store these authors' live article counts, inside the caller's transaction (after its
    writes are flushed)."""
    ids = sorted({i for i in author_ids if i is not None})
    if not ids:
        return
    live = (select(func.count()).select_from(ArticleAuthor.__table__.join(
        Article.__table__, A.id == AA.article_id)).where(AA.author_id == AU.id, _live())
        .correlate(Author.__table__).scalar_subquery())
    session.execute(update(Author.__table__).where(AU.id.in_(ids)).values(live_articles=live))


def public_count(now: Any) -> ColumnElement[int]:
    """The public article count of the author row in the enclosing statement at `now` (a
    bind parameter or a value): its live articles less those whose time has not come. The
    subtrahend starts from the articles dated after `now` (scheduled ones: few), never from
    the author's whole byline list."""
    # Aliases of their own: the enclosing statement may read `article` and `article_author`
    # itself (a detail's bylines), and these must not correlate to those rows.
    later = Article.__table__.alias("later")
    byline = ArticleAuthor.__table__.alias("later_byline")
    early = (select(func.count()).select_from(later).where(
        later.c.published_at > now, _live(later.c),
        exists().where(byline.c.article_id == later.c.id, byline.c.author_id == AU.id)
        .correlate(later, Author.__table__))
        .correlate(Author.__table__).scalar_subquery())
    count: ColumnElement[int] = AU.live_articles - early
    return count
