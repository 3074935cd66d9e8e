"""Partners and their keys for Syndication tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from app.partners import service as partners_service
from app.partners.models import Partner, PartnerCreate

PartnerMaker = Callable[..., tuple[Partner, dict[str, str]]]


@pytest.fixture
def make_partner(session: Session) -> PartnerMaker:
    """make_partner(sections=[...], rate_limit=None) -> (partner, {"Authorization": "Bearer …"})."""
    counter = iter(range(1, 10_000))

    def make(sections: list[str] | None = None, rate_limit: str | None = None,
             name: str | None = None) -> tuple[Partner, dict[str, str]]:
        data = PartnerCreate(name=name or f"Partner {next(counter)}", sections=sections or [],
                             rate_limit=rate_limit)
        partner, key = partners_service.create_partner(session, data, now=datetime.now(UTC))
        return partner, {"Authorization": f"Bearer {key}"}

    return make
