"""The OpenAPI document: committed copy in step with the code, and every operation documented.
Answers conforming to it, for every operation: tests/fuzz (schemathesis)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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
