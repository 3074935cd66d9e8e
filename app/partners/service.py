"""Partner use cases: keys are shown once and stored only as hashes."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from app.articles.models import Article
from app.core.errors import Conflict, Unprocessable
from app.core.security import new_api_key
from app.partners.models import Partner, PartnerCreate, PartnerUpdate
from app.syndication import changes
from app.taxonomy.models import Section


def _check_sections(session: Session, slugs: list[str]) -> None:
    known = set(session.exec(select(Section.slug).where(col(Section.slug).in_(slugs))).all())
    unknown = [s for s in slugs if s not in known]
    if unknown:
        raise Unprocessable(f"Unknown section(s): {', '.join(unknown)}",
                            errors=[{"loc": ["body", "sections"], "msg": f"unknown section {s!r}"}
                                    for s in unknown])


def create_partner(session: Session, data: PartnerCreate, *, now: datetime) -> tuple[Partner, str]:
    if session.exec(select(Partner.id).where(Partner.name == data.name)).first():
        raise Conflict(f"A partner named {data.name!r} exists")
    _check_sections(session, data.sections)
    key, prefix, key_hash = new_api_key()
    partner = Partner(name=data.name, sections=list(dict.fromkeys(data.sections)),
                      rate_limit=data.rate_limit, key_prefix=prefix, key_hash=key_hash,
                      created_at=now)
    session.add(partner)
    session.commit()
    session.refresh(partner)
    return partner, key


def rotate_key(session: Session, partner: Partner) -> tuple[Partner, str]:
    key, prefix, key_hash = new_api_key()
    partner.key_prefix, partner.key_hash, partner.revoked_at = prefix, key_hash, None
    session.add(partner)
    session.commit()
    session.refresh(partner)
    return partner, key


def revoke(session: Session, partner: Partner, *, now: datetime) -> Partner:
    partner.revoked_at = partner.revoked_at or now
    session.add(partner)
    session.commit()
    session.refresh(partner)
    return partner


def update_partner(session: Session, partner: Partner, data: PartnerUpdate) -> Partner:
    """A changed allowlist re-announces the articles of every section that entered or left it:
    the feed renders each one against the partner's new allowlist, as an upsert or a tombstone."""
    if data.sections is not None:
        _check_sections(session, data.sections)
        new = list(dict.fromkeys(data.sections))
        before, after = set(partner.sections), set(new)
        if before != after:
            # An empty allowlist means every section, so moving to or from it touches them all.
            touched = None if not before or not after else before ^ after
            stmt = select(Article.id).join(Section, col(Section.id) == Article.section_id)
            if touched is not None:
                stmt = stmt.where(col(Section.slug).in_(touched))
            changes.article_changed(session, list(session.exec(stmt.order_by(col(Article.id))).all()))
        partner.sections = new
    if "rate_limit" in data.model_fields_set:
        partner.rate_limit = data.rate_limit
    session.add(partner)
    session.commit()
    session.refresh(partner)
    return partner
