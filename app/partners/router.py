"""Editorial API: syndication partners and their API keys (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from sqlmodel import col, select

from app.core.db import SessionDep
from app.core.editorial import PageParamsDep, envelope
from app.core.errors import NotFound, problem_responses
from app.core.listing import NowDep
from app.core.pagination import Page, SortKey, fetch_page
from app.partners import service
from app.partners.models import Partner, PartnerCreate, PartnerPublic, PartnerUpdate, PartnerWithKey
from app.partners.usage import flushed_usage
from app.users.dependencies import CurrentAdmin, no_store

# Partners show `last_used_at`: what this process counted is written first.
router = APIRouter(prefix="/v1/editorial/partners", tags=["Editorial"],
                   dependencies=[Depends(no_store), Depends(flushed_usage)])
ADMIN_ERRORS = (401, 403)


class PartnerNotFound(NotFound):
    title = "Partner not found"


class PartnerList(Page[PartnerPublic]):
    pass


def get_partner(partner_id: Annotated[int, Path(ge=1, le=2**31 - 1)], session: SessionDep,
                _admin: CurrentAdmin) -> Partner:
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise PartnerNotFound(f"No partner with id {partner_id}")
    return partner


PartnerDep = Annotated[Partner, Depends(get_partner)]


def _public(partner: Partner) -> PartnerPublic:
    return PartnerPublic.model_validate(partner, from_attributes=True)


def _with_key(partner: Partner, key: str) -> PartnerWithKey:
    return PartnerWithKey(**_public(partner).model_dump(), api_key=key)


BY_ID = SortKey("id", [(col(Partner.id), False)])


@router.get("", response_model=PartnerList, operation_id="listPartners",
            summary="List syndication partners",
            responses=problem_responses(400, *ADMIN_ERRORS, 422))
def list_partners(request: Request, response: Response, session: SessionDep,
                  params: PageParamsDep, _admin: CurrentAdmin) -> PartnerList:
    """Every partner, oldest first, revoked ones included. Key hashes never leave the server;
    `key_prefix` identifies which key a partner holds."""
    partners, next_cursor = fetch_page(session, select(Partner), BY_ID, limit=params.limit,
                                       cursor=params.cursor, cursor_of=lambda p: [p.id])
    return PartnerList(**envelope(request, response, [_public(p) for p in partners],
                                  limit=params.limit, next_cursor=next_cursor))


@router.post("", response_model=PartnerWithKey, status_code=201, operation_id="createPartner",
             summary="Create a partner and its API key",
             responses=problem_responses(*ADMIN_ERRORS, 409, 422))
def create_partner(data: PartnerCreate, session: SessionDep, now: NowDep,
                   _admin: CurrentAdmin) -> PartnerWithKey:
    """Creates the partner with its section allowlist (empty: every section) and rate limit.
    The response is the only time the API key is shown: hand it to the partner now."""
    partner, key = service.create_partner(session, data, now=now)
    return _with_key(partner, key)


@router.get("/{partner_id}", response_model=PartnerPublic, operation_id="getPartner",
            summary="Get one partner", responses=problem_responses(*ADMIN_ERRORS, 404, 422))
def get_partner_detail(partner: PartnerDep) -> PartnerPublic:
    """The partner's allowlist, rate limit, key prefix, and when its key was last used."""
    return _public(partner)


@router.patch("/{partner_id}", response_model=PartnerPublic, operation_id="updatePartner",
              summary="Change a partner's sections, rate limit or embargo access",
              responses=problem_responses(*ADMIN_ERRORS, 404, 422))
def update_partner(partner: PartnerDep, data: PartnerUpdate, session: SessionDep,
                   now: NowDep) -> PartnerPublic:
    """A changed allowlist takes effect at once: the change feed re-announces every article of
    the sections that entered or left it, as upserts or `delete` tombstones. Granting
    `embargo_access` announces the articles scheduled now, marked `embargoed_until`."""
    return _public(service.update_partner(session, partner, data, now=now))


@router.post("/{partner_id}/rotate", response_model=PartnerWithKey, operation_id="rotatePartnerKey",
             summary="Issue a new API key", responses=problem_responses(*ADMIN_ERRORS, 404, 422))
def rotate_partner_key(partner: PartnerDep, session: SessionDep) -> PartnerWithKey:
    """Replaces the key: the old one stops working immediately, the new one is shown once. A
    revoked partner becomes active again with the new key."""
    partner, key = service.rotate_key(session, partner)
    return _with_key(partner, key)


@router.post("/{partner_id}/revoke", response_model=PartnerPublic, operation_id="revokePartner",
             summary="Revoke a partner's API key",
             responses=problem_responses(*ADMIN_ERRORS, 404, 422))
def revoke_partner(partner: PartnerDep, session: SessionDep, now: NowDep) -> PartnerPublic:
    """The key stops working at once (401). Revoking twice keeps the first time."""
    return _public(service.revoke(session, partner, now=now))
