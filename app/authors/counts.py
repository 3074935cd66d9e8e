"""Each author's count of public articles, kept so that a byline costs no COUNT.

`/v1/authors`, `/v1/authors/{slug}` and every byline of an article's detail say how many of the
author's articles the public can read: live (published or scheduled), not deleted, and whose
time has come (`visibility.is_public`). Counting them on each render read every article of the
author (5-8 ms for 2,000 articles, per author, per detail). The count is split in two:

- the part no clock changes, the author's live articles (`Author.live_articles`), is stored and
  kept in the transaction of every write that can change it (a status, a deletion or a byline):
  `changelog.record.article_changed`, which every article write passes through, adds what the
  written articles counted for after the write less what they counted for before (`bylines`
  before and after, `shift`): a cost of the write's own articles, not of the author's archive.
  Where the state before is unknown it counts the authors' articles again (`recount`, also
  used by the bulk loaders);
- the part the clock decides, live articles whose time has not come (scheduled ones: few), is
  subtracted at read time (`public_count`), found from `ix_article_published_at_id`.

So the count equals the visibility rule's at every instant, whether or not the scheduled
publication sweep has run (tests/authors/test_counts.py compares it with a COUNT after every
kind of write).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, bindparam, func, literal_column, select, update
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


class Byline(NamedTuple):
    article_id: str
    author_id: int
    counts: bool  # whether the author's count includes the article: it is live


def bylines(session: Session, article_ids: Sequence[str]) -> list[Byline]:
    """Every byline of these articles, and whether it counts the article now."""
    return [Byline(article_id, author_id, bool(live)) for article_id, author_id, live in
            session.execute(select(AA.article_id, AA.author_id, _live().label("live"))
                            .select_from(ArticleAuthor.__table__.join(
                                Article.__table__, A.id == AA.article_id))
                            .where(AA.article_id.in_(article_ids)))]


def counted(lines: Iterable[Byline]) -> dict[str, list[int]]:
    """The authors each article counts for (an article without an entry counts for nobody)."""
    found: dict[str, list[int]] = {}
    for line in lines:
        if line.counts:
            found.setdefault(line.article_id, []).append(line.author_id)
    return found


def shift(session: Session, before: Mapping[str, list[int]],
          after: Mapping[str, list[int]]) -> None:
    """Move the stored counts from what articles counted for `before` a write to what they
    count for `after` it (both from `counted`), inside the caller's transaction. Each
    author's row is changed by an increment, which concurrent writers apply in turn under the
    row's lock, where counting again could miss the other's uncommitted article."""
    delta: Counter[int] = Counter()
    for authors in after.values():
        delta.update(authors)
    for authors in before.values():
        delta.subtract(authors)
    moved = [{"author": author, "by": n} for author, n in sorted(delta.items()) if n]
    if moved:
        session.connection().execute(
            update(Author.__table__).where(AU.id == bindparam("author"))
            .values(live_articles=AU.live_articles + bindparam("by")), moved)


def public_count(now: Any) -> ColumnElement[int]:
    """The public article count of the author row in the enclosing statement at `now` (a
    bind parameter or a value): its live articles less those whose time has not come. The
    subtrahend starts from the articles dated after `now` (scheduled ones: few), never from
    the author's whole byline list."""
    # Aliases of their own: the enclosing statement may read `article` and `article_author`
    # itself (a detail's bylines), and these must not correlate to those rows.
    later = Article.__table__.alias("later")
    byline = ArticleAuthor.__table__.alias("later_byline")
    # OFFSET 0 keeps the byline test a check of each such article: PostgreSQL otherwise
    # turns the EXISTS into a join driven from the author's byline list, which read every
    # article of the author for each byline shown (5 ms at 1,500 articles, growing with them).
    on_byline = (select(byline.c.article_id)
                 .where(byline.c.article_id == later.c.id, byline.c.author_id == AU.id)
                 .offset(literal_column("0")).correlate(later, Author.__table__))
    early = (select(func.count()).select_from(later).where(
        later.c.published_at > now, _live(later.c), on_byline.exists())
        .correlate(Author.__table__).scalar_subquery())
    count: ColumnElement[int] = AU.live_articles - early
    return count
