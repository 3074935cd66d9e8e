"""create_app(): routers, error handlers and middleware; nothing else."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi_offline import FastAPIOffline

from app.articles.editorial_router import router as editorial_articles_router
from app.articles.router import router as articles_router
from app.authors.editorial_router import router as editorial_authors_router
from app.authors.router import router as authors_router
from app.briefs.editorial_router import router as editorial_briefs_router
from app.briefs.router import router as briefs_router
from app.core.cache import ResponseCache
from app.core.config import get_settings
from app.core.edge import EdgeMiddleware
from app.core.errors import install_error_handlers
from app.core.middleware import GZipExceptImages
from app.core.openapi import install_openapi, unique_operation_id
from app.core.query_params import single_valued_query
from app.core.ratelimit import RateLimiter
from app.feeds.router import router as feeds_router
from app.media.editorial_router import router as editorial_media_router
from app.media.router import router as media_router
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
        dependencies=[Depends(single_valued_query)],
    )
    install_error_handlers(app)
    install_openapi(app)
    for router in (ops_router, articles_router, authors_router, briefs_router, taxonomy_router,
                   feeds_router, auth_router, users_router, editorial_articles_router,
                   editorial_authors_router, editorial_briefs_router, editorial_taxonomy_router,
                   partners_router, syndication_router, editorial_media_router, media_router):
        app.include_router(router)
    # Feeds, docs and editorial answers are compressed here; public reads bring their own gzip
    # (with its own ETag) and cache hits never reach this layer.
    app.add_middleware(GZipExceptImages, minimum_size=860)
    app.state.rate_limiter = RateLimiter.from_settings(settings)
    app.state.response_cache = (
        ResponseCache(entries=settings.response_cache_entries, overrides=app.dependency_overrides)
        if settings.response_cache else None)
    # One layer for request ids, security headers, sizes, CORS, rate limits, body limits, the
    # response cache, access logs and metrics (see app/core/edge.py for the order).
    app.add_middleware(EdgeMiddleware, settings=settings, limiter=app.state.rate_limiter,
                       cache=app.state.response_cache, observers=[record_request])
    return app
