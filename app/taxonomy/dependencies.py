"""Loading a section or tag by slug for the Editorial API (any newsroom user may read them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path
from sqlmodel import select

from app.core.db import SessionDep
from app.core.errors import NotFound
from app.taxonomy.models import Section, Tag
from app.users.dependencies import CurrentWriter

Slug = Annotated[str, Path(min_length=1, max_length=100)]


def get_section(slug: Slug, session: SessionDep, _user: CurrentWriter) -> Section:
    section = session.exec(select(Section).where(Section.slug == slug)).first()
    if section is None:
        raise NotFound(f"No section with slug {slug!r}")
    return section


def get_tag(slug: Slug, session: SessionDep, _user: CurrentWriter) -> Tag:
    tag = session.exec(select(Tag).where(Tag.slug == slug)).first()
    if tag is None:
        raise NotFound(f"No tag with slug {slug!r}")
    return tag


SectionDep = Annotated[Section, Depends(get_section)]
TagDep = Annotated[Tag, Depends(get_tag)]
