"""Polish FastAPI's generated OpenAPI document into what client generators and linters expect.

Routers declare what they know (summaries, operation ids, problem statuses). Rules that hold for
every route live here, so a route added tomorrow gets them too: public operations say they need no
auth, every operation documents the `4XX` problems any request can meet, problems are served as
`application/problem+json` only, discriminated unions name their tag as required, parameters are
never null (nor `const`), and every response body has an example.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from app.core.errors import PROBLEM_MEDIA_TYPE, problem_type
from app.core.surfaces import is_editorial

PROBLEM_REF = "#/components/schemas/Problem"
MAX_REF_DEPTH = 10
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_FORMAT_EXAMPLES = {
    "date-time": "2021-03-14T03:13:00Z",
    "date": "2021-03-14",
    "uri": "https://example.com/",
    "email": "editor@example.com",
    "uuid": "0f3c9a52-8d7e-4b1a-9c3e-2f6d5b4a1c0e",
}


def unique_operation_id(route: APIRoute) -> str:
    """camelCase from the endpoint's name (`list_articles` -> `listArticles`): readable method
    names in generated clients for any route that forgot its explicit `operation_id`."""
    head, *rest = route.name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def install_openapi(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = polish(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override


# Public and partner reads answer conditional requests (app/core/http.py `respond`); the
# Editorial API's reads are private and not revalidated.
CONDITIONAL_PARAMETERS = {
    "IfNoneMatch": {"name": "If-None-Match", "in": "header", "required": False,
                    "description": "An `ETag` from an earlier answer: `304` if it still matches",
                    "schema": {"type": "string"}, "example": '"3f2a9c1d0b7e"'},
    "IfModifiedSince": {"name": "If-Modified-Since", "in": "header", "required": False,
                        "description": "A `Last-Modified` date: `304` if nothing changed since",
                        "schema": {"type": "string"}, "example": "Sun, 14 Mar 2021 03:13:00 GMT"},
}
VALIDATOR_HEADERS = {
    "ETag": {"description": "Strong validator; send it back as `If-None-Match`",
             "schema": {"type": "string"}},
    "Cache-Control": {"description": "How long caches may keep the answer",
                      "schema": {"type": "string"}},
}
NOT_MODIFIED = {"description": "Not modified: the copy named by `If-None-Match` / "
                "`If-Modified-Since` is current (no body)",
                "headers": {"ETag": {"$ref": "#/components/headers/ETag"}}}


def is_conditional(method: str, path: str) -> bool:
    return method == "get" and path.startswith("/v1/") and not is_editorial(path)


def polish(doc: dict[str, Any]) -> dict[str, Any]:
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    _require_discriminators(schemas)
    for path, item in doc.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                if is_conditional(method, path):
                    _conditional(item[method], components)
                _polish_operation(item[method], path, schemas)
    return doc


def _conditional(op: dict[str, Any], components: dict[str, Any]) -> None:
    components.setdefault("parameters", {}).update(CONDITIONAL_PARAMETERS)
    components.setdefault("headers", {}).update(VALIDATOR_HEADERS)
    op.setdefault("parameters", []).extend(
        {"$ref": f"#/components/parameters/{name}"} for name in CONDITIONAL_PARAMETERS)
    responses = op.setdefault("responses", {})
    if "200" in responses:
        responses["200"].setdefault("headers", {}).update(
            {name: {"$ref": f"#/components/headers/{name}"} for name in VALIDATOR_HEADERS})
        responses.setdefault("304", NOT_MODIFIED)


def _polish_operation(op: dict[str, Any], path: str, schemas: dict[str, Any]) -> None:
    # An operation without `security` inherits none at the top level; saying so explicitly tells
    # linters and readers it is public on purpose.
    op.setdefault("security", [])
    for parameter in op.get("parameters", []):
        _without_null(parameter.get("schema"))
        _const_as_enum(parameter.get("schema"))
    responses = op.setdefault("responses", {})
    for status, response in responses.items():
        _problems_as_problem_json(response)
        for media in response.get("content", {}).values():
            if "example" in media and "schema" in media:
                _restore_nulls(media["example"], media["schema"], schemas)
            if "example" not in media and "examples" not in media and "schema" in media:
                media["example"] = example_for(media["schema"], schemas)
                if isinstance(media["example"], dict) and status[:1] in "45" and \
                        media["schema"].get("$ref") == PROBLEM_REF:
                    media["example"]["instance"] = path
    if not any(str(code)[:1] == "4" for code in responses):
        responses["4XX"] = {
            "description": "A problem with the request (e.g. unknown route, rate limit)",
            "content": {PROBLEM_MEDIA_TYPE: {
                "schema": {"$ref": PROBLEM_REF},
                "example": {"type": problem_type("rate-limited"), "title": "Too many requests",
                            "status": 429, "detail": "Rate limit exceeded; retry later",
                            "instance": path},
            }},
        }


def _restore_nulls(example: Any, schema: dict[str, Any], schemas: dict[str, Any],
                   depth: int = 0) -> None:
    """FastAPI writes the document with `exclude_none`, which drops every null from the routes'
    response examples too (`"disabled_reason": None` vanishes), so an example would lack
    required properties. Put back a null for each required property the schema lets be null."""
    if depth > MAX_REF_DEPTH or not isinstance(schema, dict):
        return
    if "$ref" in schema:
        target = schemas.get(schema["$ref"].rsplit("/", 1)[-1])
        _restore_nulls(example, target or {}, schemas, depth + 1)
        return
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", []):
        _restore_nulls(example, branch, schemas, depth + 1)
    if isinstance(example, list):
        for item in example:
            _restore_nulls(item, schema.get("items", {}), schemas, depth + 1)
        return
    if not isinstance(example, dict):
        return
    properties = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in example and _nullable(properties.get(name, {})):
            example[name] = None
    for name, value in example.items():
        if name in properties:
            _restore_nulls(value, properties[name], schemas, depth + 1)


def _nullable(schema: dict[str, Any]) -> bool:
    branches = schema.get("anyOf", []) + schema.get("oneOf", [])
    return schema.get("type") == "null" or {"type": "null"} in branches or \
        (isinstance(schema.get("type"), list) and "null" in schema["type"])


def _without_null(schema: dict[str, Any] | None) -> None:
    """FastAPI writes an optional parameter (`str | None = None`) as `anyOf: [string, null]`,
    but a query string, header or path cannot carry JSON null: a parameter is optional by being
    left out (`required: false`). Tools that believe the `null` branch send the text `null`."""
    branches = (schema or {}).get("anyOf")
    if not schema or not branches or {"type": "null"} not in branches:
        return
    rest = [b for b in branches if b != {"type": "null"}]
    del schema["anyOf"]
    if len(rest) == 1:
        schema.update({**rest[0], **schema})
    else:
        schema["anyOf"] = rest


def _const_as_enum(schema: dict[str, Any] | None) -> None:
    """`Literal["body"]` becomes `const: body`, which tools written for OpenAPI 3.0 ignore (they
    then send any text); a one-value `enum` says the same to every tool."""
    if schema and "const" in schema:
        schema["enum"] = [schema.pop("const")]


def _problems_as_problem_json(response: dict[str, Any]) -> None:
    content = response.get("content", {})
    plain = content.get("application/json")
    if plain and plain.get("schema", {}).get("$ref") == PROBLEM_REF:
        content.pop("application/json")
        content.setdefault(PROBLEM_MEDIA_TYPE, plain)


def _require_discriminators(schemas: dict[str, Any]) -> None:
    """Pydantic needs the tag of a discriminated union on input, but its JSON schema lists the
    tag as optional when it has a default; client generators then cannot narrow the union."""

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            disc = node.get("discriminator")
            if isinstance(disc, dict):
                for ref in disc.get("mapping", {}).values():
                    target = schemas.get(ref.rsplit("/", 1)[-1])
                    if target is not None:
                        required = target.setdefault("required", [])
                        if disc["propertyName"] not in required:
                            required.append(disc["propertyName"])
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(schemas)


def example_for(schema: dict[str, Any], schemas: dict[str, Any], depth: int = 0) -> Any:
    """A plausible value for a JSON schema: its own examples first, else a placeholder of the
    right type and format. Linters validate the result against the schema, so a wrong guess
    fails the build instead of misleading a reader."""
    resolve: Callable[[dict[str, Any]], Any] = lambda s: example_for(s, schemas, depth)  # noqa: E731
    if "$ref" in schema:
        # Depth counts references followed, which bounds recursive schemas.
        target = schemas.get(schema["$ref"].rsplit("/", 1)[-1], {})
        return example_for(target, schemas, depth + 1) if depth < MAX_REF_DEPTH else None
    for key in ("examples", "enum"):
        if schema.get(key):
            return schema[key][0]
    for key in ("example", "const"):
        if key in schema:
            return schema[key]
    if schema.get("default") is not None:
        return schema["default"]
    for key in ("oneOf", "anyOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return resolve(options[0])
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = resolve(part)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        return {name: resolve(sub) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        item = resolve(schema.get("items", {}))
        return [item] * max(1, schema.get("minItems", 1))
    if kind == "integer":
        return max(schema.get("minimum", 1), schema.get("exclusiveMinimum", 0) + 1)
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    if kind == "string":
        if schema.get("format") in _FORMAT_EXAMPLES:
            return _FORMAT_EXAMPLES[schema["format"]]
        text = re.sub(r"\W+", "-", str(schema.get("title", "text")).lower()).strip("-") or "text"
        return text.ljust(schema.get("minLength", 0), "x")[: schema.get("maxLength", 200)]
    return None
