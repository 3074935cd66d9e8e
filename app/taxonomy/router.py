"""Content API: sections and tags, with counts of published articles."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Request
from sqlalchemy import func
from sqlmodel import col, select
from starlette.responses import Response

from app.articles.models import Article
from app.articles.visibility import is_public
from app.core.db import ReadSessionDep
from app.core.errors import NotFound, problem_responses
from app.core.listing import (
    FieldsQ,
    ListParamsDep,
    NowDep,
    answer,
    detail_representation,
    list_representation,
    parse_fields,
)
from app.core.pagination import Page, SortKey, decode_cursor, encode_cursor
from app.taxonomy.models import ArticleTag, Section, SectionPublic, Tag, TagPublic

router = APIRouter(prefix="/v1", tags=["Content"])


class SectionList(Page[SectionPublic]):
    pass


class TagList(Page[TagPublic]):
    pass


_Row = TypeVar("_Row", bound=tuple[Any, ...])


def _page(rows: Sequence[_Row], key: SortKey,
          limit: int) -> tuple[Sequence[_Row], str | None]:
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1][0]
    values = [getattr(last, column.key) for column, _ in key.columns]
    return rows, encode_cursor(key.name, values)


@router.get("/sections", response_model=SectionList, operation_id="listSections",
            summary="List sections", responses=problem_responses(400, 422, 429))
def list_sections(request: Request, session: ReadSessionDep, params: ListParamsDep,
                  now: NowDep) -> Response:
    """Every section in navigation order (`position`, then slug), with its names in each
    language and its count of published articles (0 included)."""
    fields = parse_fields(params.fields, SectionPublic)
    key = SortKey("position", [(col(Section.position), False), (col(Section.slug), False),
                               (col(Section.id), False)])
    published = (select(Article.section_id, func.count().label("n")).where(is_public(now))
                 .group_by(col(Article.section_id)).subquery())
    stmt = (select(Section, func.coalesce(published.c.n, 0))
            .outerjoin(published, published.c.section_id == Section.id))
    if params.cursor:
        stmt = stmt.where(key.after(decode_cursor(params.cursor, key.name, 3)))
    rows, next_cursor = _page(
        session.exec(stmt.order_by(*key.order_by()).limit(params.limit + 1)).all(), key,
        params.limit)
    items = [SectionPublic(slug=s.slug, name=s.name, description=s.description, article_count=n,
                           names=s.names or {}, position=s.position)
             for s, n in rows]
    return answer(request, list_representation(
        request, items, limit=params.limit, next_cursor=next_cursor, fields=fields,
        surrogate_keys=["sections", "articles"], last_modified=None))


@router.get("/tags", response_model=TagList, operation_id="listTags",
            summary="List tags in use", responses=problem_responses(400, 422, 429))
def list_tags(request: Request, session: ReadSessionDep, params: ListParamsDep,
              now: NowDep) -> Response:
    """Tags on at least one published article, in slug order, with published counts."""
    fields = parse_fields(params.fields, TagPublic)
    key = SortKey("slug", [(col(Tag.slug), False), (col(Tag.id), False)])
    count = func.count(col(Article.id))
    stmt = (select(Tag, count)
            .join(ArticleTag, col(ArticleTag.tag_id) == Tag.id)
            .join(Article, col(Article.id) == ArticleTag.article_id)
            .where(is_public(now)).group_by(col(Tag.id)))
    if params.cursor:
        stmt = stmt.where(key.after(decode_cursor(params.cursor, key.name, 2)))
    rows, next_cursor = _page(
        session.exec(stmt.order_by(*key.order_by()).limit(params.limit + 1)).all(), key,
        params.limit)
    items = [TagPublic(slug=t.slug, name=t.name, article_count=n, names=t.names or {})
             for t, n in rows]
    return answer(request, list_representation(
        request, items, limit=params.limit, next_cursor=next_cursor, fields=fields,
        surrogate_keys=["tags", "articles"], last_modified=None))


SlugPath = Annotated[str, Path(min_length=1, max_length=100, description="The slug")]


@router.get("/sections/{slug}", response_model=SectionPublic, operation_id="getSectionBySlug",
            summary="Get one section", responses=problem_responses(404, 422, 429))
def get_section_page(request: Request, slug: SlugPath, session: ReadSessionDep, now: NowDep,
                fields: FieldsQ = None) -> Response:
    """A section with its count of published articles, for a section page's header (its
    articles: `/v1/articles?section={slug}`). An unknown slug is a 404 problem."""
    wanted = parse_fields(fields, SectionPublic)
    count = (select(func.count()).select_from(Article).where(
        is_public(now), col(Article.section_id) == Section.id).scalar_subquery())
    row = session.exec(select(Section, count).where(Section.slug == slug)).first()
    if row is None:
        raise NotFound(f"No section with slug {slug!r}")
    section, n = row
    item = SectionPublic(slug=section.slug, name=section.name, description=section.description,
                         article_count=n)
    return answer(request, detail_representation(
        item, fields=wanted, surrogate_keys=["sections", f"section:{slug}", "articles"],
        last_modified=None))


@router.get("/tags/{slug}", response_model=TagPublic, operation_id="getTagBySlug",
            summary="Get one tag in use", responses=problem_responses(404, 422, 429))
def get_tag_page(request: Request, slug: SlugPath, session: ReadSessionDep, now: NowDep,
            fields: FieldsQ = None) -> Response:
    """A tag with its count of published articles (its articles: `/v1/articles?tag={slug}`).
    As in `/v1/tags`, a tag only drafts use is unknown here (404): tags name what is public."""
    wanted = parse_fields(fields, TagPublic)
    row = session.exec(
        select(Tag, func.count(col(Article.id)))
        .join(ArticleTag, col(ArticleTag.tag_id) == Tag.id)
        .join(Article, col(Article.id) == ArticleTag.article_id)
        .where(Tag.slug == slug, is_public(now)).group_by(col(Tag.id))).first()
    if row is None:
        raise NotFound(f"No tag with slug {slug!r} on a published article")
    tag, n = row
    return answer(request, detail_representation(
        TagPublic(slug=tag.slug, name=tag.name, article_count=n), fields=wanted,
        surrogate_keys=["tags", f"tag:{slug}", "articles"], last_modified=None))
