"""Operations: liveness, readiness, and the site description clients read once."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import text
from starlette.responses import Response

from app.core.config import get_settings
from app.core.db import get_write_engine
from app.core.errors import ServiceUnavailable, Unauthorized, problem_responses
from app.core.http import Representation, respond
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from app.ops import metrics

router = APIRouter()


class Health(BaseModel):
    status: str = "ok"


class Limits(BaseModel):
    max_page_size: int
    default_page_size: int
    rate_limit_public: str
    rate_limit_partner: str
    max_body_bytes: int


class Site(BaseModel):
    name: str
    url: str
    timezone: str
    languages: list[str]
    limits: Limits


@router.get("/healthz", response_model=Health, tags=["Operations"], operation_id="getHealth",
            summary="Liveness: the process answers")
def healthz() -> Health:
    """Always 200 while the process runs; it does not touch the database."""
    return Health()


@router.get("/readyz", response_model=Health, tags=["Operations"], operation_id="getReadiness",
            summary="Readiness: the database answers", responses=problem_responses(503))
def readyz() -> Health:
    """200 when the database answers a trivial query, else a 503 problem (take the process out
    of the load balancer)."""
    try:
        with get_write_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver or pool failure means "not ready"
        raise ServiceUnavailable("The database is unreachable",
                                 headers={"Retry-After": "5"}) from exc
    return Health()


METRICS_EXAMPLE = (
    "# HELP khabar_http_requests_total HTTP requests answered\n"
    "# TYPE khabar_http_requests_total counter\n"
    'khabar_http_requests_total{method="GET",route="/v1/articles/{slug}",status="200"} 1027.0\n'
)


@router.get("/metrics", tags=["Operations"], operation_id="getMetrics",
            summary="Prometheus metrics", response_class=Response,
            responses={200: {"description": "Prometheus text exposition format 0.0.4",
                             "content": {"text/plain": {"schema": {"type": "string"},
                                                        "example": METRICS_EXAMPLE}}},
                       **problem_responses(401)})
def prometheus_metrics(request: Request) -> Response:
    """Request counts and latencies by route template, method and status, and database pool
    use, in the Prometheus text format. With several workers each process answers for itself
    unless `PROMETHEUS_MULTIPROC_DIR` is set (see the operations guide). When the deployment sets
    `KHABAR_METRICS_TOKEN`, send it as `Authorization: Bearer <token>`."""
    token = get_settings().metrics_token
    if token:
        sent = request.headers.get("authorization", "")
        # Constant-time: the comparison must not reveal how much of a guess was right.
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            raise Unauthorized("/metrics needs the operator's bearer token",
                               headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE,
                    headers={"Cache-Control": "no-store"})


@router.get("/v1/site", response_model=Site, tags=["Content"], operation_id="getSite",
            summary="Describe the publisher and the API's limits")
def site(request: Request) -> Response:
    """Publisher name, timezone, languages, and the limits clients should respect (page size,
    rate limits, body size), so they need not guess."""
    s = get_settings()
    body = Site(
        name=s.publisher_name, url=s.site_url, timezone=s.timezone, languages=s.languages,
        limits=Limits(max_page_size=MAX_LIMIT, default_page_size=DEFAULT_LIMIT,
                      rate_limit_public=s.rate_limit_public,
                      rate_limit_partner=s.rate_limit_partner, max_body_bytes=s.max_body_bytes),
    )
    return respond(request, Representation(body.model_dump_json().encode(),
                                           surrogate_keys=["site"]))
