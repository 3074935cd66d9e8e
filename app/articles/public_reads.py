"""Every article the API answers, rendered straight from rows: the Content API's list,
detail, search and sync, the partners' articles and change feed, the newsroom's articles and
previews.

The public reads are the hottest uncached ones, so nothing here pays for what general-purpose
presenters would:

- one statement per request: only the columns a card shows (bodies only when asked for), the
  section joined in, bylines and tags as JSON arrays built by the database in correlated
  subqueries, and (for lists) the two halves of `queries.last_change`;
- statements built once per shape (which filters, which sort, whether a cursor) and dialect,
  with bind parameters for the values: building a select costs more than running it;
- plain dicts for orjson instead of models validated and dumped again;
- columns read by their labels (`row["authors"]`), never by position.

The shapes are `ArticleCard` and `ArticlePublic` exactly, field for field and in their order
(tests/articles/test_public_reads.py checks them against the models); those models stay the
OpenAPI contract. Stored bodies are emitted as stored: they are validated and sanitized when
written (`service.body_columns`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Integer,
    Select,
    String,
    Text,
    any_,
    bindparam,
    cast,
    column,
    func,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by

from app.articles import presenters
from app.articles.models import Article, CorrectionPublic, SlugHistory
from app.articles.queries import ArticleFilters, narrowed, sort_key
from app.articles.visibility import effective_status, is_embargoed_now, is_public
from app.authors import counts
from app.authors.models import ArticleAuthor, Author
from app.changelog.models import latest_public_change
from app.core.config import get_settings
from app.core.db import UTCDateTime, packed_text
from app.core.pagination import SortKey, decode_cursor, encode_cursor
from app.core.prepared import Prepared
from app.corrections.models import ArticleCorrection
from app.i18n import bikram_sambat, translations
from app.i18n.names import localized_name
from app.media.images import author_avatar, image_object
from app.taxonomy.models import ArticleTag, Section, Tag

A = Article.__table__.c
S = Section.__table__.c
AA = ArticleAuthor.__table__.c
AU = Author.__table__.c
AT = ArticleTag.__table__.c
TG = Tag.__table__.c
CR = ArticleCorrection.__table__.c
Row = Mapping[Any, Any]  # a row by column label (an SQLAlchemy `RowMapping` or a dict)
CARD_COLUMNS = (A.id, A.slug, A.title, A.subtitle, A.excerpt, S.slug.label("section_slug"),
                localized_name(S.names, A.language, S.name).label("section_name"), A.language,
                A.published_at, A.updated_at, A.reading_time_minutes, A.image)
DETAIL_COLUMNS = (A.word_count, A.source_name, A.source_url, A.copyright_holder, A.syndication,
                  A.usage_terms, A.canonical_url)
# What only the newsroom sees (and partners' `revision` and embargo).
BOOKKEEPING_COLUMNS = (A.status, A.revision, A.created_at, A.deleted_at, A.created_by_id,
                       A.featured)
BODY_FIELDS = {"blocks": "body", "html": "body_html", "text": "body_text"}
FORMAT_ORDER = ("blocks", "html", "text")
NOW = bindparam("now", type_=UTCDateTime())
# The visibility rule's clock, a parameter of its own (see `card_page`).
VISIBLE_AT = bindparam("visible_at", type_=UTCDateTime())
PUBLISHED_AFTER = bindparam("published_after", type_=UTCDateTime())
PUBLISHED_BEFORE = bindparam("published_before", type_=UTCDateTime())
UPDATED_SINCE = bindparam("updated_since", type_=UTCDateTime())


def _body_columns(dialect: str, formats: tuple[str, ...]) -> list[Any]:
    # Blocks as the stored JSON text, parsed by orjson rather than the JSON column type (and
    # on PostgreSQL not by the driver either).
    columns = {"blocks": packed_text(A.body, dialect).label("body"), "html": A.body_html,
               "text": A.body_text}
    return [columns[f] for f in FORMAT_ORDER if f in formats]


def _named(prepared: Prepared, rows: list[tuple[Any, ...]]) -> list[Row]:
    """A prepared statement's rows (plain tuples, for speed) by column label."""
    keys = list(prepared.stmt.selected_columns.keys())
    return [dict(zip(keys, row, strict=True)) for row in rows]


def _json_list(dialect: str, items: list[Any], order_by: Any) -> Any:
    """A JSON array of one JSON array per row, as text. PostgreSQL orders it by `order_by`;
    SQLite has no ordered aggregate before 3.44, so there the order is restored in Python
    (`_ordered`), which sorts as SQLite's default BINARY collation does."""
    if dialect == "postgresql":
        return cast(func.json_agg(aggregate_order_by(func.json_build_array(*items), order_by)),
                    Text)
    return func.json_group_array(func.json_array(*items))


def _bylines(dialect: str, *, full: bool) -> ColumnElement[Any]:
    fields = [AA.position, AU.id, AU.slug, AU.name]
    if full:  # `AuthorPublic`: bio, title, avatar and links too, and the published count
        links = AU.links if dialect == "postgresql" else func.json(AU.links)
        avatar = AU.avatar if dialect == "postgresql" else func.json(AU.avatar)
        fields += [AU.bio, AU.title, AU.avatar_url, links, _published_count(), avatar]
    return (select(_json_list(dialect, fields, AA.position))
            .select_from(ArticleAuthor.__table__.join(Author.__table__, AU.id == AA.author_id))
            .where(AA.article_id == A.id).scalar_subquery().label("authors"))


def _published_count() -> ColumnElement[Any]:
    # As `/v1/authors/{slug}` counts (one number everywhere), at the statement's clock: the
    # stored live count less the author's articles whose time has not come.
    return counts.public_count(VISIBLE_AT)


def _tags(dialect: str) -> ColumnElement[Any]:
    return (select(_json_list(dialect, [TG.slug, localized_name(TG.names, A.language, TG.name)],
                              TG.slug))
            .select_from(ArticleTag.__table__.join(Tag.__table__, TG.id == AT.tag_id))
            .where(AT.article_id == A.id).scalar_subquery().label("tags"))


def _last_change() -> list[Any]:
    # `queries.last_change` in this statement: uncorrelated, so computed once, not per row;
    # untyped, so only the first row's values are converted.
    other = Article.__table__.alias("changed")
    # The latest change the public could see (drafts are none: their edits move nothing).
    edited = latest_public_change()
    published = select(func.max(other.c.published_at)).where(
        other.c.published_at <= NOW).scalar_subquery()
    return [type_coerce(edited, String).label("last_edited"),
            type_coerce(published, String).label("last_published")]


LAST_CHANGE = Prepared(select(*_last_change()))


def _unfiltered(columns: list[Any]) -> Select[Any]:
    return select(*columns).select_from(
        Article.__table__.outerjoin(Section.__table__, S.id == A.section_id))


def _select(columns: list[Any]) -> Select[Any]:
    return _unfiltered(columns).where(is_public(VISIBLE_AT))


@dataclass(frozen=True)
class PageShape:
    """What a list statement depends on besides values."""

    dialect: str
    sort: str
    cursor: bool
    section: bool
    tags: int
    author: bool
    language: bool
    published_after: bool
    published_before: bool
    updated_since: bool
    formats: tuple[str, ...]
    featured: bool | None = None


def _table_key(sort: str) -> SortKey:
    # The sort on the table's columns: the statement stays a Core statement.
    key = sort_key(sort)
    return SortKey(key.name, [(A[c.key], desc) for c, desc in key.columns])


@lru_cache(maxsize=256)
def _page_statement(shape: PageShape) -> Prepared:
    key = _table_key(shape.sort)
    placeholders = ArticleFilters(
        section=bindparam("section") if shape.section else None,
        tags=[bindparam(f"tag{i}") for i in range(shape.tags)],
        author=bindparam("author") if shape.author else None,
        language=bindparam("language") if shape.language else None,
        published_after=PUBLISHED_AFTER if shape.published_after else None,
        published_before=PUBLISHED_BEFORE if shape.published_before else None,
        updated_since=UPDATED_SINCE if shape.updated_since else None, featured=shape.featured)
    stmt = narrowed(_select([*CARD_COLUMNS, _bylines(shape.dialect, full=False),
                             _tags(shape.dialect), *_last_change(),
                             *_body_columns(shape.dialect, shape.formats)]), placeholders)
    if shape.cursor:
        stmt = stmt.where(key.after_clause(
            [bindparam(f"after{i}", type_=c.type) for i, (c, _) in enumerate(key.columns)]))
    return Prepared(stmt.order_by(*key.order_by()).limit(bindparam("limit", type_=Integer)))


CURRENT_SLUG = Prepared(
    select(A.slug, A.id).select_from(Article.__table__.join(
        SlugHistory.__table__, SlugHistory.__table__.c.article_id == A.id))
    .where(SlugHistory.__table__.c.slug == bindparam("old"), is_public(NOW)))


async def current_slug(engine: Engine, old_slug: str, now: datetime) -> str | None:
    """The current slug of a public article that once had `old_slug`."""
    found = await redirect_target(engine, old_slug, now)
    return found[0] if found else None


async def redirect_target(engine: Engine, old_slug: str,
                          now: datetime) -> tuple[str, str] | None:
    """The current slug and the id of a public article that had `old_slug` (the id keys the
    redirect for the CDN purge)."""
    rows = await CURRENT_SLUG.fetch(engine, {"old": old_slug, "now": now})
    return (rows[0][0], rows[0][1]) if rows else None


def _corrections(dialect: str) -> ColumnElement[Any]:
    return (select(_json_list(dialect, [CR.id, CR.kind, CR.text, CR.created_at], CR.id))
            .where(CR.article_id == A.id).scalar_subquery().label("corrections"))


@lru_cache(maxsize=16)
def _detail_statement(dialect: str, formats: tuple[str, ...]) -> Prepared:
    # Corrections come last, after the bodies.
    return Prepared(_select([*CARD_COLUMNS, _bylines(dialect, full=True), _tags(dialect),
                             *DETAIL_COLUMNS, *_body_columns(dialect, formats),
                             _corrections(dialect)]).where(
        A.slug == bindparam("slug")))


@dataclass
class Page:
    cards: list[dict[str, Any]]
    next_cursor: str | None
    last_change: datetime | None


async def card_page(engine: Engine, filters: ArticleFilters, *, now: datetime, sort: str,
                    limit: int, cursor: str | None, formats: tuple[str, ...] = ()) -> Page:
    """One page of public `ArticleCard`s (plain dicts) in `sort` order after `cursor`, and when
    the set of public articles last changed (the list's Last-Modified)."""
    assert not filters.extra, "public lists take no surface-specific clauses"
    dialect = engine.dialect.name
    key = _table_key(sort)
    params: dict[str, Any] = {"now": now, "visible_at": now, "limit": limit + 1}
    if cursor:
        values = decode_cursor(cursor, key.name, len(key.columns))
        key.check(values)
        params.update((f"after{i}", v) for i, v in enumerate(values))
        if key.name == "-published_at":
            # Rows after the cursor were published by its time, so the rule may be asked at the
            # earlier of that time and now: the same rows, and on SQLite one upper bound on
            # `published_at`, from which the index scan starts (with two, it started at now and
            # walked every newer row: a page at depth 9,000 cost 60x page 1).
            params["visible_at"] = min(now, values[0])
    section = filters.section if filters.section else None
    author = filters.author if filters.author else None
    language = filters.language if filters.language else None
    params.update(section=section, author=author, language=language,
                  published_after=filters.published_after,
                  published_before=filters.published_before,
                  updated_since=filters.updated_since)
    params.update((f"tag{i}", t) for i, t in enumerate(filters.tags))
    formats = tuple(f for f in FORMAT_ORDER if f in formats)
    stmt = _page_statement(PageShape(
        dialect, sort, bool(cursor), section is not None, len(filters.tags), author is not None,
        language is not None, filters.published_after is not None,
        filters.published_before is not None, filters.updated_since is not None, formats,
        featured=filters.featured))
    rows = _named(stmt, await stmt.fetch(engine, params))
    last_change = await _last_change_of(engine, now, rows)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(key.name, [rows[-1][c.key] for c, _ in key.columns])
    cards = []
    for row in rows:
        card = _card(dialect, row, _author_refs(dialect, row))
        _add_bodies(card, row, formats)
        cards.append(card)
    return Page(cards, next_cursor, last_change)


async def _last_change_of(engine: Engine, now: datetime, rows: list[Row]) -> datetime | None:
    if rows:
        return _latest(rows[0]["last_edited"], rows[0]["last_published"])
    # No row carries the two values: they are asked for alone.
    return _latest(*(await LAST_CHANGE.fetch(engine, {"now": now}))[0])


async def public_article(engine: Engine, slug: str, now: datetime,
                         formats: tuple[str, ...]) -> tuple[dict[str, Any], list[int]] | None:
    """`ArticlePublic` as a plain dict in field order and its authors' ids, or None."""
    dialect = engine.dialect.name
    formats = tuple(f for f in FORMAT_ORDER if f in formats)
    stmt = _detail_statement(dialect, formats)
    rows = _named(stmt, await stmt.fetch(engine, {"visible_at": now, "slug": slug}))
    if not rows:
        return None
    item, authors, corrections = _full(dialect, rows[0], formats)
    item["structured_data"] = _structured_data(item, authors, corrections)
    item["translations"] = await translations.public_translations(engine, item["id"], now)
    item["corrections"] = [c.model_dump() for c in corrections]
    return item, [a[1] for a in authors]


def _structured_data(item: dict[str, Any], authors: list[list[Any]],
                     corrections: list[CorrectionPublic]) -> dict[str, Any]:
    source, rights = item["source"], item["rights"]
    return presenters.structured_data_of(
        title=item["title"], canonical_url=item["canonical_url"], language=item["language"],
        word_count=item["word_count"], published_at=item["published_at"],
        updated_at=item["updated_at"], excerpt=item["excerpt"],
        section_name=item["section"]["name"] if item["section"] else None,
        tag_names=[t["name"] for t in item["tags"]],
        image=item["image"],
        copyright_holder=rights["copyright_holder"],
        source_name=source["name"] if source else None,
        authors=[presenters.Byline(a[3], a[2], a[5]) for a in authors],
        corrections=corrections)


def _full(dialect: str, row: Row, formats: tuple[str, ...],
          ) -> tuple[dict[str, Any], list[list[Any]], list[CorrectionPublic]]:
    """A row of `_detail_statement` (or `_by_id_statement` with `full`) as `ArticlePublic`'s
    fields up to `canonical_url`, in their order; its bylines and corrections, which each
    surface places itself (after its own fields)."""
    authors = _ordered(dialect, row["authors"], 0)
    # `presenters.author_public()` dumped: `AuthorPublic` field order.
    item = _card(dialect, row, [
        {"name": a[3], "bio": a[4], "title": a[5], "avatar_url": a[6], "id": a[1], "slug": a[2],
         "links": a[7] or {}, "article_count": a[8], "avatar": author_avatar(a[9], a[6])}
        for a in authors])
    _add_bodies(item, row, formats)
    item["word_count"] = row["word_count"]
    item["source"] = ({"name": row["source_name"], "url": row["source_url"]}
                      if row["source_name"] else None)
    item["rights"] = {"copyright_holder": row["copyright_holder"],
                      "syndication": row["syndication"], "usage_terms": row["usage_terms"]}
    item["canonical_url"] = row["canonical_url"] or presenters.site_article_url(item["slug"])
    # Stored naive UTC: SQLite's text and PostgreSQL's JSON both read with fromisoformat.
    corrections = [CorrectionPublic(kind=c[1], text=c[2], at=datetime.fromisoformat(
        c[3]).replace(tzinfo=UTC)) for c in _ordered(dialect, row["corrections"], 0)]
    return item, authors, corrections


def syndicated_by_id(connection: Connection, now: datetime,
                     ids: list[str]) -> dict[str, dict[str, Any]]:
    """`SyndicatedArticle`s (plain dicts, every body format) of these articles by id, as
    partners receive them: `ArticlePublic` without structured data and translations, plus
    `revision`, and `embargoed_until` for one not yet public at `now`. No visibility rule: the
    caller chose the ids by its own (a partner's entitlement, which may include embargoed
    articles). Bylines count published articles at `now`."""
    out = {}
    for row in _rows_by_id(connection, now, ids, public=False, full=True, formats=FORMAT_ORDER):
        item, _authors, corrections = _full(connection.dialect.name, row, FORMAT_ORDER)
        item["corrections"] = [c.model_dump() for c in corrections]
        item["revision"] = row["revision"]
        if is_embargoed_now(row["status"], item["published_at"], row["deleted_at"], now):
            item["embargoed_until"] = item["published_at"]
        out[item["id"]] = item
    return out


def _card(dialect: str, row: Row, authors: list[dict[str, Any]]) -> dict[str, Any]:
    """An `ArticleCard` dumped: its fields in order (bodies are added after)."""
    published_at = row["published_at"]
    return {
        "id": row["id"],
        "slug": row["slug"],
        "title": row["title"],
        "subtitle": row["subtitle"],
        "excerpt": row["excerpt"],
        "section": ({"slug": row["section_slug"], "name": row["section_name"]}
                    if row["section_slug"] else None),
        "authors": authors,
        "tags": [{"slug": t[0], "name": t[1]} for t in _ordered(dialect, row["tags"], None)],
        "language": row["language"],
        "published_at": published_at,
        "updated_at": row["updated_at"],
        "reading_time_minutes": row["reading_time_minutes"],
        "image": image_object(row["image"]),
        "published_date_bs": bikram_sambat.from_instant(published_at, get_settings().tz),
    }


def _author_refs(dialect: str, row: Row) -> list[dict[str, Any]]:
    """A card's bylines (`AuthorRef`)."""
    return [{"id": a[1], "slug": a[2], "name": a[3]}
            for a in _ordered(dialect, row["authors"], 0)]


def _add_bodies(card: dict[str, Any], row: Row, formats: tuple[str, ...]) -> None:
    for fmt in formats:
        field = BODY_FIELDS[fmt]
        card[field] = orjson.loads(row[field]) if fmt == "blocks" else row[field]


_BY_FIRST = itemgetter(0)


def _ordered(dialect: str, text: str | None, sort_by: int | None) -> list[list[Any]]:
    """Parse one of the JSON arrays; on SQLite, restore the order (`sort_by`: an index into
    each item; None sorts by the whole item, i.e. by slug)."""
    items: list[list[Any]] = orjson.loads(text) if text else []
    if dialect != "postgresql" and len(items) > 1:
        items.sort(key=_BY_FIRST if sort_by == 0 else None)
    return items


def _latest(*values: Any) -> datetime | None:
    # Aggregates bypass the column type: SQLite returns the stored text, PostgreSQL a naive
    # datetime, both UTC.
    present = [datetime.fromisoformat(v) if isinstance(v, str) else v
               for v in values if v is not None]
    return max(v.replace(tzinfo=UTC) for v in present) if present else None


def cards_where(connection: Connection, now: datetime, *clauses: Any, order_by: Any = (),
                limit: int | None = None) -> list[dict[str, Any]]:
    """Public `ArticleCard`s (no bodies) of the rows matching `clauses`, for reads that pick
    their rows in ways the list's keyset statement cannot (front page, related): one
    statement, rendered as the list renders them."""
    dialect = connection.dialect.name
    stmt = _select([*CARD_COLUMNS, _bylines(dialect, full=False), _tags(dialect)]).where(*clauses)
    stmt = stmt.order_by(*order_by)
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = connection.execute(stmt, {"visible_at": now}).mappings().all()
    return [_card(dialect, row, _author_refs(dialect, row)) for row in rows]


@lru_cache(maxsize=4)
def _hits_statement(dialect: str) -> Prepared:
    # The ids as one parameter (no expanding `IN`, so the statement is compiled once): an array
    # on PostgreSQL, a JSON array on SQLite.
    if dialect == "postgresql":
        wanted = A.id == any_(bindparam("ids", type_=ARRAY(String)))
    else:
        wanted = A.id.in_(select(column("value")).select_from(func.json_each(bindparam("ids"))))
    return Prepared(_select([*CARD_COLUMNS, _bylines(dialect, full=False), _tags(dialect),
                             *_last_change(), *_body_columns(dialect, ("text",))]).where(wanted))


@dataclass
class HitCards:
    cards: list[dict[str, Any]]
    bodies: dict[str, str]  # body_text by id, for highlights
    last_change: datetime | None


def cards_by_id(engine: Engine, now: datetime, ids: list[str]) -> HitCards:
    """The public cards of these articles in this order (a search's page), their bodies' text
    and when the set of public articles last changed: one statement, as `card_page`."""
    dialect = engine.dialect.name
    stmt = _hits_statement(dialect)
    rows = _named(stmt, stmt.rows(engine, {
        "visible_at": now, "now": now,
        "ids": ids if dialect == "postgresql" else orjson.dumps(ids).decode()})) if ids else []
    if rows:
        last_change = _latest(rows[0]["last_edited"], rows[0]["last_published"])
    else:
        last_change = _latest(*LAST_CHANGE.rows(engine, {"now": now})[0])
    found = {row["id"]: row for row in rows}
    ordered = [found[i] for i in ids if i in found]
    cards = [_card(dialect, row, _author_refs(dialect, row)) for row in ordered]
    return HitCards(cards, {row["id"]: row["body_text"] for row in ordered}, last_change)


@lru_cache(maxsize=32)
def _by_id_statement(dialect: str, *, public: bool, full: bool, formats: tuple[str, ...],
                     extra: tuple[Any, ...] = ()) -> Select[Any]:
    """Articles by id: `public` ones only (the visibility rule at `visible_at`) or any, with
    the bookkeeping columns; cards, or with `full` the detail's columns; bodies in `formats`;
    `extra` columns after."""
    columns = [*CARD_COLUMNS, _bylines(dialect, full=full), _tags(dialect),
               *_body_columns(dialect, formats)]
    if full:
        columns += [*DETAIL_COLUMNS, _corrections(dialect), A.translation_group]
    columns += extra
    if public:
        return _select(columns).where(A.id.in_(bindparam("ids", expanding=True)))
    return _unfiltered([*columns, *BOOKKEEPING_COLUMNS]).where(
        A.id.in_(bindparam("ids", expanding=True)))


def _rows_by_id(connection: Connection, now: datetime, ids: Iterable[str], *, public: bool,
                full: bool, formats: tuple[str, ...] = (), extra: tuple[Any, ...] = (),
                ) -> list[Row]:
    ids = list(ids)
    if not ids:
        return []
    stmt = _by_id_statement(connection.dialect.name, public=public, full=full, formats=formats,
                            extra=extra)
    return list(connection.execute(stmt, {"ids": ids, "visible_at": now}).mappings())


DETAIL_FORMATS = ("blocks", "html")  # the detail's default `formats`


def _details(connection: Connection, now: datetime, rows: list[Row], *,
             structured_data: bool) -> dict[str, dict[str, Any]]:
    """`ArticlePublic`s of full rows (blocks and HTML) by id, as the detail shows them; without
    `structured_data`, as the newsroom reads them (no JSON-LD)."""
    dialect = connection.dialect.name
    groups = translations.public_members(connection, now, {row["translation_group"]
                                                           for row in rows
                                                           if row["translation_group"]})
    out = {}
    for row in rows:
        item, authors, corrections = _full(dialect, row, DETAIL_FORMATS)
        if structured_data:
            item["structured_data"] = _structured_data(item, authors, corrections)
        item["translations"] = [ref for ref in groups.get(row["translation_group"], [])
                                if ref["id"] != row["id"]]
        item["corrections"] = [c.model_dump() for c in corrections]
        out[item["id"]] = item
    return out


def public_by_id(connection: Connection, now: datetime, ids: list[str], *,
                 full: bool) -> dict[str, dict[str, Any]]:
    """The public articles among `ids` by id, as the Content API shows them at `now`: cards,
    or with `full` the detail (`ArticlePublic` with blocks and HTML), for pages of many
    articles (the public sync): a fixed number of statements, whatever the page size."""
    rows = _rows_by_id(connection, now, ids, public=True, full=full,
                       formats=DETAIL_FORMATS if full else ())
    if full:
        return _details(connection, now, rows, structured_data=True)
    dialect = connection.dialect.name
    return {row["id"]: _card(dialect, row, _author_refs(dialect, row)) for row in rows}


def preview(connection: Connection, now: datetime, article_id: str) -> dict[str, Any] | None:
    """An article in any status exactly as its public detail will show it (a preview link)."""
    rows = _rows_by_id(connection, now, [article_id], public=False, full=True,
                       formats=DETAIL_FORMATS)
    return _details(connection, now, rows, structured_data=True).get(article_id)


def editorial_by_id(connection: Connection, now: datetime, ids: Iterable[str], *,
                    full: bool) -> dict[str, dict[str, Any]]:
    """`ArticleEditorial`s (with `full`: the detail without JSON-LD) or `ArticleEditorialCard`s
    of these articles in any status, by id: the public shape plus the newsroom's
    bookkeeping."""
    rows = _rows_by_id(connection, now, ids, public=False, full=full,
                       formats=DETAIL_FORMATS if full else ())
    dialect = connection.dialect.name
    if full:
        items = _details(connection, now, rows, structured_data=False)
    else:
        items = {row["id"]: _card(dialect, row, _author_refs(dialect, row)) for row in rows}
    for row in rows:
        items[row["id"]].update(
            status=effective_status(row["status"], row["published_at"], now),
            revision=row["revision"], created_at=row["created_at"],
            deleted_at=row["deleted_at"], created_by_id=row["created_by_id"],
            featured=row["featured"])
    return items


def feed_articles(connection: Connection, now: datetime, ids: list[str],
                  formats: tuple[str, ...]) -> list[dict[str, Any]]:
    """Cards of these articles, in this order (the caller chose them by its own rule), with
    bodies in `formats` and what a feed entry needs besides: `created_at` (its permanent id),
    `canonical_url` and the stored `image` (`stored_image`, for the feed's own rendition)."""
    dialect = connection.dialect.name
    formats = tuple(f for f in FORMAT_ORDER if f in formats)
    rows = _rows_by_id(connection, now, ids, public=False, full=False, formats=formats,
                       extra=(A.canonical_url,))
    found = {}
    for row in rows:
        card = _card(dialect, row, _author_refs(dialect, row))
        _add_bodies(card, row, formats)
        card.update(created_at=row["created_at"], stored_image=row["image"],
                    canonical_url=row["canonical_url"]
                    or presenters.site_article_url(row["slug"]))
        found[row["id"]] = card
    return [found[i] for i in ids if i in found]

