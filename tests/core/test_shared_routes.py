"""Every app of a process serves the same prepared routes (`app/api.py`), each resolving their
dependencies with its own overrides."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient

from app.api import API
from app.articles.models import Article
from app.core.db import utcnow
from app.core.listing import now
from app.main import create_app


def test_each_app_serves_the_shared_routes_with_its_own_overrides(
        make_article: Callable[..., Article]) -> None:
    article = make_article("Due tomorrow", status="scheduled",
                           published_at=utcnow() + timedelta(days=1))
    url = f"/v1/articles/{article.slug}"
    later, plain = create_app(), create_app()
    later.dependency_overrides[now] = lambda: utcnow() + timedelta(days=2)
    for app in (later, plain):
        assert all(any(route is shared for route in app.routes) for shared in API.routes)
    with TestClient(later) as moved_on, TestClient(plain) as today:
        for _ in range(2):  # interleaved: one app's overrides never stay behind for the other
            assert moved_on.get(url).status_code == 200
            assert today.get(url).status_code == 404
        # The app-wide dependency comes with the shared routes.
        assert today.get("/v1/articles?limit=1&limit=2").status_code == 422
