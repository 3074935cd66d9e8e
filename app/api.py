"""Every route of the API, included once per process into `API`, whose routes each app serves.

FastAPI prepares each route (its dependency analysis, the pydantic adapters of its parameters and
responses) for every app that includes it, on the app's first requests: 30-80 ms for this API's
107 routes. A server builds one app per process and pays it once; the test suite builds one app
per test, and it was a fifth of the suite's CPU. Included here, the routes are prepared once per
process, and every app of the process serves the same ones (`serve_api`).

What differs between apps is their `dependency_overrides` (tests override the clock, for one).
FastAPI asks the router that included a route for them; `API` asks `_AppOverrides`, which answers
with those of the app serving the request (`serve_api` adds the layer that names them).
`APIRouter(dependency_overrides_provider=...)` is documented as FastAPI's own ("normally the
app"); no public API shares prepared routes, so tests/core/test_shared_routes.py fails loudly if
a FastAPI upgrade stops asking it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from app.articles.editorial_router import router as editorial_articles_router
from app.articles.router import router as articles_router
from app.audit.router import router as audit_router
from app.authors.editorial_router import router as editorial_authors_router
from app.authors.router import router as authors_router
from app.briefs.editorial_router import router as editorial_briefs_router
from app.briefs.router import router as briefs_router
from app.core.openapi import unique_operation_id
from app.core.query_params import single_valued_query
from app.corrections.router import router as corrections_router
from app.discovery.router import router as discovery_router
from app.feeds.router import router as feeds_router
from app.feeds.sitemaps import router as sitemaps_router
from app.media.editorial_router import router as editorial_media_router
from app.media.router import router as media_router
from app.ops.router import router as ops_router
from app.partners.router import router as partners_router
from app.previews.router import editorial_router as editorial_previews_router
from app.previews.router import router as previews_router
from app.redirects.router import router as redirects_router
from app.sync.router import router as sync_router
from app.syndication.router import router as syndication_router
from app.taxonomy.editorial_router import router as editorial_taxonomy_router
from app.taxonomy.router import router as taxonomy_router
from app.users.router import auth_router
from app.users.router import router as users_router
from app.webhooks.router import editorial_router as editorial_webhooks_router
from app.webhooks.router import syndication_router as syndication_webhooks_router

# Every route's, the app's own (its docs) included.
DEPENDENCIES = [Depends(single_valued_query)]

_serving: ContextVar[dict[Callable[..., Any], Callable[..., Any]]] = ContextVar(
    "khabar_dependency_overrides", default={})  # noqa: B039  (never mutated: read only)


class _AppOverrides:
    """The `dependency_overrides_provider` of `API`'s routes: the app serving the request's."""

    @property
    def dependency_overrides(self) -> dict[Callable[..., Any], Callable[..., Any]]:
        return _serving.get()


class _LendsOverrides:
    """A layer of each app: its `dependency_overrides` are the ones the shared routes use while
    it serves a request."""

    def __init__(self, app: ASGIApp, overrides: dict[Callable[..., Any], Callable[..., Any]]
                 ) -> None:
        self.app, self.overrides = app, overrides

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = _serving.set(self.overrides)
        try:
            await self.app(scope, receive, send)
        finally:
            _serving.reset(token)


API = APIRouter(dependencies=DEPENDENCIES, generate_unique_id_function=unique_operation_id,
                dependency_overrides_provider=_AppOverrides())
for _router in (ops_router, articles_router, authors_router, briefs_router, taxonomy_router,
                feeds_router, auth_router, users_router, editorial_articles_router,
                editorial_authors_router, editorial_briefs_router, editorial_taxonomy_router,
                partners_router, syndication_router, sync_router, editorial_webhooks_router,
                syndication_webhooks_router, redirects_router, editorial_media_router,
                media_router,
                sitemaps_router,  # /robots.txt is outside /v1
                # newsroom features (1.1)
                discovery_router, corrections_router, previews_router,
                editorial_previews_router, audit_router):
    # Nothing but routes: an included router's startup handlers or lifespan would be merged
    # into `API`'s, which no app runs.
    assert not _router.on_startup, _router
    assert not _router.on_shutdown, _router
    API.include_router(_router)


def serve_api(app: FastAPI) -> None:
    """The app routes requests through `API`'s routes, the same objects in every app, with its
    own dependency overrides."""
    app.router.routes.extend(API.routes)
    app.add_middleware(_LendsOverrides, overrides=app.dependency_overrides)
