"""A live uvicorn with a few published articles, for the clients' end-to-end flows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from app.articles.models import Article
from tests.clients.live import live_api


@dataclass
class LiveApi:
    base_url: str
    articles: list[Article]  # newest first, as the API lists them


@pytest.fixture
def live(database_url: str, make_article: Callable[..., Article]) -> Iterator[LiveApi]:
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    articles = [make_article(f"Published story {n}", published_at=now - timedelta(minutes=n))
                for n in range(1, 4)]
    make_article("A draft nobody may see", status="draft")
    with live_api(database_url) as base_url:
        yield LiveApi(base_url, articles)
