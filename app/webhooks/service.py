"""Webhook endpoint use cases. Each public function is one transaction and one commit.

An owner is either the newsroom (`partner_id` None: admins manage those endpoints) or one
partner; every lookup is scoped to the owner, so another owner's endpoint is a 404.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.ids import new_id
from app.core.pagination import SortKey, fetch_page
from app.core.patch import refuse_nulls
from app.webhooks import outbox, urls
from app.webhooks.models import (
    DeliveryStatus,
    EventType,
    WebhookAttempt,
    WebhookAttemptPublic,
    WebhookDelivery,
    WebhookDeliveryPublic,
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEndpointUpdate,
)

MAX_ENDPOINTS = 10
ROTATION_OVERLAP = timedelta(hours=24)
# Briefs are not syndicated: partner endpoints receive article events and pings only.
PARTNER_EVENTS = {e for e in EventType if e is not EventType.brief_published}
ENDPOINT_ORDER = SortKey("id", [(col(WebhookEndpoint.id), False)])
DELIVERY_ORDER = SortKey("-id", [(col(WebhookDelivery.id), True)])


class WebhookEndpointNotFound(NotFound):
    title = "Webhook endpoint not found"


class WebhookDeliveryNotFound(NotFound):
    title = "Webhook delivery not found"


class TooManyWebhookEndpoints(Conflict):
    title = "Too many webhook endpoints"
    slug = "webhook-endpoint-limit"


class DeliveryConflict(Conflict):
    title = "Delivery cannot be sent again now"


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _owned(owner: int | None) -> Any:
    return (col(WebhookEndpoint.partner_id).is_(None) if owner is None
            else col(WebhookEndpoint.partner_id) == owner)


def _check_events(events: list[EventType], owner: int | None) -> list[str]:
    if owner is not None:
        refused = [e.value for e in events if e not in PARTNER_EVENTS]
        if refused:
            raise Unprocessable(f"Partners cannot subscribe to {', '.join(refused)}", errors=[
                {"loc": ["body", "events"], "msg": f"{e} is not available to partners"}
                for e in refused])
    return list(dict.fromkeys(e.value for e in events))


def get_endpoint(session: Session, owner: int | None, endpoint_id: str) -> WebhookEndpoint:
    endpoint = session.exec(select(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id, _owned(owner))).first()
    if endpoint is None:
        raise WebhookEndpointNotFound(f"No webhook endpoint {endpoint_id!r}")
    return endpoint


def list_endpoints(session: Session, owner: int | None, *, limit: int,
                   cursor: str | None) -> tuple[list[WebhookEndpoint], str | None]:
    return fetch_page(session, select(WebhookEndpoint).where(_owned(owner)), ENDPOINT_ORDER,
                      limit=limit, cursor=cursor, cursor_of=lambda e: [e.id])


def create_endpoint(session: Session, owner: int | None, data: WebhookEndpointCreate, *,
                    now: datetime) -> WebhookEndpoint:
    url = urls.check_url(str(data.url))
    events = _check_events(data.events, owner)
    count = session.exec(select(func.count()).select_from(WebhookEndpoint).where(
        _owned(owner))).one()
    if count >= MAX_ENDPOINTS:
        raise TooManyWebhookEndpoints(
            f"At most {MAX_ENDPOINTS} endpoints; delete one before adding another")
    endpoint = WebhookEndpoint(id=new_id(), partner_id=owner, url=url, events=events,
                               description=data.description, secret=new_secret(),
                               created_at=now, updated_at=now)
    session.add(endpoint)
    session.commit()
    session.refresh(endpoint)
    return endpoint


def update_endpoint(session: Session, endpoint: WebhookEndpoint, data: WebhookEndpointUpdate, *,
                    now: datetime) -> WebhookEndpoint:
    given = data.model_fields_set
    refuse_nulls(data, "url", "events", "enabled")
    if data.url is not None:
        endpoint.url = urls.check_url(str(data.url))
    if data.events is not None:
        endpoint.events = _check_events(data.events, endpoint.partner_id)
    if "description" in given:
        endpoint.description = data.description
    if data.enabled is not None:
        endpoint.enabled = data.enabled
        if data.enabled:
            endpoint.disabled_reason, endpoint.failing_since = None, None
        else:
            endpoint.disabled_reason = "Disabled by its owner"
    endpoint.updated_at = now
    session.add(endpoint)
    session.commit()
    session.refresh(endpoint)
    return endpoint


def delete_endpoint(session: Session, endpoint: WebhookEndpoint) -> None:
    """The endpoint, its pending deliveries and its log go."""
    session.delete(endpoint)
    session.commit()


def rotate_secret(session: Session, endpoint: WebhookEndpoint, *,
                  now: datetime) -> WebhookEndpoint:
    """A new secret signs from now on; the current one also signs for 24 h (a secret older
    than that is dropped at once)."""
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + ROTATION_OVERLAP
    endpoint.secret = new_secret()
    endpoint.updated_at = now
    session.add(endpoint)
    session.commit()
    session.refresh(endpoint)
    return endpoint


def send_test(session: Session, endpoint: WebhookEndpoint, *, now: datetime) -> WebhookDelivery:
    """A `ping` message, sent like any other (it goes even to a disabled endpoint's log, and
    is sent once the endpoint is enabled)."""
    payload = {"type": EventType.ping.value, "timestamp": outbox.timestamp(now),
               "data": {"endpoint_id": endpoint.id}}
    delivery = outbox.add_delivery(session, endpoint, EventType.ping.value, payload, now=now)
    session.commit()
    session.refresh(delivery)
    return delivery


def get_delivery(session: Session, endpoint: WebhookEndpoint, message_id: str) -> WebhookDelivery:
    delivery = session.exec(select(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint.id,
        WebhookDelivery.message_id == message_id)).first()
    if delivery is None:
        raise WebhookDeliveryNotFound(f"No delivery {message_id!r} for this endpoint")
    return delivery


def list_deliveries(session: Session, endpoint: WebhookEndpoint, *,
                    status: DeliveryStatus | None, limit: int,
                    cursor: str | None) -> tuple[list[WebhookDelivery], str | None]:
    stmt = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status.value)
    return fetch_page(session, stmt, DELIVERY_ORDER, limit=limit, cursor=cursor,
                      cursor_of=lambda d: [d.id])


def redeliver(session: Session, endpoint: WebhookEndpoint, delivery: WebhookDelivery, *,
              now: datetime) -> WebhookDelivery:
    """The same message (same `webhook-id`) once more, with a fresh retry schedule."""
    if delivery.status == DeliveryStatus.pending.value:
        raise DeliveryConflict("The delivery is still pending; it will be attempted anyway")
    if not endpoint.enabled:
        raise DeliveryConflict("The endpoint is disabled; enable it first")
    delivery.status = DeliveryStatus.pending.value
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.leased_until = delivery.lease_token = None
    session.add(delivery)
    session.info[outbox.PENDING] = True
    session.commit()
    session.refresh(delivery)
    return delivery


def present_deliveries(session: Session,
                       deliveries: list[WebhookDelivery]) -> list[WebhookDeliveryPublic]:
    ids = [d.id for d in deliveries]
    log: dict[int, list[WebhookAttemptPublic]] = {i: [] for i in ids if i is not None}
    if ids:
        for row in session.exec(select(WebhookAttempt).where(
                col(WebhookAttempt.delivery_id).in_(ids)).order_by(col(WebhookAttempt.id))):
            log[row.delivery_id].append(WebhookAttemptPublic.model_validate(
                row, from_attributes=True))
    return [WebhookDeliveryPublic(
        id=d.message_id, event_type=d.event_type, status=DeliveryStatus(d.status),
        attempts=len(log.get(d.id or 0, [])),
        next_attempt_at=d.next_attempt_at if d.status == DeliveryStatus.pending.value else None,
        last_attempt_at=d.last_attempt_at, last_response_status=d.last_response_status,
        last_error=d.last_error, created_at=d.created_at, payload=d.payload,
        attempt_log=log.get(d.id or 0, [])) for d in deliveries]
