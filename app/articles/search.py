"""Full-text search over public articles: SQLite FTS5, PostgreSQL tsvector + GIN.

Ranking every match does not scale: a common word matches most of the archive, and scoring
90,000 rows of a 100k archive took 0.5 s per page on both databases. Relevance search therefore
ranks a capped candidate set: the `CANDIDATES` newest matches that pass the visibility rule and
the filters, ranked by field-weighted relevance (title over excerpt over body). A newsroom's
searchers want recent stories first among equally good hits, and a query precise enough to
match fewer than `CANDIDATES` articles is ranked over all of them, exactly as before.

The count (`meta.total`) is exact up to `TOTAL_CAP` (10,000, API 1.1), then `gte`. On SQLite,
fewer than `CANDIDATES` candidates are every match, and their number is the count; otherwise,
and always on PostgreSQL (first: see `candidates`), it is counted apart (`total`). Walking
10,000 matches and reading the visibility rule from each article cost 35-50 ms at 100k articles
on SQLite (article rows are wide: the rule's columns come after the bodies; on PostgreSQL
25-110 ms). So both count the full-text matches less the
articles the rule leaves out, which are few and listed from indexes alone
(`visibility.not_shown`: those never public, in a partial index, and those not published yet):
SQLite from its FTS5 index (1-3 ms for 10,000 matches). PostgreSQL reads each match's row
whatever the index (MVCC: whether the row is visible), and an article's row fills a page or a
quarter of one: it counts in `article_lexemes`, each article's lexemes without positions or
weights, twenty to a page, with a GIN index of its own (revision 0015; 12-28 ms). Filters
other than `language` (on SQLite any filter) count the matching rows as before.

- SQLite: the FTS5 table is walked in rowid order, newest first (rowids follow insertion, and a
  newsroom inserts as it publishes), each match checked against `article` by rowid; `bm25()` is
  computed only for the rows the walk returns. A last word longer than the longest prefix
  index (`LONGEST_PREFIX_INDEX`) is asked as the terms it begins (`_long_prefixes`).
- PostgreSQL: a query with more than `RECENT / 2` matches (the count, taken first) walks
  `ix_article_published_at_id` over at most the `RECENT` newest articles, checking
  `search_vector @@ query` row by row, and stops when it has enough matches; a rarer query (or
  too few matches there) takes the GIN index, whose cost follows the number of matches.
  `ts_rank` runs on the candidates only (see `_rank`).

The candidates (at most `CANDIDATES` ids and ranks) are ranked and paged in Python: a cursor is
the (rank, id) of the last item shown. Only the page's articles are then read, in one statement
(`public_reads.cards_by_id`, rendered as the list renders), and highlighted.

Date-ordered search (`sort=-published_at` etc.) pages over every match by date, no cap; its
total is counted apart, up to the same `TOTAL_CAP`.

What matches (stems, both languages, the last word as a prefix) is app/articles/search_text.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Double,
    Engine,
    Float,
    Select,
    cast,
    column,
    exists,
    func,
    literal_column,
    select,
    table,
    text,
    union_all,
)
from sqlmodel import Session

from app.articles import public_reads, search_text
from app.articles.models import Article
from app.articles.queries import ArticleFilters, filtered, only_language, sort_key
from app.articles.search_text import Query
from app.articles.visibility import not_shown
from app.core.errors import InvalidCursor
from app.core.pagination import decode_cursor, encode_cursor

CANDIDATES = 500
TOTAL_CAP = 10_000  # the contract: `meta.total` exact up to 10,000, then `gte`
LONGEST_PREFIX_INDEX = 10  # SQLite: FTS5 prefix indexes of 1 to 10 characters (revision 0013)
MAX_EXPANSION = 64  # SQLite: terms a long last word may stand for; past that, a prefix query
RECENT = 20 * CANDIDATES  # PostgreSQL: how many newest articles the first pass reads at most
RELEVANCE = "-relevance"
ARTICLE = Article.__table__.c
FTS = table("article_fts", column("rowid"))
FTS_VOCAB = table("article_fts_vocab", column("term"))
LEXEMES = table("article_lexemes", column("article_id"), column("language"), column("lexemes"))
# A unary `+` keeps FTS5 from taking the rowid test as its own (one lookup per listed rowid):
# it filters the matches instead, each looked up in the list SQLite built once.
FTS_ROWID_FILTER: ColumnClause[Any] = literal_column("+article_fts.rowid")
ARTICLE_ROWID: ColumnClause[int] = literal_column("article.rowid")
VECTOR: ColumnClause[Any] = literal_column("article.search_vector")
# Column weights: article_id (unindexed), title, excerpt, body_text.
BM25 = literal_column("bm25(article_fts, 0.0, 10.0, 4.0, 1.0)", Float)


@dataclass
class Results:
    """One page of a search: the articles' ids in order, the next cursor and `meta.total`."""

    ids: list[str]
    next_cursor: str | None
    total: int
    total_relation: str  # "eq" or "gte"


@dataclass
class Hits:
    """What `GET /v1/search` answers: `SearchHit`s as plain dicts, and when the set of public
    articles last changed (the answer's Last-Modified)."""

    items: list[dict[str, Any]]
    results: Results
    last_change: datetime | None


def hits(engine: Engine, terms: Query, filters: ArticleFilters, *, now: datetime, sort: str,
         limit: int, cursor: str | None) -> Hits:
    """One page of hits, read from this thread (the route calls it in a worker thread, once):
    the page of ids, then, in one statement, the cards of those ids only (rendered as the list
    renders them), their bodies' text for the highlights, and the list's Last-Modified."""
    with Session(engine) as session:
        found = search_page(session, terms, filters, now=now, sort=sort, limit=limit,
                            cursor=cursor)
    page = public_reads.cards_by_id(engine, now, found.ids)
    items = [{**card, "highlight": search_text.highlight(
        terms, card["title"], card["excerpt"], page.bodies[card["id"]])} for card in page.cards]
    return Hits(items, found, page.last_change)


def search_page(session: Session, q: str | Query, filters: ArticleFilters, *, now: datetime,
                sort: str, limit: int, cursor: str | None) -> Results:
    """One page of matching public articles. `sort=-relevance` pages on (rank, id) over the
    candidate set; other sorts on their keys."""
    terms = search_text.parse(q) if isinstance(q, str) else q
    if not terms:
        return Results([], None, 0, "eq")
    terms = with_long_prefixes(session, terms)
    if sort == RELEVANCE:
        return _relevance_page(session, terms, filters, now=now, limit=limit, cursor=cursor)
    return _date_page(session, terms, filters, now=now, sort=sort, limit=limit, cursor=cursor)


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _fts_match(terms: Query) -> Any:
    # Each lexeme quoted: FTS5 operators (NEAR, AND, -, column filters, *) are words here.
    return text("article_fts MATCH :match").bindparams(match=terms.fts_match())


def with_long_prefixes(session: Session, terms: Query) -> Query:
    """SQLite: `terms` with the expansions of its long last words (`_long_prefixes`), looked
    up once for all the statements of a search, in its transaction."""
    if not _is_sqlite(session) or not terms:
        return terms
    found = _long_prefixes(session, terms)
    return replace(terms, expansions=tuple((p, tuple(t)) for p, t in found.items()))


def _long_prefixes(session: Session, terms: Query) -> dict[str, list[str]]:
    """The indexed terms each last word longer than `LONGEST_PREFIX_INDEX` begins. FTS5 has no
    prefix index for it and answers such a prefix by merging every matching term's doclist
    into one (twice: the match, then `bm25()`), at a cost that follows all their matches (a
    13-character Nepali word in a fifth of 100k articles: +15 ms); asked as the terms
    themselves, OR-ed, it is read like any word. The same articles match: the terms are read
    in the same transaction. Past `MAX_EXPANSION` terms the prefix is asked as it is."""
    out: dict[str, list[str]] = {}
    for prefix in terms.prefixes():
        if len(prefix) <= LONGEST_PREFIX_INDEX:
            continue
        # FTS5 orders terms by their UTF-8 bytes, which is code point order: the terms that
        # begin `prefix` are those from it up to its last character's successor.
        after = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        found = session.execute(
            select(FTS_VOCAB.c.term)
            .where(FTS_VOCAB.c.term >= prefix, FTS_VOCAB.c.term < after)
            .limit(MAX_EXPANSION + 1)).scalars().all()
        found = [t for t in found if t.startswith(prefix)]
        if 0 < len(found) <= MAX_EXPANSION:
            out[prefix] = found
    return out


def _tsquery(terms: Query, operator: str = "&") -> Any:
    # The words are letters, digits and marks only (search_text.words), each quoted: no
    # tsquery operator can come from q. One to_tsquery per configuration, OR-ed.
    query_text = terms.tsquery_text(operator)
    queries = [func.to_tsquery(literal_column(f"'{config}'::regconfig"), query_text)
               for config, _ in terms.matching()]
    combined: ColumnElement[Any] = queries[0]
    for query in queries[1:]:
        combined = combined.op("||")(query)
    return combined


def _matching(session: Session, terms: Query, filters: ArticleFilters, now: datetime) -> Any:
    """The public articles that match, filtered: a select of `article` to narrow further."""
    stmt = filtered(filters, now)
    if _is_sqlite(session):
        return stmt.where(ARTICLE_ROWID.in_(select(FTS.c.rowid).where(
            _fts_match(terms))))
    return stmt.where(VECTOR.op("@@")(_tsquery(terms)))


def _total(found: int) -> tuple[int, str]:
    return (TOTAL_CAP, "gte") if found > TOTAL_CAP else (found, "eq")


def total(session: Session, terms: Query, filters: ArticleFilters,
          now: datetime) -> tuple[int, str]:
    """How many public articles match: (count, "eq"), or (TOTAL_CAP, "gte") past it."""
    if not terms:
        return 0, "eq"
    if only_language(filters) and not (_is_sqlite(session) and filters.language):
        stmt = _index_matches(session, terms, filters, now)
    else:
        stmt = _matching(session, terms, filters, now).with_only_columns(ARTICLE.id)
    count = session.execute(select(func.count()).select_from(
        stmt.limit(TOTAL_CAP + 1).subquery())).scalar_one()
    return _total(count)


def _index_matches(session: Session, terms: Query, filters: ArticleFilters,
                   now: datetime) -> Any:
    """The public matches, never read from `article`'s rows: every match of the full-text
    index (SQLite: FTS5; PostgreSQL: `article_lexemes`), less the articles
    `visibility.not_shown` lists from indexes; on PostgreSQL in `language=` if asked. The same
    set as `_matching`, which other filters take. (SQLite's index has no language, and the
    list of a language's rowids, from `ix_article_language_published_at_id`, cost 30 ms for
    20,000 and 120 ms for 80,000: more than reading the matches' rows.)"""
    parts = not_shown(now, early=filters.early)
    if _is_sqlite(session):
        rowids = union_all(*(select(ARTICLE_ROWID).select_from(Article).where(part)
                               for part in parts))
        return (select(literal_column("1")).select_from(FTS).where(_fts_match(terms))
                .where(FTS_ROWID_FILTER.not_in(rowids)))
    # An anti-join, which PostgreSQL answers by hashing the ids left out once (a NOT IN would
    # too, but would turn into a scan of them per match past `work_mem`).
    left_out = union_all(*(select(ARTICLE.id).where(part) for part in parts)).subquery()
    stmt: Select[Any] = (select(literal_column("1")).select_from(LEXEMES)
            .where(LEXEMES.c.lexemes.op("@@")(_tsquery(terms)))
            .where(~exists(select(literal_column("1")).select_from(left_out)
                           .where(left_out.c.id == LEXEMES.c.article_id))))
    if filters.language:
        stmt = stmt.where(LEXEMES.c.language == filters.language)
    return stmt


def candidates(session: Session, terms: Query, filters: ArticleFilters,
               now: datetime) -> tuple[list[tuple[str, float]], tuple[int, str]]:
    """(id, rank) of the newest `CANDIDATES` public matches, newest first (lower rank is
    better): fewer are all the matches; and `meta.total`."""
    if _is_sqlite(session):
        stmt = (filtered(filters, now).with_only_columns(ARTICLE.id, BM25)
                .join_from(Article, FTS, FTS.c.rowid == ARTICLE_ROWID)
                .where(_fts_match(terms))
                .order_by(FTS.c.rowid.desc()).limit(CANDIDATES))
        found = [(aid, float(rank)) for aid, rank in session.execute(stmt).all()]
        return found, (_total(len(found)) if len(found) < CANDIDATES
                       else total(session, terms, filters, now))
    # The count first: it comes from the index, and tells which way to the candidates is
    # shorter. The walk of the newest articles reads about CANDIDATES / (the matches' share)
    # rows, up to RECENT, and a query with few matches reads all RECENT in vain (40 ms at 100k
    # articles, for a word in one of them); the GIN index reads every match.
    counted = total(session, terms, filters, now)
    matches: Any = []
    if counted[1] == "gte" or counted[0] > RECENT // 2:
        matches = session.execute(_recent_matches(terms, filters, now, CANDIDATES)).all()
    if len(matches) < CANDIDATES:
        # Few matches, or too few among the newest RECENT articles: the GIN index finds every
        # match at a cost that follows their number.
        matches = session.execute(_all_matches(terms, filters, now, CANDIDATES)).all()
    return [(aid, rank) for aid, rank in matches], counted


# Relevance is how often and where (title, excerpt, body) the words occur: `ts_rank` of the
# words OR-ed, whatever the query's operators. Both functions weigh an AND query by the
# distances between its words' occurrences, pair by pair (`ts_rank_cd` by cover density):
# over 500 Nepali candidates of a three-word query, 12-30 ms, where the OR-ed form takes
# 0.3 ms. The rank is a float4, which comes back rounded to its text form: as a float8 the
# value in the cursor round-trips exactly, so equal ranks page by id.
def _rank(vector: Any, terms: Query) -> Any:
    return cast(-func.ts_rank(vector, _tsquery(terms, "|"), 32), Double)


def _ranked(walk: Any, terms: Query) -> Any:
    """(id, rank) of each row of `walk`, newest first."""
    return (select(walk.c.id, _rank(walk.c.vector, terms))
            .order_by(walk.c.published_at.desc(), walk.c.id.desc()))


def _recent_matches(terms: Query, filters: ArticleFilters, now: datetime, wanted: int) -> Any:
    """The newest matches among the newest `RECENT` public articles: a walk of
    `ix_article_published_at_id` that stops at `wanted` matches and never reads more than
    `RECENT` rows. (Left to itself the planner took the GIN index for a query of two common
    words, estimating their matches as independent: 1,254 where 11,173 matched, each read from
    the heap and sorted, 40-780 ms at 100k articles; this walk takes 3-12 ms.)"""
    query = _tsquery(terms)
    recent = (filtered(filters, now)
              .with_only_columns(ARTICLE.id, ARTICLE.published_at, VECTOR.label("vector"))
              .order_by(ARTICLE.published_at.desc(), ARTICLE.id.desc())
              .limit(RECENT).subquery("recent"))
    walk = (select(recent.c.id, recent.c.published_at, recent.c.vector)
            .where(recent.c.vector.op("@@")(query))
            .order_by(recent.c.published_at.desc(), recent.c.id.desc())
            .limit(wanted).subquery("walk"))
    return _ranked(walk, terms)


def _all_matches(terms: Query, filters: ArticleFilters, now: datetime, wanted: int) -> Any:
    query = _tsquery(terms)
    walk = (filtered(filters, now)
            .with_only_columns(ARTICLE.id, ARTICLE.published_at, VECTOR.label("vector"))
            .where(VECTOR.op("@@")(query))
            .order_by(ARTICLE.published_at.desc(), ARTICLE.id.desc())
            .limit(wanted).subquery("walk"))
    return _ranked(walk, terms)


def _relevance_page(session: Session, terms: Query, filters: ArticleFilters, *,
                    now: datetime, limit: int, cursor: str | None) -> Results:
    after = _relevance_cursor(cursor) if cursor else None
    found, counted = candidates(session, terms, filters, now)
    # At most CANDIDATES rows: ranked and paged here rather than by one more query.
    ranked = sorted(found, key=lambda c: (c[1], c[0]))
    if after is not None:
        ranked = [c for c in ranked if (c[1], c[0]) > after]
    page = ranked[:limit]
    next_cursor = None
    if len(ranked) > limit:
        last_id, last_rank = page[-1]
        next_cursor = encode_cursor(RELEVANCE, [repr(last_rank), last_id])
    return Results([aid for aid, _ in page], next_cursor, *counted)


def _relevance_cursor(cursor: str) -> tuple[float, str]:
    values = decode_cursor(cursor, RELEVANCE, 2)
    try:
        rank = float(values[0])
    except (TypeError, ValueError):
        rank = math.nan
    if not math.isfinite(rank) or not isinstance(values[1], str):
        raise InvalidCursor("The cursor is not one this API issued")
    return rank, values[1]


def _date_page(session: Session, terms: Query, filters: ArticleFilters, *, now: datetime,
               sort: str, limit: int, cursor: str | None) -> Results:
    key = sort_key(sort)
    stmt = _matching(session, terms, filters, now).with_only_columns(
        *(c for c, _ in key.columns))
    if cursor:
        stmt = stmt.where(key.after(decode_cursor(cursor, key.name, len(key.columns))))
    rows = session.execute(stmt.order_by(*key.order_by()).limit(limit + 1)).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(key.name, list(rows[-1]))
    return Results([row.id for row in rows], next_cursor,
                   *total(session, terms, filters, now))
