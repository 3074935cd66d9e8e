"""What a partner may receive: the one rule every Syndication route builds on.

A partner sees a public article (`is_public`) whose rights allow syndication and whose section is
in the partner's allowlist. An empty allowlist means every section; an article with no section is
therefore visible only to partners with an empty allowlist. A partner with `embargo_access` also
sees scheduled articles before their time (`is_embargoed`), marked `embargoed_until`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_
from sqlmodel import col, select

from app.articles.models import Article, Syndication
from app.articles.visibility import is_shown
from app.partners.models import Partner
from app.taxonomy.models import Section


def entitled(partner: Partner) -> ColumnElement[bool]:
    """The partner's clause, to add on top of `is_public(now)`."""
    clauses = [col(Article.syndication) == Syndication.allowed.value]
    if partner.sections:
        clauses.append(col(Article.section_id).in_(
            select(Section.id).where(col(Section.slug).in_(partner.sections))))
    return and_(*clauses)


def visible_to(partner: Partner, now: datetime) -> ColumnElement[bool]:
    """Public and entitled; for a partner with embargo access, embargoed articles too."""
    return and_(is_shown(now, early=partner.embargo_access), entitled(partner))
