"""Editorial API: sections and tags."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response

from app.core.db import SessionDep
from app.core.editorial import PageParamsDep, envelope
from app.core.errors import problem_responses
from app.core.pagination import Page
from app.taxonomy import service
from app.taxonomy.dependencies import SectionDep, TagDep
from app.taxonomy.models import (
    SectionCreate,
    SectionEditorial,
    SectionUpdate,
    TagCreate,
    TagEditorial,
    TagUpdate,
)
from app.users.dependencies import CurrentAdmin, CurrentEditor, CurrentWriter, no_store

router = APIRouter(prefix="/v1/editorial", tags=["Editorial"], dependencies=[Depends(no_store)])


class SectionEditorialList(Page[SectionEditorial]):
    pass


class TagEditorialList(Page[TagEditorial]):
    pass


# ---- sections -------------------------------------------------------------------------------


@router.get("/sections", response_model=SectionEditorialList,
            operation_id="listEditorialSections", summary="List all sections",
            responses=problem_responses(400, 401, 422))
def list_sections(request: Request, response: Response, session: SessionDep,
                  params: PageParamsDep, _user: CurrentWriter) -> dict[str, Any]:
    """Every section in slug order. `article_count` counts articles of any status that use it,
    deleted ones included: a section can be deleted only when it is 0."""
    items, next_cursor = service.list_sections(session, limit=params.limit, cursor=params.cursor)
    return envelope(request, response, items, limit=params.limit, next_cursor=next_cursor)


@router.post("/sections", response_model=SectionEditorial, status_code=201,
             operation_id="createSection", summary="Create a section",
             responses=problem_responses(401, 403, 409, 422))
def create_section(data: SectionCreate, request: Request, response: Response,
                   session: SessionDep, _editor: CurrentEditor) -> SectionEditorial:
    """A new section. `slug` is made from `name` when omitted; a taken slug answers 409.
    Editors and admins."""
    section = service.create_section(session, data)
    response.headers["Location"] = str(request.url_for("get_section", slug=quote(section.slug)))
    return service.section_view(section, 0)


@router.get("/sections/{slug}", response_model=SectionEditorial, operation_id="getSection",
            summary="Get a section", responses=problem_responses(401, 404, 422))
def get_section(section: SectionDep, session: SessionDep) -> SectionEditorial:
    """One section by slug, used or not."""
    return service.get_section_view(session, section)


@router.patch("/sections/{slug}", response_model=SectionEditorial, operation_id="updateSection",
              summary="Rename or describe a section",
              responses=problem_responses(401, 403, 404, 422))
def update_section(section: SectionDep, data: SectionUpdate, session: SessionDep,
                   _editor: CurrentEditor) -> SectionEditorial:
    """Send only the fields to change; the slug stays (links to the section keep working).
    A new name shows on every article card in the section at once. Editors and admins."""
    return service.get_section_view(session, service.update_section(session, section, data))


@router.delete("/sections/{slug}", status_code=204, response_class=Response,
               operation_id="deleteSection", summary="Delete an unused section",
               responses=problem_responses(401, 403, 404, 409, 422))
def delete_section(section: SectionDep, session: SessionDep, _admin: CurrentAdmin) -> None:
    """Refused with 409 while any article (drafts and deleted ones too) is filed under the
    section. Admins only."""
    service.delete_section(session, section)


# ---- tags -----------------------------------------------------------------------------------


@router.get("/tags", response_model=TagEditorialList, operation_id="listEditorialTags",
            summary="List all tags", responses=problem_responses(400, 401, 422))
def list_tags(request: Request, response: Response, session: SessionDep,
              params: PageParamsDep, _user: CurrentWriter) -> dict[str, Any]:
    """Every tag in slug order, used or not; `article_count` counts articles of any status."""
    items, next_cursor = service.list_tags(session, limit=params.limit, cursor=params.cursor)
    return envelope(request, response, items, limit=params.limit, next_cursor=next_cursor)


@router.post("/tags", response_model=TagEditorial, status_code=201, operation_id="createTag",
             summary="Create a tag", responses=problem_responses(401, 403, 409, 422))
def create_tag(data: TagCreate, request: Request, response: Response, session: SessionDep,
               _editor: CurrentEditor) -> TagEditorial:
    """A new tag. `slug` is made from `name` when omitted; a taken slug answers 409. (Article
    writes also create unknown tags by themselves.) Editors and admins."""
    tag = service.create_tag(session, data)
    response.headers["Location"] = str(request.url_for("get_tag", slug=quote(tag.slug)))
    return service.tag_view(tag, 0)


@router.get("/tags/{slug}", response_model=TagEditorial, operation_id="getTag",
            summary="Get a tag", responses=problem_responses(401, 404, 422))
def get_tag(tag: TagDep, session: SessionDep) -> TagEditorial:
    """One tag by slug, used or not."""
    return service.get_tag_view(session, tag)


@router.patch("/tags/{slug}", response_model=TagEditorial, operation_id="updateTag",
              summary="Rename a tag", responses=problem_responses(401, 403, 404, 422))
def update_tag(tag: TagDep, data: TagUpdate, session: SessionDep,
               _editor: CurrentEditor) -> TagEditorial:
    """A new name shows on every article carrying the tag at once; the slug stays.
    Editors and admins."""
    return service.get_tag_view(session, service.update_tag(session, tag, data))


@router.delete("/tags/{slug}", status_code=204, response_class=Response,
               operation_id="deleteTag", summary="Delete a tag",
               responses=problem_responses(401, 403, 404, 422))
def delete_tag(tag: TagDep, session: SessionDep, _admin: CurrentAdmin) -> None:
    """Removes the tag and its links: articles that carried it lose it (and are announced as
    changed to caches and partners). Admins only."""
    service.delete_tag(session, tag)
