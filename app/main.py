"""create_app(): routers, error handlers and middleware; nothing else."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from app.articles.router import router as articles_router
from app.authors.router import router as authors_router
from app.briefs.router import router as briefs_router
from app.core.config import get_settings
from app.core.errors import install_error_handlers
from app.core.middleware import BodyLimitMiddleware, RequestContextMiddleware
from app.feeds.router import router as feeds_router
from app.ops.router import router as ops_router
from app.taxonomy.router import router as taxonomy_router

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

EDITORIAL_PREFIXES = ("/v1/editorial", "/v1/auth")


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
    app = FastAPI(
        title="Khabar API",
        version="1.0.0",
        summary="A content API for newsrooms",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        license_info={"name": "MIT", "identifier": "MIT"},
        contact={"name": "Khabar maintainers", "url": "https://khabar.dev"},
        servers=[{"url": settings.public_base_url, "description": "This deployment"}],
    )
    install_error_handlers(app)
    for router in (ops_router, articles_router, authors_router, briefs_router, taxonomy_router,
                   feeds_router):
        app.include_router(router)
    # Added innermost first: RequestContext wraps everything, so even a 413 carries its headers.
    app.add_middleware(GZipMiddleware, minimum_size=860)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(SurfaceCORS)
    app.add_middleware(RequestContextMiddleware)
    return app
