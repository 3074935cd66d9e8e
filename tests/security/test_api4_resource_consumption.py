"""OWASP API4:2023 Unrestricted Resource Consumption.

Asserted:

* Every list is bounded: each operation answering a page (`data` array) declares `limit` with a
  maximum of at most 100, and every list route of the table refuses `limit=101` (and `limit=0`)
  with a 422 problem and never answers more than it asked for; the two lists without `limit`
  are bounded otherwise (named below). Feeds carry at most 50 items:
  tests/feeds/test_feeds.py `test_at_most_50`.
* Every request body is bounded field by field: each string of every JSON body (nested objects,
  array items and map values included) has a `maxLength` (or is an enum, a format or a
  pattern), each array a `maxItems` and each map a `maxProperties`; a value one over a bound is
  a 422, and the longest value the API accepts fits its database column (never a 500, e.g. a
  101-character tag on PostgreSQL).
* Bodies over `KHABAR_MAX_BODY_BYTES` are a 413 problem, with or without Content-Length:
  tests/test_http.py `TestBodyLimit`.
* A request target (path and query) over `KHABAR_MAX_URL_BYTES` (8 KiB) is a 414 problem, and
  headers over `KHABAR_MAX_HEADER_BYTES` (16 KiB in all) or `KHABAR_MAX_HEADER_FIELD_BYTES`
  (8 KiB in one field) a 431 problem, on every surface, through the ASGI app and through the
  served process (`khabar serve`); both bounds follow their settings.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.security.conftest import app_with
from tests.security.runner import list_routes, prepare, request_bodies, schema_nodes
from tests.security.table import TABLE
from tests.security.world import World

# Lists without `limit`, and what bounds them instead.
BOUNDED_OTHERWISE = {
    "UsageReport": "one row per UTC day (days <= 366) and Syndication route",
    "BriefDay": "one day's briefs, which a reorder names in full (ids <= 1000)",
}
# Request fields with no bound of their own, and what bounds them instead.
UNBOUNDED_FIELDS = {
    # FastAPI's OAuth2 password form: read by nobody, bounded by the body limit.
    ("POST /v1/auth/token", "scope"), ("POST /v1/auth/token", "client_id"),
    ("POST /v1/auth/token", "client_secret"),
    # The uploaded image's bytes: read up to KHABAR_MAX_UPLOAD_BYTES (413 beyond, the rest of
    # the body unread; tests/media/test_upload.py).
    ("POST /v1/editorial/media", "file"),
}


def _resolve(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _unbounded(node: dict[str, Any]) -> str | None:
    kind = node.get("type")
    if kind == "string" and not {"maxLength", "enum", "format", "pattern", "const"} & node.keys():
        return "a string without maxLength"
    if kind == "array" and "maxItems" not in node:
        return "an array without maxItems"
    if kind == "object" and isinstance(node.get("additionalProperties"), dict) \
            and "maxProperties" not in node:
        return "a map without maxProperties"
    return None


def test_every_request_body_is_bounded_field_by_field(world_app: FastAPI) -> None:
    schemas = world_app.openapi()["components"]["schemas"]
    found, checked = [], 0
    for key, schema in request_bodies(world_app):
        for path, node in schema_nodes(schema, schemas, ""):
            checked += 1
            if (problem := _unbounded(node)) and (key, path) not in UNBOUNDED_FIELDS:
                found.append(f"{key} {path or '(body)'}: {problem}")
    assert checked > 150
    assert not found, "\n".join(found)


def test_every_page_declares_a_bounded_limit(world_app: FastAPI) -> None:
    doc = world_app.openapi()
    schemas = doc["components"]["schemas"]
    pages, wrong = 0, []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            content = op.get("responses", {}).get("200", {}).get("content", {})
            ref = content.get("application/json", {}).get("schema", {})
            body = _resolve(ref, schemas)
            if _resolve(body.get("properties", {}).get("data", {}), schemas).get("type") != "array":
                continue
            pages += 1
            limit = next((p for p in op.get("parameters", []) if p.get("name") == "limit"), None)
            name = ref.get("$ref", "").rsplit("/", 1)[-1]
            if limit is None and name not in BOUNDED_OTHERWISE:
                wrong.append(f"{method.upper()} {path}: a list without `limit`")
            elif limit is not None and not 0 < limit["schema"].get("maximum", 10**9) <= 100:
                wrong.append(f"{method.upper()} {path}: limit up to {limit['schema']}")
    assert pages >= 17
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("key", "credential"), list_routes())
def test_page_size_is_capped_on_every_list(world: World, world_client: TestClient, key: str,
                                           credential: str) -> None:
    target = "-" if "-" in TABLE[key].expect else next(iter(TABLE[key].expect))
    for limit, status in (("101", 422), ("0", 422), ("1000000", 422), ("1", 200)):
        call = prepare(world, key, target, credential, extra_query=f"limit={limit}")
        response = call.send(world_client)
        if key == "GET /v1/syndication/usage":  # no pages: `days` bounds it
            response = prepare(world, key, target, credential,
                               extra_query=f"days={'367' if status == 422 else '1'}").send(
                world_client)
        assert response.status == status, (limit, response.text)
        if status == 422:
            assert response.headers["content-type"] == "application/problem+json"
        elif key != "GET /v1/syndication/usage":
            assert len(json.loads(response.body)["data"]) <= 1


# ---- every body field at its bound and one past it -----------------------------------------


PAGES = ("text", "body_text", "body_html")  # text of many paragraphs, each with its own bound


def _value(name: str, length: int) -> str:
    if "url" in name or name.endswith("{}"):
        return "https://example.com/" + "x" * (length - 20)
    if name == "body_html":  # paragraphs are elements here: blank lines are only whitespace
        page = "<p>A title</p>" + ("<p>" + "word " * 400 + "end.</p>") * (length // 2000 + 1)
        return page[:length - 1] + "x"
    if name in PAGES:
        page = "A title\n\n" + ("word " * 400 + "end.\n\n") * (length // 2000 + 1)
        return page[:length - 1] + "x"
    return "x" * length


def _with(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """`body` with the field at `path` (`a.b`, `a[]`, `a{}`) set to one value built from it."""
    head, _, rest = path.partition(".")
    out = dict(body)
    if head.endswith("[]"):
        out[head[:-2]] = [value if not rest else _with({}, rest, value)]
    elif head.endswith("{}"):
        out[head[:-2]] = {"web": value}
    elif rest:
        inner = dict(out.get(head) or {})
        if head == "image":
            inner.setdefault("url", "https://example.com/a.jpg")
        if head == "source":
            inner.setdefault("name", "A source")
        out[head] = _with(inner, rest, value)
    else:
        out[head] = value
    return out


def bounded_strings(app: FastAPI, key: str) -> list[tuple[str, int]]:
    schemas = app.openapi()["components"]["schemas"]
    schema = next(s for k, s in request_bodies(app) if k == key)
    out = []
    for path, node in schema_nodes(schema, schemas, ""):
        # A pattern is fine when the value sent at the bound matches it (`\\S`, a slug's).
        if node.get("type") == "string" and "maxLength" in node \
                and re.search(node.get("pattern", ""), _value(path, node["maxLength"])) \
                and path.count(".") <= 1 and "body[]" not in path:
            out.append((path, node["maxLength"]))
    return out


def _admitted(key: str) -> tuple[str, str]:
    from tests.security.table import RANK, expected

    spec = TABLE[key]
    if spec.gate == "partner":  # a partner's own writes (its webhook endpoints)
        return next(t for t in spec.expect if expected(spec, "partner", t) < 300), "partner"
    for credential in RANK:
        for target in spec.expect:
            if expected(spec, credential, target) < 300:
                return target, credential
    raise AssertionError(key)


# Every JSON write but the reorder, whose body is a list of ids (bounded: see the schema test).
NO_STRINGS = ("POST /v1/auth/token", "PUT /v1/editorial/briefs/order")


@pytest.mark.parametrize("key", sorted(k for k, s in TABLE.items()
                                       if s.body and s.writes and k not in NO_STRINGS))
def test_every_body_field_holds_its_longest_value_and_refuses_one_more(
        world: World, world_app: FastAPI, world_client: TestClient, key: str) -> None:
    target, credential = _admitted(key)
    call = prepare(world, key, target, credential)
    valid, valid_form, wrong = dict(call.json or {}), dict(call.form or {}), []
    fields = bounded_strings(world_app, key)
    for path, bound in fields:
        for length, ok in ((bound, True), (bound + 1, False)):
            if "-" not in TABLE[key].expect:  # a write to an object: a fresh one each time
                call = prepare(world, key, target, credential)
            if call.files is not None:  # a multipart upload: its fields are form fields
                call.form = {**valid_form, path: _value(path, length)}
            else:
                call.json = _with(valid, path, _value(path, length))
            response = call.send(world_client)
            # At the bound a value may be refused for what it says (no such section), never
            # for its length; one over, for its length.
            too_long = response.status == 422 and "at most" in response.text
            if response.status >= 500 or (ok and too_long) or (not ok and not too_long):
                wrong.append(f"{path} at {length} (bound {bound}): {response.status} "
                             f"{response.text[:160]}")
    assert fields, key
    assert not wrong, "\n".join(wrong)


# ---- request target and header sizes --------------------------------------------------------

SURFACES = ["/v1/articles", "/v1/editorial/articles", "/v1/syndication/articles", "/healthz",
            "/v1/no-such-route"]


def _sizes(send: Any, path: str, url_bytes: int, header_bytes: int,
           field_bytes: int) -> list[str]:
    wrong = []
    room = url_bytes - len(path) - len("?q=")
    cases = [
        ("target at the bound", {"params": {"q": "x" * room}}, None),
        ("target one over", {"params": {"q": "x" * (room + 1)}}, 414),
        ("one field over", {"headers": {"X-Big": "x" * field_bytes}}, 431),
        ("fields over in all", {"headers": {f"X-Part-{i}": "x" * (field_bytes - 20)
                                            for i in range(header_bytes // field_bytes + 1)}},
         431),
        ("a long cookie", {"headers": {"Cookie": "a=" + "x" * field_bytes}}, 431),
    ]
    for name, kwargs, status in cases:
        response = send(path, **kwargs)
        if status is None:
            if response.status_code in (414, 431) or response.status_code >= 500:
                wrong.append(f"{path} {name}: {response.status_code}")
        elif response.status_code != status or response.headers.get(
                "content-type") != "application/problem+json" or len(response.content) > 1000:
            wrong.append(f"{path} {name}: {response.status_code} {response.text[:100]}")
    return wrong


@pytest.mark.parametrize("path", SURFACES)
def test_request_target_and_headers_are_bounded(world_client: TestClient, path: str) -> None:
    assert not _sizes(world_client.get, path, 8192, 16384, 8192)


@pytest.mark.usefixtures("database_url")  # the probes read /v1/articles from the database
def test_the_bounds_follow_their_settings() -> None:
    with app_with(KHABAR_MAX_URL_BYTES="1024", KHABAR_MAX_HEADER_BYTES="4096",
                  KHABAR_MAX_HEADER_FIELD_BYTES="2048") as app, TestClient(app) as client:
        assert not _sizes(client.get, "/v1/articles", 1024, 4096, 2048)


def test_the_served_process_bounds_them_too(served: str) -> None:
    with httpx.Client(base_url=served) as client:
        assert not _sizes(client.get, "/v1/articles", 8192, 16384, 8192)
