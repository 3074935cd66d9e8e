"""Editorial API: reading the audit log (admins). There is no route that writes or removes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlmodel import col, select

from app.audit.models import AuditEntry, AuditEntryPublic
from app.core.db import SessionDep
from app.core.editorial import PageParamsDep, envelope
from app.core.errors import problem_responses
from app.core.ids import row_id
from app.core.listing import utc
from app.core.pagination import Page, SortKey, decode_cursor, encode_cursor
from app.users.dependencies import CurrentAdmin, no_store

router = APIRouter(prefix="/v1/editorial/audit", tags=["Editorial"],
                   dependencies=[Depends(no_store)])
NEWEST = SortKey("-at", [(col(AuditEntry.at), True), (col(AuditEntry.id), True)])


class AuditList(Page[AuditEntryPublic]):
    pass


@router.get("", response_model=AuditList, operation_id="listAuditEntries",
            summary="Read the audit log", responses=problem_responses(400, 401, 403, 422))
def list_audit_entries(
    request: Request, response: Response, session: SessionDep, _admin: CurrentAdmin,
    params: PageParamsDep,
    actor: Annotated[str | None, Query(max_length=320, description=(
        "A user id, or an email (failed logins carry the email tried)"))] = None,
    action: Annotated[str | None, Query(max_length=64, description=(
        "e.g. `login`, `login_failed`, `publishArticle`, `updateUser`, `rotatePartnerKey`"))
    ] = None,
    since: Annotated[datetime | None, Query(description=(
        "Only entries at or after this time (RFC 3339; UTC if no offset)"))] = None,
) -> AuditList:
    """Who did what, when: logins and failed logins, and every committed write through the
    Editorial API (articles, corrections, preview links, authors, briefs, sections, tags,
    users and their roles, partners and their keys) with the entity it touched and, for
    updates, which fields changed. Newest first, keyset-paginated. Admins only."""
    stmt = select(AuditEntry)
    if actor:
        if (actor_id := row_id(actor)) is not None:
            stmt = stmt.where(AuditEntry.actor_id == actor_id)
        else:
            stmt = stmt.where(AuditEntry.actor_email == actor.strip().lower())
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if since is not None:
        stmt = stmt.where(col(AuditEntry.at) >= utc(since))
    if params.cursor:
        stmt = stmt.where(NEWEST.after(decode_cursor(params.cursor, NEWEST.name, 2)))
    rows = list(session.exec(stmt.order_by(*NEWEST.order_by()).limit(params.limit + 1)).all())
    next_cursor = None
    if len(rows) > params.limit:
        rows = rows[:params.limit]
        next_cursor = encode_cursor(NEWEST.name, [rows[-1].at, rows[-1].id])
    items = [AuditEntryPublic.model_validate(r, from_attributes=True) for r in rows]
    return AuditList(**envelope(request, response, items, limit=params.limit,
                                next_cursor=next_cursor))
