"""Webhook endpoints over HTTP: admins at `/v1/editorial/webhooks` (the newsroom's endpoints),
partners at `/v1/syndication/webhooks` (their own, about what they may republish). Both are the
same routes over an owner: `None` for the newsroom, the partner's id for a partner.

No `from __future__ import annotations`: FastAPI must resolve the closures' local dependency
aliases (`Owner`, `EndpointDep`) at definition time."""


from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from app.core.db import SessionDep
from app.core.editorial import PageParamsDep, envelope
from app.core.errors import problem_responses
from app.core.listing import NowDep
from app.core.pagination import Page
from app.partners.dependencies import CurrentPartner
from app.users.dependencies import CurrentAdmin, no_store
from app.webhooks import service
from app.webhooks.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookDeliveryPublic,
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEndpointPublic,
    WebhookEndpointUpdate,
    WebhookEndpointWithSecret,
)


class WebhookEndpointList(Page[WebhookEndpointPublic]):
    pass


class WebhookDeliveryList(Page[WebhookDeliveryPublic]):
    pass


ENDPOINT_EXAMPLE = {
    "id": "0193a5b2c1d4e5f60718293a4b5c6d7e", "url": "https://example.org/hooks/khabar",
    "events": ["article.published", "article.updated"], "description": "Revalidate the site",
    "enabled": True, "disabled_reason": None, "previous_secret_expires_at": None,
    "created_at": "2026-12-03T10:00:00Z", "updated_at": "2026-12-03T10:00:00Z"}
SECRET_EXAMPLE = {**ENDPOINT_EXAMPLE, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
DELIVERY_EXAMPLE = {
    "id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "event_type": "article.published",
    "status": "succeeded", "attempts": 1, "next_attempt_at": None,
    "last_attempt_at": "2026-12-03T10:00:01Z", "last_response_status": 200, "last_error": None,
    "created_at": "2026-12-03T10:00:00Z",
    "payload": {"type": "article.published", "timestamp": "2026-12-03T10:00:00.000Z",
                "data": {"id": "0193a5b2c1d4e5f60718293a4b5c6d7f", "slug": "budget-passed",
                         "url": "https://example.com/articles/budget-passed", "seq": 42,
                         "language": "en", "section": "politics"}},
    "attempt_log": [{"attempted_at": "2026-12-03T10:00:01Z", "response_status": 200,
                     "error": None, "duration_ms": 38}]}


def _example(value: Any, status: int = 200) -> dict[int | str, dict[str, Any]]:
    return {status: {"content": {"application/json": {"example": value}}}}


def _public(endpoint: WebhookEndpoint) -> WebhookEndpointPublic:
    return WebhookEndpointPublic.model_validate(endpoint, from_attributes=True)


def _with_secret(endpoint: WebhookEndpoint) -> WebhookEndpointWithSecret:
    return WebhookEndpointWithSecret(**_public(endpoint).model_dump(), secret=endpoint.secret)


EndpointIdPath = Annotated[str, Path(max_length=32, description="The endpoint's id")]
DeliveryIdPath = Annotated[str, Path(max_length=40, description="The delivery's `webhook-id`")]


def build_router(prefix: str, tag: str, owner_dep: Callable[..., int | None], op: str,
                 auth_errors: tuple[int, ...]) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=[tag], dependencies=[Depends(no_store)])
    Owner = Annotated[int | None, Depends(owner_dep)]

    def endpoint_of(endpoint_id: EndpointIdPath, session: SessionDep,
                    owner: Owner) -> WebhookEndpoint:
        return service.get_endpoint(session, owner, endpoint_id)

    EndpointDep = Annotated[WebhookEndpoint, Depends(endpoint_of)]

    def delivery_of(endpoint: EndpointDep, delivery_id: DeliveryIdPath,
                    session: SessionDep) -> WebhookDelivery:
        return service.get_delivery(session, endpoint, delivery_id)

    DeliveryDep = Annotated[WebhookDelivery, Depends(delivery_of)]

    @router.get("", response_model=WebhookEndpointList, operation_id=f"list{op}WebhookEndpoints",
                summary="List webhook endpoints",
                responses=problem_responses(400, *auth_errors, 422))
    def list_endpoints(request: Request, response: Response, session: SessionDep,
                       params: PageParamsDep, owner: Owner) -> dict[str, Any]:
        """Your endpoints, oldest first (secrets are never listed)."""
        rows, next_cursor = service.list_endpoints(session, owner, limit=params.limit,
                                                   cursor=params.cursor)
        return envelope(request, response, [_public(e) for e in rows], limit=params.limit,
                        next_cursor=next_cursor)

    @router.post("", response_model=WebhookEndpointWithSecret, status_code=201,
                 operation_id=f"create{op}WebhookEndpoint", summary="Add a webhook endpoint",
                 responses={**_example(SECRET_EXAMPLE, 201),
                            **problem_responses(*auth_errors, 409, 422)})
    def create_endpoint(data: WebhookEndpointCreate, session: SessionDep, now: NowDep,
                        owner: Owner) -> WebhookEndpointWithSecret:
        """Events are POSTed to `url` as Standard Webhooks messages signed with the returned
        `secret` (shown only now). At most 10 endpoints. In production the URL must be https
        to a public address."""
        return _with_secret(service.create_endpoint(session, owner, data, now=now))

    @router.get("/{endpoint_id}", response_model=WebhookEndpointPublic,
                operation_id=f"get{op}WebhookEndpoint", summary="Get one webhook endpoint",
                responses={**_example(ENDPOINT_EXAMPLE),
                           **problem_responses(*auth_errors, 404, 422)})
    def get_endpoint(endpoint: EndpointDep) -> WebhookEndpointPublic:
        """The endpoint, and why it was disabled if it was (410 Gone, or five days of failures)."""
        return _public(endpoint)

    @router.patch("/{endpoint_id}", response_model=WebhookEndpointPublic,
                  operation_id=f"update{op}WebhookEndpoint",
                  summary="Change a webhook endpoint's URL, events or state",
                  responses=problem_responses(*auth_errors, 404, 422))
    def update_endpoint(endpoint: EndpointDep, data: WebhookEndpointUpdate,
                        session: SessionDep, now: NowDep) -> WebhookEndpointPublic:
        """`enabled: true` re-enables a disabled endpoint; messages still pending are then sent."""
        return _public(service.update_endpoint(session, endpoint, data, now=now))

    @router.delete("/{endpoint_id}", status_code=204, operation_id=f"delete{op}WebhookEndpoint",
                   summary="Delete a webhook endpoint",
                   responses=problem_responses(*auth_errors, 404, 422))
    def delete_endpoint(endpoint: EndpointDep, session: SessionDep) -> None:
        """Nothing more is sent to it; its delivery log goes with it."""
        service.delete_endpoint(session, endpoint)

    @router.post("/{endpoint_id}/rotate-secret", response_model=WebhookEndpointWithSecret,
                 operation_id=f"rotate{op}WebhookSecret", summary="Issue a new signing secret",
                 responses={**_example(SECRET_EXAMPLE),
                            **problem_responses(*auth_errors, 404, 422)})
    def rotate_secret(endpoint: EndpointDep, session: SessionDep,
                      now: NowDep) -> WebhookEndpointWithSecret:
        """The new secret is shown once. For 24 hours messages carry two signatures (old and new
        secret), so receivers can switch without losing a message."""
        return _with_secret(service.rotate_secret(session, endpoint, now=now))

    @router.post("/{endpoint_id}/test", response_model=WebhookDeliveryPublic, status_code=202,
                 operation_id=f"test{op}WebhookEndpoint", summary="Send a ping event",
                 responses=problem_responses(*auth_errors, 404, 422))
    def send_test(endpoint: EndpointDep, session: SessionDep,
                  now: NowDep) -> WebhookDeliveryPublic:
        """Queues a `ping` message (`data.endpoint_id`); its delivery shows how it went."""
        delivery = service.send_test(session, endpoint, now=now)
        return service.present_deliveries(session, [delivery])[0]

    @router.get("/{endpoint_id}/deliveries", response_model=WebhookDeliveryList,
                operation_id=f"list{op}WebhookDeliveries", summary="List an endpoint's deliveries",
                responses={**_example({"data": [DELIVERY_EXAMPLE], "meta": {
                    "limit": 20, "next_cursor": None}, "links": {"self": "...", "next": None}}),
                    **problem_responses(400, *auth_errors, 404, 422)})
    def list_deliveries(
        request: Request, response: Response, endpoint: EndpointDep, session: SessionDep,
        params: PageParamsDep,
        status: Annotated[DeliveryStatus | None, Query(
            description="`pending`, `succeeded` or `failed`")] = None,
    ) -> dict[str, Any]:
        """Messages sent (or to send) to this endpoint, newest first, each with its attempts."""
        rows, next_cursor = service.list_deliveries(session, endpoint, status=status,
                                                    limit=params.limit, cursor=params.cursor)
        return envelope(request, response, service.present_deliveries(session, rows),
                        limit=params.limit, next_cursor=next_cursor)

    @router.post("/{endpoint_id}/deliveries/{delivery_id}/redeliver",
                 response_model=WebhookDeliveryPublic, status_code=202,
                 operation_id=f"redeliver{op}Webhook", summary="Send a delivery again",
                 responses=problem_responses(*auth_errors, 404, 409, 422))
    def redeliver(endpoint: EndpointDep, delivery: DeliveryDep, session: SessionDep,
                  now: NowDep) -> WebhookDeliveryPublic:
        """The same message (same `webhook-id` and body) is queued again with a fresh retry
        schedule. A delivery still pending, or a disabled endpoint, answers 409."""
        delivery = service.redeliver(session, endpoint, delivery, now=now)
        return service.present_deliveries(session, [delivery])[0]

    return router


def newsroom(_admin: CurrentAdmin) -> int | None:
    return None


def partner_owner(partner: CurrentPartner) -> int | None:
    return partner.id


editorial_router = build_router("/v1/editorial/webhooks", "Editorial", newsroom, "Editorial",
                                (401, 403))
syndication_router = build_router("/v1/syndication/webhooks", "Syndication", partner_owner,
                                  "Partner", (401, 429))
