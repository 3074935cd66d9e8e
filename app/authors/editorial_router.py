"""Editorial API: author profiles."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from app.authors import service
from app.authors.dependencies import AuthorChanges, AuthorDep
from app.authors.models import AuthorCreate, AuthorEditorial
from app.core.db import SessionDep
from app.core.editorial import PageParamsDep, envelope
from app.core.errors import problem_responses
from app.core.listing import NowDep
from app.core.pagination import Page
from app.users.dependencies import CurrentAdmin, CurrentEditor, CurrentWriter, no_store

router = APIRouter(prefix="/v1/editorial/authors", tags=["Editorial"],
                   dependencies=[Depends(no_store)])


class AuthorEditorialList(Page[AuthorEditorial]):
    pass


@router.get("", response_model=AuthorEditorialList, operation_id="listEditorialAuthors",
            summary="List all authors", responses=problem_responses(400, 401, 422))
def list_authors(request: Request, response: Response, session: SessionDep,
                 params: PageParamsDep, _user: CurrentWriter) -> dict[str, Any]:
    """Every author profile in name order, including authors with no published article yet.
    `article_count` counts their articles of any status."""
    items, next_cursor = service.list_authors(session, limit=params.limit, cursor=params.cursor)
    return envelope(request, response, items, limit=params.limit, next_cursor=next_cursor)


@router.post("", response_model=AuthorEditorial, status_code=201, operation_id="createAuthor",
             summary="Create an author", responses=problem_responses(401, 403, 409, 422))
def create_author(data: AuthorCreate, request: Request, response: Response, session: SessionDep,
                  now: NowDep, _editor: CurrentEditor) -> AuthorEditorial:
    """A new author profile. `slug` is made from `name` when omitted; a taken slug answers 409.
    `user_id` links the profile to a newsroom user (one profile per user). Editors and admins."""
    author = service.create_author(session, data, now=now)
    response.headers["Location"] = str(request.url_for("get_author", author_id=author.id))
    return service.editorial_view(author, 0)


@router.get("/{author_id}", response_model=AuthorEditorial, operation_id="getAuthor",
            summary="Get an author", responses=problem_responses(401, 404, 422))
def get_author(author: AuthorDep, session: SessionDep) -> AuthorEditorial:
    """One author profile, whether or not it has published articles."""
    return service.get_author_view(session, author)


@router.patch("/{author_id}", response_model=AuthorEditorial, operation_id="updateAuthor",
              summary="Change an author profile",
              responses=problem_responses(401, 403, 404, 409, 422))
def update_author(author: AuthorDep, data: AuthorChanges, session: SessionDep,
                  now: NowDep) -> AuthorEditorial:
    """Send only the fields to change. Editors edit any profile; a writer edits only the profile
    linked to their own user. Articles showing the author are announced as changed to caches and
    partners."""
    return service.get_author_view(session, service.update_author(session, author, data, now=now))


@router.delete("/{author_id}", status_code=204, response_class=Response,
               operation_id="deleteAuthor", summary="Delete an author",
               responses=problem_responses(401, 403, 404, 409, 422))
def delete_author(author: AuthorDep, session: SessionDep, _admin: CurrentAdmin) -> None:
    """Removes a profile for good. An author who still has articles (of any status, deleted
    ones included) answers 409: bylines are never left dangling. Admins only."""
    service.delete_author(session, author)
