"""Liveness and readiness, including a database that does not answer."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

UNREACHABLE = "postgresql+psycopg://khabar:secret@127.0.0.1:1/khabar"
# The run's own database is set up first, so the fixture below restores its URL afterwards.
pytestmark = pytest.mark.usefixtures("database_url")


@pytest.fixture
def unreachable_client(reconfigure: Callable[..., None]) -> Iterator[TestClient]:
    """A fresh app whose database is a PostgreSQL port nobody listens on."""
    from app.main import create_app

    reconfigure(DATABASE_URL=UNREACHABLE, DATABASE_READ_URL=None)
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        yield client


def _assert_problem_503(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 503
    assert body["type"].startswith("https://")
    assert "Traceback" not in response.text
    assert "127.0.0.1" not in response.text
    assert "secret" not in response.text


class TestHealth:
    def test_healthz_needs_no_database(self, unreachable_client: TestClient) -> None:
        assert unreachable_client.get("/healthz").json() == {"status": "ok"}

    def test_readyz_ok(self, client) -> None:  # type: ignore[no-untyped-def]
        assert client.get("/readyz").json() == {"status": "ok"}


class TestDatabaseUnreachable:
    def test_readyz_answers_503_quickly(self, unreachable_client: TestClient) -> None:
        started = time.monotonic()
        response = unreachable_client.get("/readyz")
        assert time.monotonic() - started < 5
        _assert_problem_503(response)
        assert response.headers["retry-after"]

    @pytest.mark.parametrize("path", ["/v1/articles", "/v1/articles/some-slug", "/v1/authors"])
    def test_content_api_answers_503_problem(self, unreachable_client: TestClient,
                                             path: str) -> None:
        started = time.monotonic()
        response = unreachable_client.get(path)
        assert time.monotonic() - started < 5
        _assert_problem_503(response)

    def test_outage_is_counted_as_503(self, unreachable_client: TestClient) -> None:
        unreachable_client.get("/v1/articles")
        metrics = unreachable_client.get("/metrics")
        assert metrics.status_code == 200
        assert 'route="/v1/articles",status="503"' in metrics.text
