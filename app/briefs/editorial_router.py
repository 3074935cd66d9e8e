"""Editorial API: "Today's news in a nutshell", including the order of each day's briefs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from app.briefs import service
from app.briefs.dependencies import BriefDep
from app.briefs.models import BriefCreate, BriefDay, BriefEditorial, BriefOrder, BriefUpdate
from app.core.db import SessionDep
from app.core.editorial import PageParamsDep, QueryBool, envelope
from app.core.errors import problem_responses
from app.core.listing import NowDep
from app.core.pagination import Page
from app.users.dependencies import CurrentEditor, CurrentWriter, no_store

router = APIRouter(prefix="/v1/editorial/briefs", tags=["Editorial"],
                   dependencies=[Depends(no_store)])
DateQ = Annotated[dt.date, Query(description="The publisher-local calendar date, YYYY-MM-DD")]


class BriefEditorialList(Page[BriefEditorial]):
    pass


@router.get("", response_model=BriefEditorialList, operation_id="listEditorialBriefs",
            summary="List briefs in every state", responses=problem_responses(400, 401, 422))
def list_briefs(request: Request, response: Response, session: SessionDep, params: PageParamsDep,
                user: CurrentWriter, now: NowDep,
                date: Annotated[dt.date | None, Query(description=(
                    "Only this publisher-local date, YYYY-MM-DD"))] = None,
                include_deleted: Annotated[QueryBool, Query(
                    description="Include deleted briefs")] = False) -> dict[str, Any]:
    """Briefs newest day first, in page order within a day, published or not (`published_at`
    null means unpublished). Deleted briefs only with `include_deleted=true`. A writer sees
    `article` (and `article_id`) only for an article they may read: their own or a public one."""
    items, next_cursor = service.list_briefs(session, day=date, include_deleted=include_deleted,
                                             limit=params.limit, cursor=params.cursor)
    items = service.as_seen_by(session, items, user, now)
    return envelope(request, response, items, limit=params.limit, next_cursor=next_cursor)


@router.post("", response_model=BriefEditorial, status_code=201, operation_id="createBrief",
             summary="Create a brief", responses=problem_responses(401, 403, 422))
def create_brief(data: BriefCreate, request: Request, response: Response, session: SessionDep,
                 now: NowDep, _editor: CurrentEditor) -> BriefEditorial:
    """A new brief for `date` (publisher-local). Without `position` it goes last in its day.
    `article_id` points it at the full story, which readers see only once that article is
    published. `published: false` keeps it off the Content API. Editors and admins."""
    brief = service.create_brief(session, data, now=now)
    response.headers["Location"] = str(request.url_for("get_brief", brief_id=brief.id))
    return service.editorial_view(session, brief)


@router.put("/order", response_model=BriefDay, operation_id="reorderBriefs",
            summary="Set the order of a day's briefs", responses=problem_responses(401, 403, 422))
def reorder_briefs(order: BriefOrder, date: DateQ, session: SessionDep, now: NowDep,
                   _editor: CurrentEditor) -> BriefDay:
    """`ids` lists every live brief of `date` once, first to last; positions become 0, 1, 2...
    in one transaction. A list missing a brief of that day, or naming a brief of another day,
    answers 422 and changes nothing. Editors and admins."""
    service.reorder_briefs(session, date, order.ids, now=now)
    return BriefDay(date=date, data=service.day_views(session, date))


@router.get("/{brief_id}", response_model=BriefEditorial, operation_id="getBrief",
            summary="Get a brief", responses=problem_responses(401, 404, 422))
def get_brief(brief: BriefDep, session: SessionDep, user: CurrentWriter,
              now: NowDep) -> BriefEditorial:
    """One brief in any state, deleted ones included (`deleted_at` set). A writer sees
    `article` (and `article_id`) only for an article they may read: their own or a public one."""
    return service.as_seen_by(session, [service.editorial_view(session, brief)], user, now)[0]


@router.patch("/{brief_id}", response_model=BriefEditorial, operation_id="updateBrief",
              summary="Change a brief", responses=problem_responses(401, 403, 404, 409, 422))
def update_brief(brief: BriefDep, data: BriefUpdate, session: SessionDep, now: NowDep,
                 _editor: CurrentEditor) -> BriefEditorial:
    """Send only the fields to change. A brief moved to another `date` without a `position`
    goes last in its new day. A deleted brief answers 409. Editors and admins."""
    return service.editorial_view(session, service.update_brief(session, brief, data, now=now))


@router.delete("/{brief_id}", status_code=204, response_class=Response,
               operation_id="deleteBrief", summary="Delete a brief",
               responses=problem_responses(401, 403, 404, 409, 422))
def delete_brief(brief: BriefDep, session: SessionDep, now: NowDep,
                 _editor: CurrentEditor) -> None:
    """Takes the brief off the Content API; it stays readable here with `deleted_at` set.
    Editors and admins."""
    service.delete_brief(session, brief, now=now)
