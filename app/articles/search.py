"""Full-text search over public articles: SQLite FTS5, PostgreSQL tsvector + GIN.

Ranking every match does not scale: a common word matches most of the archive, and scoring
90,000 rows of a 100k archive took 0.5 s per page on both databases. Relevance search therefore
ranks a capped candidate set: the `CANDIDATES` newest matches that pass the visibility rule and
the filters, ranked by field-weighted relevance (title over excerpt over body). A newsroom's
searchers want recent stories first among equally good hits, and a query precise enough to
match fewer than `CANDIDATES` articles is ranked over all of them, exactly as before.

- SQLite: the FTS5 table is walked in rowid order, newest first (rowids follow insertion, and a
  newsroom inserts as it publishes), each match checked against `article` by rowid; `bm25()` is
  computed only for the candidates.
- PostgreSQL: first a walk of `ix_article_published_at_id` over at most the `RECENT` newest
  articles, checking `search_vector @@ query` row by row, which stops at `CANDIDATES` matches;
  a rarer query (fewer matches there) then takes the GIN index, whose cost follows the number
  of matches. `ts_rank_cd` runs on the candidates only.

The candidates (at most `CANDIDATES` ids and ranks) are ranked and paged in Python: a cursor is
the (rank, id) of the last item shown.

Date-ordered search (`sort=-published_at` etc.) pages over every match by date, no cap.

What matches (stems, both languages, the last word as a prefix) is app/articles/search_text.py.
`meta.total` counts every match up to `TOTAL_CAP`, past which it is `gte`.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy import Double, Float, cast, column, func, literal_column, select, table, text
from sqlalchemy.orm import defer
from sqlmodel import Session, col

from app.articles import search_text
from app.articles.models import Article
from app.articles.queries import BODY_COLUMNS, ArticleFilters, filtered, sort_key
from app.articles.search_text import Query
from app.core.errors import InvalidCursor
from app.core.pagination import decode_cursor, encode_cursor

CANDIDATES = 500
TOTAL_CAP = 10_000
RECENT = 20 * CANDIDATES  # PostgreSQL: how many newest articles the first pass reads at most
RELEVANCE = "-relevance"
ARTICLE = Article.__table__.c  # type: ignore[attr-defined]
FTS = table("article_fts", column("rowid"))
ARTICLE_ROWID = literal_column("article.rowid")
# Column weights: article_id (unindexed), title, excerpt, body_text.
BM25 = literal_column("bm25(article_fts, 0.0, 10.0, 4.0, 1.0)", Float)


def search_page(session: Session, q: str | Query, filters: ArticleFilters, *, now: datetime,
                sort: str, limit: int,
                cursor: str | None) -> tuple[list[Article], str | None]:
    """One page of matching public articles (cards: bodies deferred) and the next cursor.
    `sort=-relevance` pages on (rank, id) over the candidate set; other sorts on their keys."""
    terms = search_text.parse(q) if isinstance(q, str) else q
    if not terms:
        return [], None
    if sort == RELEVANCE:
        return _relevance_page(session, terms, filters, now=now, limit=limit, cursor=cursor)
    return _date_page(session, terms, filters, now=now, sort=sort, limit=limit, cursor=cursor)


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _fts_match(terms: Query) -> Any:
    # Each lexeme quoted: FTS5 operators (NEAR, AND, -, column filters, *) are words here.
    return text("article_fts MATCH :match").bindparams(match=terms.fts_match())


def _tsquery(terms: Query) -> Any:
    # The words are letters, digits and marks only (search_text.words), each quoted: no
    # tsquery operator can come from q. One to_tsquery per configuration, OR-ed.
    query_text = terms.tsquery_text()
    queries = [func.to_tsquery(literal_column(f"'{config}'::regconfig"), query_text)
               for config, _ in terms.variants]
    combined = queries[0]
    for query in queries[1:]:
        combined = combined.op("||")(query)
    return combined


def total(session: Session, terms: Query, filters: ArticleFilters,
          now: datetime) -> tuple[int, str]:
    """How many public articles match: (count, "eq"), or (TOTAL_CAP, "gte") past it."""
    if not terms:
        return 0, "eq"
    stmt = filtered(filters, now).with_only_columns(ARTICLE.id)
    if _is_sqlite(session):
        stmt = stmt.where(ARTICLE_ROWID.in_(select(FTS.c.rowid).where(_fts_match(terms))))
    else:
        stmt = stmt.where(literal_column("article.search_vector").op("@@")(_tsquery(terms)))
    count = session.execute(select(func.count()).select_from(
        stmt.limit(TOTAL_CAP + 1).subquery())).scalar_one()
    return (TOTAL_CAP, "gte") if count > TOTAL_CAP else (count, "eq")


def highlights(session: Session, terms: Query,
               articles: list[Article]) -> dict[str, dict[str, str]]:
    """`{"title", "snippet"}` per article id; bodies are read only for the articles whose
    excerpt has no match."""
    bodies: dict[str, str] = {}
    wanted = [a.id for a in articles if not search_text.has_match(terms, a.excerpt)]
    if wanted:
        bodies = dict(session.execute(select(ARTICLE.id, ARTICLE.body_text)
                                      .where(ARTICLE.id.in_(wanted))).all())
    return {a.id: search_text.highlight(terms, a.title, a.excerpt, bodies.get(a.id))
            for a in articles}


def candidates(session: Session, terms: Query, filters: ArticleFilters,
               now: datetime) -> list[tuple[str, float]]:
    """(id, rank) of the newest `CANDIDATES` public matches, newest first; lower rank is
    better."""
    if _is_sqlite(session):
        stmt = (filtered(filters, now).with_only_columns(ARTICLE.id, BM25)
                .join_from(Article, FTS, FTS.c.rowid == ARTICLE_ROWID)
                .where(_fts_match(terms))
                .order_by(FTS.c.rowid.desc()).limit(CANDIDATES))
        return [(aid, float(rank)) for aid, rank in session.execute(stmt)]
    found = [tuple(row) for row in session.execute(_recent_matches(terms, filters, now))]
    if len(found) < CANDIDATES:
        # Fewer than CANDIDATES matches among the newest RECENT articles: a rarer query, for
        # which the GIN index finds every match at a cost that follows their number.
        found = [tuple(row) for row in session.execute(_all_matches(terms, filters, now))]
    return found  # type: ignore[return-value]


# ts_rank_cd is a float4, which comes back rounded to its text form: as a float8 the value in
# the cursor round-trips exactly, so equal ranks page by id.
def _rank(vector: Any, query: Any) -> Any:
    return cast(-func.ts_rank_cd(vector, query, 32), Double)


def _recent_matches(terms: Query, filters: ArticleFilters, now: datetime) -> Any:
    """The newest matches among the newest `RECENT` public articles: a walk of
    `ix_article_published_at_id` that stops at `CANDIDATES` matches and never reads more than
    `RECENT` rows. (Left to itself the planner took the GIN index for a query of two common
    words, estimating their matches as independent: 1,254 where 11,173 matched, each read from
    the heap and sorted, 40-780 ms at 100k articles; this walk takes 3-12 ms.)"""
    query = _tsquery(terms)
    recent = (filtered(filters, now)
              .with_only_columns(ARTICLE.id, ARTICLE.published_at,
                                 literal_column("article.search_vector").label("vector"))
              .order_by(ARTICLE.published_at.desc(), ARTICLE.id.desc())
              .limit(RECENT).subquery("recent"))
    return (select(recent.c.id, _rank(recent.c.vector, query))
            .where(recent.c.vector.op("@@")(query))
            .order_by(recent.c.published_at.desc(), recent.c.id.desc()).limit(CANDIDATES))


def _all_matches(terms: Query, filters: ArticleFilters, now: datetime) -> Any:
    query = _tsquery(terms)
    vector = literal_column("article.search_vector")
    return (filtered(filters, now).with_only_columns(ARTICLE.id, _rank(vector, query))
            .where(vector.op("@@")(query))
            .order_by(ARTICLE.published_at.desc(), ARTICLE.id.desc()).limit(CANDIDATES))


def _relevance_page(session: Session, terms: Query, filters: ArticleFilters, *,
                    now: datetime, limit: int,
                    cursor: str | None) -> tuple[list[Article], str | None]:
    # At most CANDIDATES rows: ranked and paged here rather than by one more query.
    ranked = sorted(candidates(session, terms, filters, now), key=lambda c: (c[1], c[0]))
    if cursor:
        after = _relevance_cursor(cursor)
        ranked = [c for c in ranked if (c[1], c[0]) > after]
    page = ranked[:limit]
    articles = _cards(session, [aid for aid, _ in page])
    if len(ranked) <= limit:
        return articles, None
    last_id, last_rank = page[-1]
    return articles, encode_cursor(RELEVANCE, [repr(last_rank), last_id])


def _relevance_cursor(cursor: str) -> tuple[float, str]:
    values = decode_cursor(cursor, RELEVANCE, 2)
    try:
        rank = float(values[0])
    except (TypeError, ValueError):
        rank = math.nan
    if not math.isfinite(rank) or not isinstance(values[1], str):
        raise InvalidCursor("The cursor is not one this API issued")
    return rank, values[1]


def _cards(session: Session, ids: list[str]) -> list[Article]:
    """The articles with these ids, in this order, bodies deferred."""
    if not ids:
        return []
    rows = session.scalars(select(Article).where(col(Article.id).in_(ids))
                           .options(*(defer(c) for c in BODY_COLUMNS))).all()
    by_id = {a.id: a for a in rows}
    return [by_id[i] for i in ids if i in by_id]


def _date_page(session: Session, terms: Query, filters: ArticleFilters, *, now: datetime,
               sort: str, limit: int, cursor: str | None) -> tuple[list[Article], str | None]:
    key = sort_key(sort)
    stmt = filtered(filters, now).options(*(defer(c) for c in BODY_COLUMNS))  # type: ignore[arg-type]
    if _is_sqlite(session):
        matching = select(FTS.c.rowid).where(_fts_match(terms))
        stmt = stmt.where(ARTICLE_ROWID.in_(matching))
    else:
        stmt = stmt.where(literal_column("article.search_vector").op("@@")(_tsquery(terms)))
    if cursor:
        stmt = stmt.where(key.after(decode_cursor(cursor, key.name, len(key.columns))))
    rows = list(session.scalars(stmt.order_by(*key.order_by()).limit(limit + 1)).all())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(key.name, [getattr(rows[-1], c.key) for c, _ in key.columns])
