"""The OpenAPI document: committed copy in step with the code, every operation documented, and
the Content API's answers conforming to it (schemathesis, against real data)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.articles.models import Article
from app.core.config import Settings, get_settings

COMMITTED = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


@pytest.fixture
def document(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The document as `khabar openapi export` writes it: with the default server URL, not the
    one the test run configures."""
    from app.main import create_app

    monkeypatch.setenv("KHABAR_PUBLIC_BASE_URL", Settings.model_fields["public_base_url"].default)
    get_settings.cache_clear()
    try:
        yield create_app().openapi()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, item[method])
        for path, item in doc["paths"].items()
        for method in METHODS
        if method in item
    ]


def test_committed_document_is_current(document: dict[str, Any]) -> None:
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert json.dumps(committed, sort_keys=True) == json.dumps(document, sort_keys=True), (
        "openapi/openapi.json is stale: run `.venv/bin/khabar openapi export`"
    )


def test_every_operation_is_documented(document: dict[str, Any]) -> None:
    ids = []
    for method, path, op in operations(document):
        where = f"{method.upper()} {path}"
        assert op.get("summary"), where
        assert op.get("operationId"), where
        assert op["operationId"][0].islower(), where
        assert "_" not in op["operationId"], where
        assert op.get("tags"), where
        assert op.get("description"), where  # the route's docstring
        ok = {code: r for code, r in op["responses"].items() if str(code).startswith("2")}
        assert ok, where
        assert any(r.get("content") or r.get("$ref") for r in ok.values()) or "204" in ok, where
        for response in ok.values():
            for media in (response.get("content") or {}).values():
                assert "schema" in media, where
        ids.append(op["operationId"])
    assert len(ids) == len(set(ids)), "operationIds must be unique"


def test_content_operations_are_public_gets(document: dict[str, Any]) -> None:
    content = [(m, p) for m, p, op in operations(document) if "Content" in op["tags"]]
    assert len(content) >= 12
    assert all(m == "get" for m, _ in content)


# ---- schemathesis over the Content API --------------------------------------------------------


@pytest.fixture
def content_schema(
    make_article: Callable[..., Article],
    make_section: Callable[..., Any],
    make_author: Callable[..., Any],
) -> Any:
    from app.main import create_app

    make_section("news", "News")
    make_section("opinion", "Opinion")
    author = make_author("Schema Writer", bio="Writes")
    now = datetime.now(UTC)
    for i in range(4):
        make_article(
            f"Published story {i}",
            section="news" if i % 2 else "opinion",
            tags=["nepal", f"t{i}"],
            authors=[author.slug],
            excerpt="An excerpt",
            image={"url": "https://example.com/a.jpg", "caption": "A caption"},
            published_at=now - timedelta(hours=i),
        )
    make_article("A draft", status="draft")
    app = create_app()
    return schemathesis.from_dict(app.openapi(), app=app).include(tag="Content", method="GET")


schemathesis.experimental.OPEN_API_3_1.enable()  # FastAPI writes OpenAPI 3.1
schema = schemathesis.from_pytest_fixture("content_schema")
CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_content_api_conforms(case: Any) -> None:
    # A sparse fieldset answers a subset of the documented item on purpose (the `fields`
    # parameter says so); tests/articles/test_content_api.py covers it.
    (case.query or {}).pop("fields", None)
    response = case.call()
    # JSON is UTF-8 (RFC 8259) and carries no charset; without this the client guesses one
    # from the bytes (e.g. cp932 for a slug of random CJK) and then fails to parse it.
    response.encoding = "utf-8"
    case.validate_response(response, checks=CHECKS)
