"""The Content API's article list and detail, rendered straight from rows.

These are the hottest uncached reads, so they skip what the general presenters pay for:

- one statement per request: only the columns a card shows (bodies only when asked for), the
  section joined in, bylines and tags as JSON arrays built by the database in correlated
  subqueries, and (for lists) the two halves of `queries.last_change`;
- statements built once per shape (which filters, which sort, whether a cursor) and dialect,
  with bind parameters for the values: building a select costs more than running it;
- plain dicts for orjson instead of models validated and dumped again.

The shapes are `ArticleCard` and `ArticlePublic` exactly, field for field and in their order
(tests/articles/test_public_reads.py compares the bytes with the model-based presenters); those
models stay the OpenAPI contract. Stored bodies are emitted as stored: they are validated and
sanitized when written (`service.body_columns`), as `body_html` always was.
"""

from __future__ import annotations

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
from app.articles.visibility import is_embargoed_now, is_public
from app.authors import counts
from app.authors.models import ArticleAuthor, Author
from app.changelog.models import latest_public_change
from app.core.config import get_settings
from app.core.db import UTCDateTime
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
CARD_COLUMNS = (A.id, A.slug, A.title, A.subtitle, A.excerpt, S.slug,
                localized_name(S.names, A.language, S.name), A.language,
                A.published_at, A.updated_at, A.reading_time_minutes, A.image)
DETAIL_COLUMNS = (A.word_count, A.source_name, A.source_url, A.copyright_holder, A.syndication,
                  A.usage_terms, A.canonical_url)
FORMAT_ORDER = ("blocks", "html", "text")
NOW = bindparam("now", type_=UTCDateTime())
# The visibility rule's clock, a parameter of its own (see `card_page`).
VISIBLE_AT = bindparam("visible_at", type_=UTCDateTime())
PUBLISHED_AFTER = bindparam("published_after", type_=UTCDateTime())
PUBLISHED_BEFORE = bindparam("published_before", type_=UTCDateTime())
UPDATED_SINCE = bindparam("updated_since", type_=UTCDateTime())


def _body_columns(formats: tuple[str, ...]) -> list[Any]:
    # Blocks as the stored JSON text, parsed by orjson rather than the JSON column type (and
    # on PostgreSQL not by the driver either).
    columns = {"blocks": cast(A.body, Text), "html": A.body_html, "text": A.body_text}
    return [columns[f] for f in FORMAT_ORDER if f in formats]


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
            .where(AA.article_id == A.id).scalar_subquery())


def _published_count() -> ColumnElement[Any]:
    # As `/v1/authors/{slug}` counts (one number everywhere), at the statement's clock: the
    # stored live count less the author's articles whose time has not come.
    return counts.public_count(VISIBLE_AT)


def _tags(dialect: str) -> ColumnElement[Any]:
    return (select(_json_list(dialect, [TG.slug, localized_name(TG.names, A.language, TG.name)],
                              TG.slug))
            .select_from(ArticleTag.__table__.join(Tag.__table__, TG.id == AT.tag_id))
            .where(AT.article_id == A.id).scalar_subquery())


def _last_change() -> list[Any]:
    # `queries.last_change` in this statement: uncorrelated, so computed once, not per row;
    # untyped, so only the first row's values are converted.
    other = Article.__table__.alias("changed")
    # The latest change the public could see (drafts are none: their edits move nothing).
    edited = latest_public_change()
    published = select(func.max(other.c.published_at)).where(
        other.c.published_at <= NOW).scalar_subquery()
    return [type_coerce(edited, String), type_coerce(published, String)]


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
                             *_body_columns(shape.formats)]), placeholders)
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
            .where(CR.article_id == A.id).scalar_subquery())


@lru_cache(maxsize=16)
def _detail_statement(dialect: str, formats: tuple[str, ...]) -> Prepared:
    # Corrections come last, after the bodies.
    return Prepared(_select([*CARD_COLUMNS, _bylines(dialect, full=True), _tags(dialect),
                             *DETAIL_COLUMNS, *_body_columns(formats),
                             _corrections(dialect)]).where(
        A.slug == bindparam("slug")))


POSITION = {"id": 0, "published_at": 8, "updated_at": 9}  # of the sort keys, in a row


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
    rows = await stmt.fetch(engine, params)
    if rows:
        last_change = _latest(rows[0][14], rows[0][15])
    else:  # no row carries the two values: they are asked for alone
        last_change = _latest(*(await LAST_CHANGE.fetch(engine, {"now": now}))[0])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(key.name, [last[POSITION[c.key]] for c, _ in key.columns])
    cards = []
    for row in rows:
        card = _card(dialect, row, [{"id": a[1], "slug": a[2], "name": a[3]}
                                    for a in _ordered(dialect, row[12], 0)])
        _add_bodies(card, row, 16, formats)
        cards.append(card)
    return Page(cards, next_cursor, last_change)


async def public_article(engine: Engine, slug: str, now: datetime,
                         formats: tuple[str, ...]) -> tuple[dict[str, Any], list[int]] | None:
    """`ArticlePublic` as a plain dict in field order and its authors' ids, or None."""
    dialect = engine.dialect.name
    formats = tuple(f for f in FORMAT_ORDER if f in formats)
    rows = await _detail_statement(dialect, formats).fetch(
        engine, {"visible_at": now, "slug": slug})
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


def _full(dialect: str, row: tuple[Any, ...], formats: tuple[str, ...],
          ) -> tuple[dict[str, Any], list[list[Any]], list[CorrectionPublic]]:
    """A row of `_detail_statement` (or `_syndicated_statement`) as `ArticlePublic`'s fields
    up to `canonical_url`, in their order; its bylines and corrections, which each surface
    places itself (after its own fields)."""
    authors = _ordered(dialect, row[12], 0)
    # `presenters.author_public()` dumped: `AuthorPublic` field order.
    item = _card(dialect, row, [
        {"name": a[3], "bio": a[4], "title": a[5], "avatar_url": a[6], "id": a[1], "slug": a[2],
         "links": a[7] or {}, "article_count": a[8], "avatar": author_avatar(a[9], a[6])}
        for a in authors])
    _add_bodies(item, row, 21, formats)
    (word_count, source_name, source_url, copyright_holder, syndication, usage_terms,
     canonical_url) = row[14:21]
    item["word_count"] = word_count
    item["source"] = {"name": source_name, "url": source_url} if source_name else None
    item["rights"] = {"copyright_holder": copyright_holder, "syndication": syndication,
                      "usage_terms": usage_terms}
    item["canonical_url"] = canonical_url or presenters.site_article_url(item["slug"])
    # Stored naive UTC: SQLite's text and PostgreSQL's JSON both read with fromisoformat.
    corrections = [CorrectionPublic(kind=c[1], text=c[2], at=datetime.fromisoformat(
        c[3]).replace(tzinfo=UTC)) for c in _ordered(dialect, row[21 + len(formats)], 0)]
    return item, authors, corrections


@lru_cache(maxsize=4)
def _syndicated_statement(dialect: str) -> Select[Any]:
    # No visibility rule here: the caller chose the ids by its own (a partner's entitlement,
    # which may include embargoed articles).
    return _unfiltered([*CARD_COLUMNS, _bylines(dialect, full=True), _tags(dialect),
                        *DETAIL_COLUMNS, *_body_columns(FORMAT_ORDER), _corrections(dialect),
                        A.revision, A.status, A.deleted_at]).where(_by_ids())


def syndicated_by_id(connection: Connection, now: datetime,
                     ids: list[str]) -> dict[str, dict[str, Any]]:
    """`SyndicatedArticle`s (plain dicts, every body format) of these articles by id, as
    partners receive them: `ArticlePublic` without structured data and translations, plus
    `revision`, and `embargoed_until` for one not yet public at `now` (only partners with
    embargo access are given such ids). Bylines count published articles at `now`."""
    if not ids:
        return {}
    dialect = connection.dialect.name
    rows = connection.execute(_syndicated_statement(dialect),
                              {"ids": ids, "visible_at": now}).all()
    out = {}
    for row in rows:
        item, _authors, corrections = _full(dialect, tuple(row), FORMAT_ORDER)
        revision, status, deleted_at = row[-3:]
        item["corrections"] = [c.model_dump() for c in corrections]
        item["revision"] = revision
        if is_embargoed_now(status, item["published_at"], deleted_at, now):
            item["embargoed_until"] = item["published_at"]
        out[item["id"]] = item
    return out


def _card(dialect: str, row: tuple[Any, ...], authors: list[dict[str, Any]]) -> dict[str, Any]:
    """An `ArticleCard` dumped: its fields in order (bodies are added after)."""
    (id_, slug, title, subtitle, excerpt, section_slug, section_name, language, published_at,
     updated_at, reading_time, image) = row[:12]
    return {
        "id": id_,
        "slug": slug,
        "title": title,
        "subtitle": subtitle,
        "excerpt": excerpt,
        "section": {"slug": section_slug, "name": section_name} if section_slug else None,
        "authors": authors,
        "tags": [{"slug": t[0], "name": t[1]} for t in _ordered(dialect, row[13], None)],
        "language": language,
        "published_at": published_at,
        "updated_at": updated_at,
        "reading_time_minutes": reading_time,
        "image": image_object(image),
        "published_date_bs": bikram_sambat.from_instant(published_at, get_settings().tz),
    }


def _add_bodies(card: dict[str, Any], row: tuple[Any, ...], start: int,
                formats: tuple[str, ...]) -> None:
    names = {"blocks": "body", "html": "body_html", "text": "body_text"}
    for offset, fmt in enumerate(formats):
        value = row[start + offset]
        card[names[fmt]] = orjson.loads(value) if fmt == "blocks" else value


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
    rows = connection.execute(stmt, {"visible_at": now}).all()
    return [_card(dialect, tuple(row), [{"id": a[1], "slug": a[2], "name": a[3]}
                                        for a in _ordered(dialect, row[12], 0)])
            for row in rows]


@lru_cache(maxsize=4)
def _hits_statement(dialect: str) -> Prepared:
    # The ids as one parameter (no expanding `IN`, so the statement is compiled once): an array
    # on PostgreSQL, a JSON array on SQLite.
    if dialect == "postgresql":
        wanted = A.id == any_(bindparam("ids", type_=ARRAY(String)))
    else:
        wanted = A.id.in_(select(column("value")).select_from(func.json_each(bindparam("ids"))))
    return Prepared(_select([*CARD_COLUMNS, _bylines(dialect, full=False), _tags(dialect),
                             *_last_change(), A.body_text]).where(wanted))


@dataclass
class HitCards:
    cards: list[dict[str, Any]]
    bodies: dict[str, str]  # body_text by id, for highlights
    last_change: datetime | None


def cards_by_id(engine: Engine, now: datetime, ids: list[str]) -> HitCards:
    """The public cards of these articles in this order (a search's page), their bodies' text
    and when the set of public articles last changed: one statement, as `card_page`."""
    dialect = engine.dialect.name
    if not ids:
        rows: list[tuple[Any, ...]] = []
    else:
        rows = _hits_statement(dialect).rows(engine, {
            "visible_at": now, "now": now,
            "ids": ids if dialect == "postgresql" else orjson.dumps(ids).decode()})
    if rows:
        last_change = _latest(rows[0][14], rows[0][15])
    else:
        last_change = _latest(*LAST_CHANGE.rows(engine, {"now": now})[0])
    found = {row[0]: row for row in rows}
    ordered = [found[i] for i in ids if i in found]
    cards = [_card(dialect, row, [{"id": a[1], "slug": a[2], "name": a[3]}
                                  for a in _ordered(dialect, row[12], 0)]) for row in ordered]
    return HitCards(cards, {row[0]: row[16] for row in ordered}, last_change)


def _by_ids() -> ColumnElement[bool]:
    wanted: ColumnElement[bool] = A.id.in_(bindparam("ids", expanding=True))
    return wanted


@lru_cache(maxsize=4)
def _public_cards_statement(dialect: str) -> Select[Any]:
    return _select([*CARD_COLUMNS, _bylines(dialect, full=False), _tags(dialect)]).where(
        _by_ids())


@lru_cache(maxsize=4)
def _public_full_statement(dialect: str) -> Select[Any]:
    # `_detail_statement`'s columns with the default formats, then the translation group.
    return _select([*CARD_COLUMNS, _bylines(dialect, full=True), _tags(dialect),
                    *DETAIL_COLUMNS, *_body_columns(DETAIL_FORMATS), _corrections(dialect),
                    A.translation_group]).where(_by_ids())


DETAIL_FORMATS = ("blocks", "html")  # the detail's default `formats`


def public_by_id(connection: Connection, now: datetime, ids: list[str], *,
                 full: bool) -> dict[str, dict[str, Any]]:
    """The public articles among `ids` by id, as the Content API shows them at `now`: cards,
    or with `full` the detail (`ArticlePublic` with blocks and HTML), for pages of many
    articles (the public sync): a fixed number of statements, whatever the page size."""
    if not ids:
        return {}
    dialect = connection.dialect.name
    params = {"ids": ids, "visible_at": now}
    if not full:
        return {row[0]: _card(dialect, tuple(row), [{"id": a[1], "slug": a[2], "name": a[3]}
                                                     for a in _ordered(dialect, row[12], 0)])
                for row in connection.execute(_public_cards_statement(dialect), params)}
    rows = connection.execute(_public_full_statement(dialect), params).all()
    groups = translations.public_members(connection, now, {row[-1] for row in rows if row[-1]})
    out = {}
    for row in rows:
        item, authors, corrections = _full(dialect, tuple(row), DETAIL_FORMATS)
        item["structured_data"] = _structured_data(item, authors, corrections)
        item["translations"] = [ref for ref in groups.get(row[-1], []) if ref["id"] != row[0]]
        item["corrections"] = [c.model_dump() for c in corrections]
        out[item["id"]] = item
    return out

