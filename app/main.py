"""create_app(): routers, error handlers and middleware; nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from app.api import DEPENDENCIES, serve_api
from app.changelog.lifespan import changelog_lifespan
from app.changelog.signal import listener
from app.core.cache import ResponseCache
from app.core.config import Settings, get_settings
from app.core.edge import EdgeMiddleware
from app.core.errors import install_error_handlers
from app.core.middleware import GZipExceptImages
from app.core.openapi import install_openapi, unique_operation_id
from app.core.protocol import HttpSemanticsMiddleware
from app.core.ratelimit import RateLimiter
from app.ops.metrics import record_request
from app.partners.usage import UsageMeter, metering
from app.webhooks.sender import running_sender

DESCRIPTION = """Khabar serves a newsroom's articles, authors and briefs as JSON.

* **Content**: public, read-only, cacheable (ETag, 304, Surrogate-Key), keyset-paginated.
* **Editorial**: the newsroom's CMS API; bearer JWT from `POST /v1/auth/token`.
* **Syndication**: full text and an exact change feed for partners; partner API key.

Every error is an RFC 9457 `application/problem+json` document.
"""

TAGS = [
    {"name": "Content", "description": "Public reads for web and mobile frontends and feed "
     "readers. No auth; rate-limited per client IP; only published content."},
    {"name": "Editorial", "description": "The newsroom's CMS API: drafts, publishing, revisions. "
     "Bearer JWT; roles writer, editor, admin; `If-Match` on every change."},
    {"name": "Syndication", "description": "Full-text content, ninjs and an exact change feed for "
     "partner publishers. Partner API key; per-key rate limits."},
    {"name": "Operations", "description": "Health, readiness and metrics for operators."},
]

@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """What runs beside the requests: the scheduled-publication sweep and long-poll listener
    (app/changelog), webhook delivery (app/webhooks) and partner usage writes
    (app/partners/usage.py)."""
    async with changelog_lifespan(app), running_sender(app), metering(app):
        yield


def pushes_its_commits(settings: Settings) -> bool:
    """Whether the database the cache reads tells each process of every commit: a PostgreSQL
    primary (a replica's state moves when it replays a write, not at the commit)."""
    return settings.database_url.startswith("postgresql") and not settings.database_read_url


def create_app() -> FastAPI:
    settings = get_settings()
    # Swagger UI and ReDoc assets served by the app itself: /docs works with no CDN reachable.
    app = FastAPIOffline(
        static_url="/docs/static",
        title="Khabar API",
        version="1.0.0",
        summary="A content API for newsrooms",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        license_info={"name": "MIT", "identifier": "MIT"},
        contact={"name": "Khabar maintainers", "url": "https://khabar.dev"},
        servers=[{"url": settings.public_base_url, "description": "This deployment"}],
        generate_unique_id_function=unique_operation_id,
        dependencies=DEPENDENCIES,
        lifespan=lifespan,
    )
    install_error_handlers(app)
    install_openapi(app)
    serve_api(app)
    # Feeds, docs and editorial answers are compressed here; public reads bring their own gzip
    # (with its own ETag) and cache hits never reach this layer.
    app.add_middleware(GZipExceptImages, minimum_size=860)
    app.state.rate_limiter = RateLimiter.from_settings(settings)
    app.state.usage_meter = UsageMeter()
    app.state.response_cache = (
        ResponseCache(max_bytes=settings.response_cache_mb * 1024 * 1024,
                      overrides=app.dependency_overrides,
                      pushed=listener.pushed_generation if pushes_its_commits(settings)
                      else None)
        if settings.response_cache else None)
    # One layer for request ids, security headers, sizes, CORS, rate limits, body limits, the
    # response cache, access logs and metrics (see app/core/edge.py for the order).
    app.add_middleware(EdgeMiddleware, settings=settings, limiter=app.state.rate_limiter,
                       cache=app.state.response_cache, observers=[record_request])
    # Outermost: HEAD as GET without a body, and `Accept-Encoding` weights, for every layer.
    app.add_middleware(HttpSemanticsMiddleware)
    return app
