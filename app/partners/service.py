"""Partner use cases: keys are shown once and stored only as hashes."""

from __future__ import annotations

from datetime import date, datetime
from typing import cast

from sqlmodel import Session, col, select

from app.articles.models import Article
from app.articles.visibility import is_embargoed
from app.changelog import record as changes
from app.core.db import utcnow
from app.core.errors import Conflict, Unprocessable
from app.core.security import hash_api_key, key_prefix_of, new_api_key, same_hash
from app.partners.models import Partner, PartnerCreate, PartnerUpdate, PartnerUsage
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
                      rate_limit=data.rate_limit, embargo_access=data.embargo_access,
                      key_prefix=prefix, key_hash=key_hash, created_at=now)
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


def _section_ids(session: Session, slugs: set[str]) -> list[int] | None:
    """An allowlist's section ids; `None` for an empty one (every section)."""
    return None if not slugs else cast(list[int], list(session.exec(  # ids are never None
        select(Section.id).where(col(Section.slug).in_(slugs))).all()))


def update_partner(session: Session, partner: Partner, data: PartnerUpdate, *,
                   now: datetime | None = None) -> Partner:
    """A changed allowlist re-announces the articles of every section that entered or left it:
    the feed renders each one against the partner's new allowlist, as an upsert or a tombstone.
    Embargo access, once granted, announces what is embargoed now; revoking it takes nothing
    down (what was received stays under the embargo until its time)."""
    if data.sections is not None:
        _check_sections(session, data.sections)
        new = list(dict.fromkeys(data.sections))
        before, after = set(partner.sections), set(new)
        if before != after:
            # An empty allowlist means every section, so moving to or from it touches them all.
            touched = None if not before or not after else before ^ after
            stmt = select(Article.id)  # every section, and articles with none
            if touched is not None:
                stmt = stmt.join(Section, col(Section.id) == Article.section_id).where(
                    col(Section.slug).in_(touched))
            ids = session.exec(stmt.order_by(col(Article.id))).all()
            changes.partner_rescoped(session, partner.id or 0, _section_ids(session, before),
                                     _section_ids(session, after), list(ids))
        partner.sections = new
    if "rate_limit" in data.model_fields_set:
        partner.rate_limit = data.rate_limit
    if data.embargo_access is not None and data.embargo_access != partner.embargo_access:
        partner.embargo_access = data.embargo_access
        if data.embargo_access:  # what is embargoed now reaches the partner's feed at once
            changes.renumber(session, list(session.exec(
                select(Article.id).where(is_embargoed(now or utcnow()))).all()))
    session.add(partner)
    session.commit()
    session.refresh(partner)
    return partner


def authenticate(session: Session, key: str) -> Partner | None:
    """The active partner holding `key`, or None. Looked up by its public prefix, then the hash
    is compared in constant time."""
    prefix = key_prefix_of(key)
    if prefix is None:
        return None
    partner = session.exec(select(Partner).where(Partner.key_prefix == prefix)).first()
    if partner is None or not same_hash(partner.key_hash, hash_api_key(key)):
        return None
    return None if partner.revoked_at is not None else partner


def usage(session: Session, partner: Partner, *, since: date) -> list[PartnerUsage]:
    return list(session.exec(
        select(PartnerUsage).where(PartnerUsage.partner_id == partner.id, PartnerUsage.day >= since)
        .order_by(col(PartnerUsage.day).desc(), col(PartnerUsage.route))).all())
