"""One error vocabulary, rendered as RFC 9457 problem details.

Every `AppError` subclass declares its status and title; one handler writes
`application/problem+json`. Framework errors (validation, unknown routes, wrong methods, database
outages) go through the same renderer, so clients parse one shape for every failure.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

log = logging.getLogger("khabar.errors")
PROBLEM_MEDIA_TYPE = "application/problem+json"


class ProblemError(BaseModel):
    loc: list[str | int]
    msg: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "https://khabar.dev/problems/not-found",
                    "title": "Not found",
                    "status": 404,
                    "detail": "No article with slug 'nope'",
                    "instance": "/v1/articles/nope",
                }
            ]
        }
    )

    type: str = Field(description="A URI naming the kind of problem")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[ProblemError] | None = Field(
        default=None, description="Each invalid input, for validation problems"
    )


class AppError(Exception):
    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"
    slug: ClassVar[str] = "bad-request"

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None,
                 errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.headers = headers or {}
        self.errors = errors


class BadRequest(AppError):
    pass


class InvalidCursor(AppError):
    title = "Invalid cursor"
    slug = "invalid-cursor"


class CursorExpired(AppError):
    """A sync cursor older than the retained change log: the client starts an initial sync."""

    status = 410
    title = "Cursor expired"
    slug = "cursor-expired"


class Unauthorized(AppError):
    status = 401
    title = "Authentication required"
    slug = "unauthorized"


class Forbidden(AppError):
    status = 403
    title = "Forbidden"
    slug = "forbidden"


class NotFound(AppError):
    status = 404
    title = "Not found"
    slug = "not-found"


class Conflict(AppError):
    status = 409
    title = "Conflict"
    slug = "conflict"


class PreconditionFailed(AppError):
    status = 412
    title = "Precondition failed"
    slug = "precondition-failed"


class PayloadTooLarge(AppError):
    status = 413
    title = "Request body too large"
    slug = "payload-too-large"


class PreconditionRequired(AppError):
    status = 428
    title = "Precondition required"
    slug = "precondition-required"


class Unprocessable(AppError):
    status = 422
    title = "Invalid request"
    slug = "validation"


class TooManyRequests(AppError):
    status = 429
    title = "Too many requests"
    slug = "rate-limited"


class ServiceUnavailable(AppError):
    status = 503
    title = "Service unavailable"
    slug = "unavailable"


_STATUS_TITLES = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    410: ("cursor-expired", "Gone"),
    413: ("payload-too-large", "Request body too large"),
    414: ("uri-too-long", "Request target too long"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("validation", "Invalid request"),
    429: ("rate-limited", "Too many requests"),
    431: ("headers-too-large", "Request header fields too large"),
    500: ("internal", "Internal server error"),
    503: ("unavailable", "Service unavailable"),
}


def problem_type(slug: str) -> str:
    return f"https://khabar.dev/problems/{slug}"


def problem_response(status: int, *, title: str | None = None, detail: str | None = None,
                     instance: str | None = None, slug: str | None = None,
                     errors: list[dict[str, Any]] | None = None,
                     headers: dict[str, str] | None = None) -> Response:
    default_slug, default_title = _STATUS_TITLES.get(status, ("error", "Error"))
    body: dict[str, Any] = {
        "type": problem_type(slug or default_slug),
        "title": title or default_title,
        "status": status,
        "detail": detail or title or default_title,
        "instance": instance,
    }
    if errors is not None:
        body["errors"] = errors
    response_headers = {"Cache-Control": "no-store", **(headers or {})}
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_MEDIA_TYPE,
                    headers=response_headers)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [part for part in err.get("loc", ()) if isinstance(part, str | int)]
        out.append({"loc": loc, "msg": str(err.get("msg", "invalid"))})
    return out


# Driver and pool failures that mean "the database does not answer": 503, never 500.
DATABASE_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)
DATABASE_RETRY_AFTER = "5"  # seconds: a restart or a failover, not a long outage


def status_of_unhandled(exc: BaseException) -> int:
    """The status the catch-all handler answers for an exception escaping the app (what access
    logs and metrics should record)."""
    return 503 if isinstance(exc, DATABASE_UNAVAILABLE) else 500


def _outage_reason(exc: BaseException) -> str:
    """The driver's or pool's first line ("Connection refused", "database is locked", "QueuePool
    limit ... reached"): what an operator needs, never the SQL or its parameters."""
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return lines[0][:300] if lines else type(exc).__name__


def database_unavailable(path: str, exc: BaseException) -> Response:
    log.warning("database unavailable on %s: %s: %s", path, type(exc).__name__,
                _outage_reason(exc))
    return problem_response(503, detail="The database is unavailable; try again shortly",
                            instance=path, headers={"Retry-After": DATABASE_RETRY_AFTER})


def install_error_handlers(app: FastAPI) -> None:
    async def app_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AppError)
        return problem_response(exc.status, title=exc.title, detail=exc.detail,
                                instance=request.url.path, slug=exc.slug, errors=exc.errors,
                                headers=exc.headers)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else None
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No route matches {request.url.path}"
        return problem_response(exc.status_code, detail=detail, instance=request.url.path,
                                headers=dict(exc.headers or {}))

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return problem_response(422, detail="One or more inputs are invalid",
                                instance=request.url.path, errors=_validation_errors(exc))

    async def database_unavailable_error(request: Request, exc: Exception) -> Response:
        return database_unavailable(request.url.path, exc)

    async def integrity_conflict(request: Request, exc: Exception) -> Response:
        # Two writers raced for one unique value (a slug, an email) and the database refused the
        # second: a conflict the client can retry, never a 500 (and never the SQL).
        log.info("integrity conflict on %s: %s", request.url.path, type(exc).__name__)
        return problem_response(409, title="Conflict", slug="conflict",
                                detail="The change conflicts with one saved at the same time "
                                       "(e.g. a slug or email just taken); reload and retry",
                                instance=request.url.path)

    async def unexpected(request: Request, exc: Exception) -> Response:
        # Middleware that reads the database (response cache, rate limits) raises outside the
        # router, where only this catch-all handler sees it: an outage is still a 503 there.
        if isinstance(exc, DATABASE_UNAVAILABLE):
            return database_unavailable(request.url.path, exc)
        log.exception("unhandled error on %s", request.url.path)
        return problem_response(500, detail="An unexpected error occurred",
                                instance=request.url.path)

    app.add_exception_handler(AppError, app_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(sa_exc.OperationalError, database_unavailable_error)
    app.add_exception_handler(sa_exc.InterfaceError, database_unavailable_error)
    app.add_exception_handler(sa_exc.TimeoutError, database_unavailable_error)
    app.add_exception_handler(sa_exc.IntegrityError, integrity_conflict)
    app.add_exception_handler(Exception, unexpected)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the problems a route can answer."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        slug, title = _STATUS_TITLES.get(status, ("error", "Error"))
        out[status] = {
            "model": Problem,
            "description": title,
            "content": {
                PROBLEM_MEDIA_TYPE: {
                    "schema": {"$ref": "#/components/schemas/Problem"},
                    "example": {"type": problem_type(slug), "title": title, "status": status,
                                "detail": title, "instance": "/v1/..."},
                }
            },
        }
    return out
