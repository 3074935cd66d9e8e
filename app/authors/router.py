"""Content API: authors with at least one published article."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from sqlmodel import col, select
from sqlmodel.sql.expression import Select
from starlette.responses import Response

from app.articles.presenters import author_public
from app.authors import counts
from app.authors.models import Author, AuthorPublic
from app.core.db import ReadSessionDep
from app.core.errors import NotFound, problem_responses
from app.core.listing import (
    FieldsQ,
    ListParamsDep,
    NowDep,
    answer,
    detail_representation,
    latest,
    list_representation,
    parse_fields,
)
from app.core.pagination import Page, SortKey, decode_cursor, encode_cursor

router = APIRouter(prefix="/v1/authors", tags=["Content"])
BY_NAME = SortKey("name", [(col(Author.name), False), (col(Author.id), False)])


class AuthorList(Page[AuthorPublic]):
    pass


def _with_counts(now: datetime) -> Select[Author, int]:
    # Authors the public can read at least one article of, with that count (`counts`).
    count = counts.public_count(now)
    return select(Author, count.label("article_count")).where(count > 0)


@router.get("", response_model=AuthorList, operation_id="listAuthors",
            summary="List authors with published articles",
            responses=problem_responses(400, 422, 429))
def list_authors(request: Request, session: ReadSessionDep, params: ListParamsDep,
                 now: NowDep) -> Response:
    """Authors in name order, each with the number of articles the public can read."""
    fields = parse_fields(params.fields, AuthorPublic)
    stmt = _with_counts(now)
    if params.cursor:
        stmt = stmt.where(BY_NAME.after(decode_cursor(params.cursor, BY_NAME.name, 2)))
    rows = session.exec(stmt.order_by(*BY_NAME.order_by()).limit(params.limit + 1)).all()
    next_cursor = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        last = rows[-1][0]
        next_cursor = encode_cursor(BY_NAME.name, [last.name, last.id])
    items = [author_public(author, count) for author, count in rows]
    return answer(request, list_representation(
        request, items, limit=params.limit, next_cursor=next_cursor, fields=fields,
        surrogate_keys=["authors", *(f"author:{a.id}" for a in items)],
        last_modified=latest(author.updated_at for author, _ in rows)))


@router.get("/{slug}", response_model=AuthorPublic, operation_id="getAuthorBySlug",
            summary="Get one author by slug", responses=problem_responses(404, 422, 429))
def get_author(request: Request, session: ReadSessionDep, now: NowDep,
               slug: Annotated[str, Path(max_length=200)], fields: FieldsQ = None) -> Response:
    """An author's profile; the author must have at least one published article."""
    wanted = parse_fields(fields, AuthorPublic)
    row = session.exec(_with_counts(now).where(Author.slug == slug)).first()
    if row is None:
        raise NotFound(f"No author with slug {slug!r}")
    author, count = row
    return answer(request, detail_representation(
        author_public(author, count), fields=wanted, surrogate_keys=[f"author:{author.id}"],
        last_modified=author.updated_at))
