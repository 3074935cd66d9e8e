"""CORS preflights answered by the edge (app/core/edge.py): an allowed one gets the policy's
headers; a refused one is a 400 problem naming what was refused, with no `Access-Control-*`
header, so a browser sees no grant at all."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from app.core.config import get_settings
from app.main import create_app

CMS = "https://cms.example"
EVIL = "https://evil.example"
PUBLIC_URL = "/v1/articles"
EDITORIAL_URL = "/v1/editorial/articles"

ClientFactory = Callable[..., TestClient]


@pytest.fixture
def client_with(monkeypatch: pytest.MonkeyPatch) -> Iterator[ClientFactory]:
    """A client of an app built under extra settings. Preflights never reach the database."""

    def build(**env: str) -> TestClient:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        return TestClient(create_app(), raise_server_exceptions=False)

    yield build
    get_settings.cache_clear()


def preflight(client: TestClient, url: str, origin: str, method: str,
              headers: str | None = None) -> httpx.Response:
    request_headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers is not None:
        request_headers["Access-Control-Request-Headers"] = headers
    return client.options(url, headers=request_headers)


def assert_refused(response: httpx.Response, *named: str) -> str:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert not [h for h in response.headers if h.lower().startswith("access-control-")]
    assert response.headers["x-request-id"]
    assert response.headers["x-content-type-options"] == "nosniff"
    body = response.json()
    assert body["title"] == "CORS preflight rejected"
    assert body["status"] == 400
    assert body["type"].endswith("/cors-preflight-rejected")
    for part in named:
        assert part in body["detail"], (part, body["detail"])
    return body["detail"]


class TestRefusedPreflights:
    def test_a_method_the_public_api_does_not_allow(self, client_with: ClientFactory) -> None:
        detail = assert_refused(preflight(client_with(), PUBLIC_URL, EVIL, "DELETE"),
                                "public API", "'DELETE'", "GET, HEAD")
        assert "origin" not in detail  # the public API allows any origin

    def test_a_header_the_public_api_does_not_allow(self, client_with: ClientFactory) -> None:
        response = preflight(client_with(), PUBLIC_URL, EVIL, "GET",
                             "If-None-Match, X-Tracking-Id")
        detail = assert_refused(response, "'X-Tracking-Id'")
        assert "If-None-Match" not in detail

    def test_an_origin_the_editorial_api_does_not_allow(self, client_with: ClientFactory) -> None:
        detail = assert_refused(preflight(client_with(), EDITORIAL_URL, EVIL, "POST"),
                                "Editorial API", "this origin")
        assert EVIL not in detail  # a caller-chosen origin is not echoed back

    def test_every_refused_part_is_named(self, client_with: ClientFactory) -> None:
        client = client_with(KHABAR_EDITORIAL_CORS_ORIGINS=CMS)
        response = preflight(client, EDITORIAL_URL, EVIL, "TRACE", "Authorization, X-Evil")
        assert_refused(response, "this origin", "'TRACE'", "'X-Evil'")

    def test_the_cms_origin_with_a_header_it_may_not_send(
            self, client_with: ClientFactory) -> None:
        client = client_with(KHABAR_EDITORIAL_CORS_ORIGINS=CMS)
        detail = assert_refused(preflight(client, EDITORIAL_URL, CMS, "PATCH", "X-Evil"),
                                "'X-Evil'")
        assert "origin" not in detail


class TestAllowedPreflights:
    def test_public_read(self, client_with: ClientFactory) -> None:
        response = preflight(client_with(), PUBLIC_URL, EVIL, "GET", "If-None-Match")
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "*"

    def test_the_cms_origin(self, client_with: ClientFactory) -> None:
        client = client_with(KHABAR_EDITORIAL_CORS_ORIGINS=CMS)
        response = preflight(client, EDITORIAL_URL, CMS, "PATCH", "Authorization, If-Match")
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == CMS
        assert "access-control-allow-credentials" not in response.headers


def test_the_starlette_calls_the_edge_relies_on() -> None:
    """The edge applies Starlette's CORS policy through methods its docs do not cover
    (`is_allowed_origin`, `preflight_response`, `send` and the policy's attributes; see
    `edge.surface_cors`): a Starlette upgrade that renames or reshapes them fails here, by
    name, before the behaviour tests above fail in stranger ways."""
    import inspect

    from starlette.middleware.cors import CORSMiddleware

    def parameters(method: Callable[..., object]) -> list[str]:
        return list(inspect.signature(method).parameters)

    assert parameters(CORSMiddleware.send) == ["self", "message", "send", "request_headers"]
    assert parameters(CORSMiddleware.preflight_response) == ["self", "request_headers"]
    assert parameters(CORSMiddleware.is_allowed_origin) == ["self", "origin"]
    policy = CORSMiddleware(None,  # type: ignore[arg-type]  # never called as an app
                            allow_methods=["GET"], allow_headers=["X-Request-ID"])
    assert policy.allow_methods == ["GET"]
    assert "x-request-id" in policy.allow_headers
    assert policy.allow_all_headers is False
