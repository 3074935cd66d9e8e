"""Who is calling the Syndication API: the partner holding the API key, rate-limited and metered.

`CurrentPartner` runs three steps, once per request: authenticate the key (401 otherwise), count
the request against the partner's rate limit (429 past it), then count its use per day and route
(`app/partners/usage.py` writes the counts).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from app.core.db import LookupSessionDep
from app.core.errors import Unauthorized
from app.core.listing import NowDep
from app.core.ratelimit import RateLimiter, add_headers, parse_limit
from app.partners import service
from app.partners.models import Partner
from app.partners.usage import meter_of

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, scheme_name="partnerKey",
                              description="Partner API key (`khb_…`), shown once at creation")
bearer = HTTPBearer(auto_error=False, scheme_name="partnerBearer",
                    description="The same partner API key as `Authorization: Bearer <key>`")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="khabar-syndication"'}


def authenticated_partner(
    session: LookupSessionDep,
    api_key: Annotated[str | None, Depends(api_key_header)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Partner:
    key = (credentials.credentials if credentials else None) or api_key
    if not key:
        raise Unauthorized("Send your partner API key as `Authorization: Bearer <key>` or "
                           "`X-API-Key: <key>`", headers=CHALLENGE)
    partner = service.authenticate(session, key.strip())
    # End the lookup's transaction before the rate limiter's await. On SQLite every transaction
    # of the primary takes the write lock (BEGIN IMMEDIATE); held across the await, it let the
    # other requests fill the thread pool waiting for it while its holder waited for a thread
    # (wrk, 64 connections: 0 answers in 5 s). On PostgreSQL it held a pooled connection idle.
    if partner is not None:
        session.expunge(partner)  # detached, its loaded attributes stay readable
    session.rollback()
    if partner is None:
        raise Unauthorized("The API key is unknown or has been revoked", headers=CHALLENGE)
    return partner


async def rate_limited_partner(
    request: Request, partner: Annotated[Partner, Depends(authenticated_partner)],
) -> Partner:
    limiter: RateLimiter = request.app.state.rate_limiter
    item = parse_limit(partner.rate_limit) if partner.rate_limit else limiter.partner_default
    if item is None:
        return partner
    # Counted per partner, not per key string, so a rotation does not reset the budget.
    decision = await limiter.check(item, "partner", str(partner.id))
    if decision is None:
        return partner
    add_headers(request.scope, decision)
    if not decision.allowed:
        raise decision.error(f"This key is limited to {partner.rate_limit or item}; slow down")
    return partner


def current_partner(
    request: Request, now: NowDep, partner: Annotated[Partner, Depends(rate_limited_partner)],
) -> Partner:
    route = getattr(request.scope.get("route"), "path", request.url.path)
    meter_of(request).count(partner.id or 0, route, now)
    return partner


CurrentPartner = Annotated[Partner, Depends(current_partner)]
