"""Writing webhook messages into the outbox, inside the transaction that made the change.

Nothing here commits: the rows become visible (and are sent) only if the caller's transaction
commits, so a rolled-back write sends nothing. After a commit that wrote any, the sender of this
process is woken at once; other processes find them on their next poll.
"""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from app.articles.models import Article
from app.articles.presenters import site_article_url
from app.articles.visibility import is_public
from app.briefs.models import Brief
from app.changelog.models import ArticleChange
from app.core.db import utcnow
from app.partners.models import Partner
from app.syndication.entitlement import entitled
from app.taxonomy.models import Section
from app.webhooks.models import EventType, WebhookDelivery, WebhookEndpoint

# Events about an article that is (still) public: a partner gets them only while entitled to
# it now. The others announce that an article left the public surfaces: a partner gets them
# when the article was one it could have received (its rights and section allow it).
LIVE_EVENTS = {EventType.article_published, EventType.article_updated,
               EventType.article_corrected}
ARTICLE_EVENTS = LIVE_EVENTS | {EventType.article_unpublished, EventType.article_killed,
                                EventType.article_deleted}
PENDING = "khabar_webhook_written"  # in Session.info: this transaction wrote outbox rows

wakeup = threading.Event()  # set after a commit that wrote outbox rows; the sender waits on it


def new_message_id() -> str:
    return f"msg_{secrets.token_urlsafe(18)}"


def timestamp(now: datetime) -> str:
    return now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _subscribed(session: Session, event_type: str) -> list[WebhookEndpoint]:
    # Events are few and endpoints per deployment a handful to hundreds: filtered here rather
    # than with JSON operators that differ between SQLite and PostgreSQL.
    endpoints = session.exec(select(WebhookEndpoint).where(col(WebhookEndpoint.enabled))).all()
    return [e for e in endpoints if event_type in e.events]


def add_delivery(session: Session, endpoint: WebhookEndpoint, event_type: str,
                 payload: dict[str, Any], *, article_id: str | None = None,
                 now: datetime | None = None) -> WebhookDelivery:
    """One outbox row (flushes)."""
    delivery = WebhookDelivery(message_id=new_message_id(), endpoint_id=endpoint.id,
                               event_type=event_type, article_id=article_id, payload=payload,
                               next_attempt_at=now or utcnow(), created_at=now or utcnow())
    session.add(delivery)
    session.flush()
    session.info[PENDING] = True
    return delivery


def _article_payload(session: Session, kind: EventType, article_id: str,
                     now: datetime) -> dict[str, Any] | None:
    article = session.get(Article, article_id)
    if article is None:
        return None
    session.refresh(article)  # the caller may have changed it with a Core UPDATE
    section = session.exec(select(Section.slug).where(Section.id == article.section_id)
                           ).first() if article.section_id else None
    seq = session.exec(select(ArticleChange.seq).where(
        ArticleChange.article_id == article_id)).first()
    return {"type": kind.value, "timestamp": timestamp(now), "data": {
        "id": article.id, "slug": article.slug, "url": site_article_url(article.slug),
        "seq": seq, "language": article.language, "section": section}}


def enqueue_article_event(session: Session, event_type: str, article_id: str, *,
                          now: datetime | None = None) -> int:
    """Write `event_type` about the article for every enabled endpoint subscribed to it (partner
    endpoints only for articles that partner is entitled to: now, for events about a live
    article; by rights and section, for events announcing it left). Flushes; returns the rows
    written."""
    kind = EventType(event_type)
    assert kind in ARTICLE_EVENTS, event_type
    now = now or utcnow()
    endpoints = _subscribed(session, kind.value)
    payload = _article_payload(session, kind, article_id, now) if endpoints else None
    if payload is None:
        return 0
    allowed: dict[int, bool] = {}
    written = 0
    for endpoint in endpoints:
        if endpoint.partner_id is not None:
            if endpoint.partner_id not in allowed:
                allowed[endpoint.partner_id] = _entitled(session, endpoint.partner_id, article_id,
                                                         live=kind in LIVE_EVENTS, now=now)
            if not allowed[endpoint.partner_id]:
                continue
        add_delivery(session, endpoint, kind.value, payload, article_id=article_id, now=now)
        written += 1
    return written


def _entitled(session: Session, partner_id: int, article_id: str, *, live: bool,
              now: datetime) -> bool:
    partner = session.get(Partner, partner_id)
    if partner is None or partner.revoked_at is not None:
        return False
    clauses = [entitled(partner)]
    if live:
        clauses.append(is_public(now))
    found = session.exec(select(Article.id).where(Article.id == article_id, *clauses)).first()
    return found is not None


def enqueue_brief_event(session: Session, event_type: str, brief_id: int, *,
                        now: datetime | None = None) -> int:
    """`brief.published` for every admin endpoint subscribed to it (briefs are not syndicated,
    so partner endpoints never receive them). Flushes; returns the rows written."""
    kind = EventType(event_type)
    assert kind is EventType.brief_published, event_type
    now = now or utcnow()
    endpoints = [e for e in _subscribed(session, kind.value) if e.partner_id is None]
    brief = session.get(Brief, brief_id)
    if not endpoints or brief is None:
        return 0
    payload = {"type": kind.value, "timestamp": timestamp(now), "data": {
        "id": brief.id, "date": brief.date.isoformat(), "headline": brief.headline,
        "article_id": brief.article_id}}
    for endpoint in endpoints:
        add_delivery(session, endpoint, kind.value, payload, now=now)
    return len(endpoints)


NEWSROOM = 0  # the viewer key of the newsroom's own endpoints (partner ids start at 1)


def viewers(session: Session, article_id: str, now: datetime) -> set[int]:
    """Who with an enabled endpoint sees the article now: NEWSROOM when it is public, and each
    partner with an endpoint that is entitled to it. Called before and after a write."""
    owners = set(session.exec(select(WebhookEndpoint.partner_id).distinct().where(
        col(WebhookEndpoint.enabled))).all())
    if not owners:
        return set()  # no endpoint, no event: a write costs one indexed query more
    public = session.exec(select(Article.id).where(Article.id == article_id,
                                                   is_public(now))).first() is not None
    if not public:
        return set()
    partners = owners - {None}
    return {NEWSROOM} | {p for p in partners
                         if p is not None and _entitled(session, p, article_id, live=True,
                                                        now=now)}


def article_written(session: Session, article_id: str, *, before: set[int],
                    leaving: EventType = EventType.article_unpublished,
                    staying: EventType = EventType.article_updated,
                    now: datetime | None = None) -> int:
    """The events a write of an article means, per viewer, from `before` (`viewers()` ahead of
    the write) and who sees it now: `article.published` for whom it appeared, `staying` for whom
    it stayed, `leaving` for whom it went (a partner for whom it is still public but no longer
    syndicable, or out of its sections, gets `article.unpublished`); nothing for writes no
    viewer saw (drafts, scheduled articles before their time). Flushes; returns rows written."""
    now = now or utcnow()
    after = viewers(session, article_id, now)
    if not before and not after:
        return 0
    endpoints = session.exec(select(WebhookEndpoint).where(col(WebhookEndpoint.enabled))).all()
    payloads: dict[EventType, dict[str, Any] | None] = {}
    written = 0
    for endpoint in endpoints:
        viewer = endpoint.partner_id or NEWSROOM
        if viewer in after:
            kind = staying if viewer in before else EventType.article_published
        elif viewer in before:
            still_public = NEWSROOM in after
            kind = EventType.article_unpublished if still_public else leaving
        else:
            continue
        if kind.value not in endpoint.events:
            continue
        if kind not in payloads:
            payloads[kind] = _article_payload(session, kind, article_id, now)
        payload = payloads[kind]
        if payload is not None:
            add_delivery(session, endpoint, kind.value, payload, article_id=article_id, now=now)
            written += 1
    return written


@event.listens_for(OrmSession, "after_commit")
def _committed(session: OrmSession) -> None:
    if session.info.pop(PENDING, None):
        wakeup.set()


@event.listens_for(OrmSession, "after_rollback")
def _rolled_back(session: OrmSession) -> None:
    session.info.pop(PENDING, None)
