"""A query parameter that takes one value, given twice, is a 422 naming it on every operation;
the array-typed ones (`tag`) still take each value (app/core/query_params.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.syndication.conftest import PartnerMaker


def _operations() -> list[tuple[str, str, str]]:
    """(method, path, parameter) for every single-valued query parameter in the document."""
    document = create_app().openapi()
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for param in operation.get("parameters", []):
                if "$ref" in param:  # "#/components/parameters/<name>"
                    param = document["components"]["parameters"][param["$ref"].rsplit("/", 1)[1]]
                schema = param.get("schema", {})
                is_array = schema.get("type") == "array" or any(
                    s.get("type") == "array" for s in schema.get("anyOf", []))
                if param["in"] == "query" and not is_array:
                    found.append((method.upper(), path, param["name"]))
    return found


OPERATIONS = _operations()


def test_the_document_has_such_parameters() -> None:
    assert len(OPERATIONS) > 30
    assert ("GET", "/v1/articles", "limit") in OPERATIONS
    assert ("GET", "/v1/articles", "tag") not in OPERATIONS  # an array: repeatable


@pytest.mark.parametrize(("method", "path", "name"), OPERATIONS,
                         ids=[f"{m} {p} {n}" for m, p, n in OPERATIONS])
def test_repeated_single_valued_parameter_is_refused(
        client: TestClient, auth_headers: Callable[..., dict[str, str]],
        make_partner: PartnerMaker, method: str, path: str, name: str) -> None:
    if path.startswith("/v1/syndication"):
        headers = make_partner()[1]
    elif path.startswith(("/v1/editorial", "/v1/partners", "/v1/users", "/v1/auth")):
        headers = auth_headers("admin")
    else:
        headers = {}
    url = path.replace("{", "").replace("}", "")  # any value fills a path parameter
    # The last value is a valid one for most parameters: it must not win over the first.
    response = client.request(method, url, params=[(name, "not valid"), (name, "1")],
                              headers=headers)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert {"loc": ["query", name],
            "msg": "given more than once; this parameter takes one value"} in problem["errors"]


def test_percent_encoded_names_count_as_the_same(client: TestClient) -> None:
    response = client.get("/v1/articles?%6Cimit=3&limit=4")
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "limit"]


def test_distinct_parameters_and_repeated_tags_still_work(
        client: TestClient, make_article: Callable[..., Any]) -> None:
    both = make_article("Both tags", tags=["floods", "monsoon"])
    make_article("One tag", tags=["floods"])
    response = client.get("/v1/articles", params=[("tag", "floods"), ("tag", "monsoon"),
                                                   ("limit", "5"), ("fields", "id,title")])
    assert response.status_code == 200, response.text
    assert [a["id"] for a in response.json()["data"]] == [both.id]


def test_a_refused_write_changes_nothing(
        client: TestClient, auth_headers: Callable[..., dict[str, str]]) -> None:
    editor = auth_headers("editor")
    created = client.post("/v1/editorial/briefs", headers=editor,
                          json={"headline": "Rivers rise", "date": "2026-11-28"})
    assert created.status_code == 201, created.text
    refused = client.put("/v1/editorial/briefs/order?date=2026-11-28&date=2026-11-27",
                         headers=editor, json={"ids": []})
    assert refused.status_code == 422
    listed = client.get("/v1/editorial/briefs?date=2026-11-28", headers=editor)
    assert [b["id"] for b in listed.json()["data"]] == [created.json()["id"]]
