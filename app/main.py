"""create_app(): routers, error handlers and middleware; nothing else."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from app.articles.editorial_router import router as editorial_articles_router
from app.articles.router import router as articles_router
from app.authors.editorial_router import router as editorial_authors_router
from app.authors.router import router as authors_router
from app.briefs.editorial_router import router as editorial_briefs_router
from app.briefs.router import router as briefs_router
from app.core.cache import ResponseCacheMiddleware
from app.core.config import get_settings
from app.core.errors import install_error_handlers
from app.core.logging import AccessLogMiddleware
from app.core.middleware import BodyLimitMiddleware, RequestContextMiddleware
from app.core.openapi import install_openapi, unique_operation_id
from app.core.ratelimit import RateLimiter, RateLimitMiddleware
from app.feeds.router import router as feeds_router
from app.ops.metrics import record_request
from app.ops.router import router as ops_router
from app.partners.router import router as partners_router
from app.syndication.router import router as syndication_router
from app.taxonomy.editorial_router import router as editorial_taxonomy_router
from app.taxonomy.router import router as taxonomy_router
from app.users.router import auth_router
from app.users.router import router as users_router

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

EDITORIAL_PREFIXES = ("/v1/editorial", "/v1/auth/")  # not "/v1/auth": /v1/authors is public


class SurfaceCORS:
    """CORS per surface: public reads default to any origin (no credentials); the Editorial API
    to no cross-origin caller unless `KHABAR_EDITORIAL_CORS_ORIGINS` names its CMS."""

    def __init__(self, app: ASGIApp) -> None:
        s = get_settings()
        self.app = app
        self.public = CORSMiddleware(app, allow_origins=s.cors_origins, allow_methods=["GET", "HEAD"],
                                     allow_headers=["If-None-Match", "If-Modified-Since", "X-Request-ID",
                                                    "Authorization", "X-API-Key"],
                                     expose_headers=["ETag", "Last-Modified", "Link", "X-Request-ID",
                                                     "RateLimit-Limit", "RateLimit-Remaining",
                                                     "RateLimit-Reset", "Retry-After"],
                                     max_age=600)
        self.editorial = CORSMiddleware(app, allow_origins=s.editorial_cors_origins,
                                        allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
                                        allow_headers=["Authorization", "Content-Type", "If-Match",
                                                       "X-Request-ID"],
                                        expose_headers=["ETag", "Location", "X-Request-ID"],
                                        allow_credentials=False, max_age=600)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(EDITORIAL_PREFIXES):
            await self.editorial(scope, receive, send)
        else:
            await self.public(scope, receive, send)


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
    )
    install_error_handlers(app)
    install_openapi(app)
    for router in (ops_router, articles_router, authors_router, briefs_router, taxonomy_router,
                   feeds_router, auth_router, users_router, editorial_articles_router,
                   editorial_authors_router, editorial_briefs_router, editorial_taxonomy_router,
                   partners_router, syndication_router):
        app.include_router(router)
    # Added innermost first: RequestContext wraps everything, so even a 413 carries its headers.
    app.add_middleware(GZipMiddleware, minimum_size=860)
    if settings.response_cache:
        app.add_middleware(ResponseCacheMiddleware, entries=settings.response_cache_entries,
                           overrides=app.dependency_overrides)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    # Outside the response cache (cached answers count too), inside CORS (a 429 stays readable).
    app.state.rate_limiter = RateLimiter.from_settings(settings)
    app.add_middleware(RateLimitMiddleware, limiter=app.state.rate_limiter,
                       trusted_proxies=settings.trusted_proxies)
    app.add_middleware(SurfaceCORS)
    # Inside RequestContext (it logs the request id); times each request once for logs and metrics.
    app.add_middleware(AccessLogMiddleware, observers=[record_request])
    app.add_middleware(RequestContextMiddleware)
    return app
