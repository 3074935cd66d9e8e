"""Loading a brief for the Editorial API: any newsroom user reads briefs; changing them is an
editor's job (the routes ask for `CurrentWriter`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from app.briefs.models import Brief
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.users.dependencies import CurrentWriter

BriefId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The brief's id")]


def get_brief(brief_id: BriefId, session: SessionDep, _user: CurrentWriter) -> Brief:
    brief = session.get(Brief, brief_id)
    if brief is None:
        raise NotFound(f"No brief with id {brief_id}")
    return brief


BriefDep = Annotated[Brief, Depends(get_brief)]
