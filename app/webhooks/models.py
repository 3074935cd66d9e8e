"""Webhook endpoints, the outbox of deliveries (one row per message and endpoint) and the log of
every attempt."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Any

from pydantic import AnyHttpUrl, field_validator
from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime


class EventType(StrEnum):
    article_published = "article.published"
    article_updated = "article.updated"
    article_unpublished = "article.unpublished"
    article_killed = "article.killed"
    article_deleted = "article.deleted"
    article_corrected = "article.corrected"
    brief_published = "brief.published"
    ping = "ping"


class DeliveryStatus(StrEnum):
    pending = "pending"  # waiting for its first attempt or a retry (or being sent)
    succeeded = "succeeded"
    failed = "failed"  # every attempt failed, or the endpoint answered 410


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoint"
    id: str = Field(primary_key=True, max_length=32)
    # NULL: an endpoint the newsroom's admins manage; else the partner that owns it.
    partner_id: int | None = Field(default=None, foreign_key="partner.id", index=True,
                                   ondelete="CASCADE")
    url: str = Field(max_length=2000)
    events: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    description: str | None = Field(default=None, max_length=500)
    enabled: bool = True
    disabled_reason: str | None = Field(default=None, max_length=200)
    secret: str = Field(max_length=100)
    # After a rotation the previous secret also signs until `previous_secret_expires_at`.
    previous_secret: str | None = Field(default=None, max_length=100)
    previous_secret_expires_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The first failed attempt since the last success: five days of failures disable it.
    failing_since: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(sa_type=UTCDateTime)


class WebhookDelivery(SQLModel, table=True):
    """The outbox: written in the transaction that made the change, sent after it commits."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        # The sender's scan: due pending rows, oldest due first.
        Index("ix_webhook_delivery_status_next_attempt_at", "status", "next_attempt_at"),
        # Per-article order: is an earlier message about this article still pending here?
        Index("ix_webhook_delivery_endpoint_id_article_id", "endpoint_id", "article_id", "id"),
    )
    # Insertion order, which for one article is its commit order (writers of one article are
    # serialized by the article row's lock): the ordering key.
    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(max_length=40, unique=True)  # the `webhook-id` header
    endpoint_id: str = Field(foreign_key="webhook_endpoint.id", ondelete="CASCADE", max_length=32)
    event_type: str = Field(max_length=40)
    article_id: str | None = Field(default=None, max_length=32)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default=DeliveryStatus.pending.value, max_length=16)
    attempts: int = 0
    next_attempt_at: dt.datetime = Field(sa_type=UTCDateTime)
    # A claimed attempt: no other process may send it before this time (a sender that died
    # mid-send is retried once the lease runs out).
    leased_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    lease_token: str | None = Field(default=None, max_length=32)
    last_attempt_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_response_status: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)


class WebhookAttempt(SQLModel, table=True):
    """The delivery log: one row per attempt, append-only."""

    __tablename__ = "webhook_attempt"
    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_delivery.id", ondelete="CASCADE", index=True)
    attempted_at: dt.datetime = Field(sa_type=UTCDateTime)
    response_status: int | None = None
    error: str | None = Field(default=None, max_length=500)
    duration_ms: int = 0


# ---- API shapes -------------------------------------------------------------------------------

EVENTS_DESCRIPTION = ("Event types to receive: " + ", ".join(f"`{e.value}`" for e in EventType)
                      + " (`ping` is always sent by `POST .../test`)")


def _absolute_http(value: object) -> object:
    # Before pydantic's URL parser, which repairs `http:host/x` into `http://host/x`: a URL a
    # person typed that way is a mistake to report, not to guess at.
    if isinstance(value, str) and not re.match(r"(?i)https?://[^/\\\s]", value):
        raise ValueError("must be an absolute http(s) URL")
    return value


class WebhookEndpointCreate(SQLModel):
    model_config = {"extra": "forbid"}
    url: AnyHttpUrl = Field(description="Where events are POSTed (https; http and loopback only "
                            "in development)")
    events: list[EventType] = Field(min_length=1, max_length=len(EventType),
                                    description=EVENTS_DESCRIPTION)
    description: str | None = Field(default=None, max_length=500)

    _absolute = field_validator("url", mode="before")(_absolute_http)

    @field_validator("url")
    @classmethod
    def _short_url(cls, value: AnyHttpUrl) -> AnyHttpUrl:
        if len(str(value)) > 2000:
            raise ValueError("at most 2000 characters")
        return value


class WebhookEndpointUpdate(SQLModel):
    model_config = {"extra": "forbid"}
    url: AnyHttpUrl | None = None
    events: list[EventType] | None = Field(default=None, min_length=1, max_length=len(EventType))
    description: str | None = Field(default=None, max_length=500)
    enabled: bool | None = Field(default=None, description="`true` re-enables a disabled endpoint")

    _absolute = field_validator("url", mode="before")(_absolute_http)

    @field_validator("url")
    @classmethod
    def _short_url(cls, value: AnyHttpUrl | None) -> AnyHttpUrl | None:
        if value is not None and len(str(value)) > 2000:
            raise ValueError("at most 2000 characters")
        return value


class WebhookEndpointPublic(SQLModel):
    id: str
    url: str
    events: list[str]
    description: str | None
    enabled: bool
    disabled_reason: str | None = Field(description="Why the endpoint was disabled, if it was")
    previous_secret_expires_at: dt.datetime | None = Field(
        description="After a rotation: until when the previous secret also signs")
    created_at: dt.datetime
    updated_at: dt.datetime


class WebhookEndpointWithSecret(WebhookEndpointPublic):
    secret: str = Field(description="`whsec_...`: verify signatures with it. Shown once")


class WebhookAttemptPublic(SQLModel):
    attempted_at: dt.datetime
    response_status: int | None = Field(description="The HTTP status received, if any")
    error: str | None
    duration_ms: int


class WebhookDeliveryPublic(SQLModel):
    id: str = Field(description="The message id (`webhook-id` header), the same on every retry")
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: dt.datetime | None = Field(description="When a pending delivery is tried")
    last_attempt_at: dt.datetime | None
    last_response_status: int | None
    last_error: str | None
    created_at: dt.datetime
    payload: dict[str, Any]
    attempt_log: list[WebhookAttemptPublic] = Field(description="Every attempt, oldest first")
