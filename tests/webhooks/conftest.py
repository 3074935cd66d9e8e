"""Webhook tests: a real receiver, and apps whose lifespan runs the sender (as `khabar serve`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from tests.syndication.conftest import make_partner  # noqa: F401  (fixture)
from tests.webhooks.receiver import Receiver

# Retries after 0.3 s (three of them) instead of minutes, and a short poll: the same code paths.
FAST = {"KHABAR_WEBHOOK_WORKER": "true", "KHABAR_WEBHOOK_RETRY_SCHEDULE": "0.3,0.3,0.3",
        "KHABAR_WEBHOOK_POLL_SECONDS": "0.2"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    server = receiver.serve()
    yield receiver
    server.should_exit = True


@pytest.fixture
def sending_app(configure: Callable[..., FastAPI]) -> Callable[..., FastAPI]:
    """sending_app(**env) -> an app whose lifespan runs a webhook sender (fast schedule)."""

    def build(**env: Any) -> FastAPI:
        return configure(**{**FAST, **env})

    return build
