"""OWASP API9:2023 Improper Inventory Management.

Asserted:

* The inventory is complete both ways: every route the app serves is an operation of the
  committed openapi/openapi.json, and every operation there is served; the only routes outside
  the document are the documentation itself (`/openapi.json`, `/docs`, `/docs/oauth2-redirect`,
  `/redoc` and the static assets under `/docs/static`).
* The document says who may call each operation, and says what the route table of this suite
  enforces: Content and operations are `security: []`, the Editorial API the OAuth2 password
  bearer (logging in itself excepted), the Syndication API the partner key (bearer or
  `X-API-Key`); every operation carries the tag of its surface.
* Nothing else answers: other API versions, unversioned or `/api`-prefixed copies, debug,
  admin, status and configuration paths, dotfiles, other frameworks' documentation, and path
  traversal out of the static documentation assets are all 404 problems.

That the committed document matches the code: tests/test_openapi.py
`test_committed_document_is_current`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.security.runner import route_keys
from tests.security.table import TABLE

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
DOCUMENTATION = {"GET /openapi.json", "GET /docs", "GET /docs/oauth2-redirect", "GET /redoc",
                 "MOUNT /docs/static"}
METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")


def committed_operations() -> dict[str, dict[str, Any]]:
    doc = json.loads(COMMITTED.read_text())
    return {f"{method.upper()} {path}": op for path, item in doc["paths"].items()
            for method, op in item.items() if method in METHODS}


def test_every_served_route_is_documented_and_every_documented_one_served(app: FastAPI) -> None:
    served = route_keys(app)
    documented = set(committed_operations())
    assert served - documented == DOCUMENTATION
    assert documented - served == set()


def _schemes(op: dict[str, Any]) -> set[str]:
    return {name for requirement in op.get("security", []) for name in requirement}


def test_the_document_says_who_may_call_each_operation() -> None:
    wrong = []
    for key, op in committed_operations().items():
        gate = TABLE[key].gate
        schemes = _schemes(op)
        expected = {"public": set(), "login": set(), "partner": {"partnerKey", "partnerBearer"}
                    }.get(gate, {"OAuth2Password"})
        if schemes != expected:
            wrong.append(f"{key}: security {sorted(schemes)}, the table's gate is {gate}")
        path = key.split(" ", 1)[1]
        tag = ("Editorial" if path.startswith(("/v1/editorial", "/v1/auth/")) else
               "Syndication" if path.startswith("/v1/syndication") else
               # Image renditions: the Content API's images, outside /v1 for short URLs.
               "Content" if path.startswith(("/v1/", "/media/")) else "Operations")
        if op.get("tags") != [tag]:
            wrong.append(f"{key}: tags {op.get('tags')}, expected [{tag}]")
    assert not wrong, "\n".join(wrong)


SHADOW_PATHS = [
    "/v0/articles", "/v2/articles", "/v1.1/articles", "/api/v1/articles", "/api/articles",
    "/articles", "/v1/articles.json", "/v1/Articles", "/V1/articles", "/v1/internal/articles",
    "/v1/admin", "/admin", "/v1/editorial/debug", "/debug", "/debug/vars", "/debug/pprof",
    "/_debug", "/__debug__/", "/server-status", "/status", "/health", "/actuator/health",
    "/actuator/env", "/config", "/settings", "/env", "/.env", "/.git/config", "/.git/HEAD",
    "/.well-known/security.txt.bak", "/swagger.json", "/swagger-ui.html", "/swagger/index.html",
    "/api-docs", "/v3/api-docs", "/graphql", "/graphiql", "/console", "/phpinfo.php",
    "/wp-admin/", "/v1/editorial/users/me/../../../etc/passwd",
    "/docs/static/../../app/main.py", "/docs/static/%2e%2e/%2e%2e/app/core/config.py",
    "/docs/static/..%2f..%2fpyproject.toml", "/docs/static/%2e%2e%2f%2e%2e%2f.env",
    "/docs/static//etc/passwd", "/docs/static/.%2e/.%2e/README.md",
]


@pytest.mark.parametrize("path", SHADOW_PATHS)
def test_nothing_else_answers(client: TestClient, path: str) -> None:
    for method in ("GET", "POST"):
        response = client.request(method, path, follow_redirects=False)
        assert response.status_code in (404, 405), (method, response.status_code)
        assert response.headers["content-type"] == "application/problem+json"
        assert "KHABAR_" not in response.text
        assert "[tool." not in response.text  # pyproject.toml
        assert "create_app" not in response.text  # the app's source
