"""OWASP API3:2023 Broken Object Property Level Authorization.

Asserted:

* Excessive data exposure, over the matrix (every route x every credential x every object
  state): no response of any route, for any credential, contains a password, a password hash
  (or its digest), a partner key (active or revoked, whole or its secret part), a key hash, the
  token-signing key, any credential sent with a request, or a user's email (admins read emails
  on the user administration routes only). No JSON response has a `password`, `password_hash`,
  `key_hash` or `secret_key` property anywhere, and Content, Syndication and operations
  responses carry none of the newsroom's own properties (`email`, `user_id`, `created_by_id`,
  `deleted_at`, `status`, `api_key`, `key_prefix`, `snapshot`, `disabled`, `role`).
* No filter or sort on a private property (the Ghost/Strapi CVE-2023-22894 class): every list
  route, for each credential it admits, is called with filters, sorts, sparse fieldsets and
  expansions naming private properties (`sort=password_hash`, `filter[email]=`, `email=`,
  `filters[created_by][password_hash][$startsWith]=$argon2`, `status=draft`, `author.email=`,
  `fields=password_hash,email,body`, `populate=*` ...). Each is refused with a 4xx problem, or
  ignored: an undeclared parameter leaves the page exactly as it was, and a declared one (a
  writer's `status=draft`) never shows what the caller may not see.
* No mass assignment: every JSON write route of the OpenAPI document refuses each server-owned
  or private property it does not declare (`id`, `status`, `revision`, timestamps,
  `created_by_id`, `password_hash`, `key_hash`, `api_key`, ...) with a 422 naming it. (The
  article routes' own list: tests/articles/test_editorial.py `test_server_owned_fields_are_refused`;
  a writer re-linking a profile to another user: tests/authors/test_editorial.py.)
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.security.leaks import leaked_objects, leaked_secrets, private_keys
from tests.security.runner import (
    Exchange,
    MatrixRun,
    declared_parameters,
    list_routes,
    prepare,
)
from tests.security.table import RANK, TABLE, expected
from tests.security.world import World

KEYS = sorted(TABLE)


@pytest.mark.parametrize("key", KEYS)
def test_no_secret_in_any_response(matrix: MatrixRun, key: str) -> None:
    leaks = [f"{e}: {found}" for e in matrix.of(key)
             if (found := leaked_secrets(e, matrix.secrets))]
    assert not leaks, "\n".join(leaks)


@pytest.mark.parametrize("key", KEYS)
def test_no_private_property_in_any_response(matrix: MatrixRun, key: str) -> None:
    leaks = [f"{e}: {found}" for e in matrix.of(key) if (found := private_keys(e))]
    assert not leaks, "\n".join(leaks)


def test_the_secrets_scanned_for_are_real(matrix: MatrixRun) -> None:
    """A guard on the suite: the labels are those of real, distinct, non-trivial values, and
    the scan does see an email where one is expected (admins reading users)."""
    assert len(matrix.secrets) >= 15
    assert all(len(value) >= 16 for value in matrix.secrets.values())
    users = [e for e in matrix.of("GET /v1/editorial/users") if e.credential == "admin"]
    assert users
    assert all(leaked_secrets(e, matrix.secrets) == [] for e in users)
    assert all("@" in e.text for e in users)


# ---- filters and sorts on private properties ------------------------------------------------


def private_probes(world: World) -> list[tuple[str, str]]:
    email = world.users["writer"].email
    partner = world.partners["active"]
    return [
        ("sort", "password_hash"), ("sort", "-email"), ("sort", "key_hash"),
        ("sort", "created_by_id"), ("sort", "deleted_at"), ("order_by", "email"),
        ("orderBy", "password_hash"), ("filter[email]", email), ("filter[status]", "draft"),
        ("filters[created_by][password_hash][$startsWith]", "$argon2"),
        ("where[status]", "draft"), ("email", email), ("password_hash", "$argon2id"),
        ("key_hash", partner.key_hash[:8]), ("key_prefix", partner.key_prefix),
        ("status", "draft"), ("status", "deleted"), ("deleted", "true"),
        ("include_deleted", "true"), ("preview", "true"), ("draft", "true"),
        ("author.email", email), ("author[email]", email),
        ("created_by_id", str(world.users["other"].id)), ("user_id", str(world.users["other"].id)),
        ("fields", "password_hash,email,body"), ("fields", "email"), ("fields", "status"),
        ("include", "drafts"), ("include", "author.email"), ("expand", "created_by"),
        ("populate", "*"), ("populate[created_by][fields]", "password_hash"),
    ]


def _data(exchange: Exchange) -> Any:
    doc = json.loads(exchange.body)
    if exchange.key == "GET /v1/syndication/usage":
        # Counts grow with every request (this one included): compare what is counted.
        return sorted((row["day"], row["route"]) for row in doc["data"])
    return doc["data"]


@pytest.mark.parametrize(("key", "credential"), list_routes())
def test_no_filter_or_sort_on_a_private_property(world: World, world_app: FastAPI,
                                                 world_client: TestClient, key: str,
                                                 credential: str) -> None:
    target = "-" if "-" in TABLE[key].expect else next(iter(TABLE[key].expect))
    baseline = prepare(world, key, target, credential).send(world_client)
    assert baseline.status == 200, baseline.text
    secrets = world.secrets()
    from tests.security.leaks import forbidden_markers

    forbidden = forbidden_markers(world)
    declared = declared_parameters(world_app, key)
    wrong = []
    for name, value in private_probes(world):
        probe = prepare(world, key, target, credential, extra_query=f"{name}={value}").send(
            world_client)
        where = f"{name}={value}"
        if probe.status >= 500:
            wrong.append(f"{where}: {probe.status}")
        elif probe.status >= 400:
            if not probe.headers["content-type"].startswith("application/problem+json"):
                wrong.append(f"{where}: {probe.status} is not a problem")
            if name not in declared and probe.status not in (400, 422):
                wrong.append(f"{where}: {probe.status} for an undeclared parameter")
        elif name not in declared and _data(probe) != _data(baseline):
            wrong.append(f"{where}: the page changed")
        if found := leaked_objects(probe, forbidden) + leaked_secrets(probe, secrets):
            wrong.append(f"{where}: leaked {found}")
    assert not wrong, f"{key} as {credential}:\n" + "\n".join(wrong)


# ---- mass assignment ------------------------------------------------------------------------

PRIVATE_WRITES: dict[str, Any] = {
    "id": "0123456789abcdef0123456789abcdef", "created_at": "2001-01-01T00:00:00Z",
    "updated_at": "2001-01-01T00:00:00Z", "revision": 99, "status": "published",
    "deleted_at": None, "published_at": "2001-01-01T00:00:00Z", "created_by_id": 1,
    "word_count": 1, "article_count": 99, "password_hash": "$argon2id$forged",
    "key_hash": "0" * 64, "key_prefix": "00000000", "api_key": "khb_00000000_forged",
    "last_used_at": None, "revoked_at": None, "disabled_at": None, "is_admin": True,
}


def json_writes(app: FastAPI) -> list[tuple[str, dict[str, Any]]]:
    """(route, its request body's schema) for every route taking JSON, from the OpenAPI
    document: a write route added tomorrow is covered without a change here."""
    doc = app.openapi()
    schemas = doc["components"]["schemas"]
    out = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            content = op.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                schema = content["application/json"]["schema"]
                for option in [schema, *schema.get("anyOf", [])]:
                    if "$ref" in option:
                        schema = schemas[option["$ref"].rsplit("/", 1)[-1]]
                out.append((f"{method.upper()} {path}", schema))
    return out


def _admitted(key: str) -> tuple[str, str]:
    """A target and the lowest credential the route answers with success."""
    spec = TABLE[key]
    if spec.gate == "partner":  # a partner's own writes (its webhook endpoints)
        return next(t for t in spec.expect if expected(spec, "partner", t) < 300), "partner"
    for credential in ("writer", "editor", "admin"):
        for target in spec.expect:
            if expected(spec, credential, target) < 300 and RANK.get(credential, 0):
                return target, credential
    raise AssertionError(f"no caller succeeds on {key}")


def test_every_json_write_route_is_probed(world_app: FastAPI) -> None:
    routes = [key for key, _ in json_writes(world_app)]
    assert len(routes) >= 15
    assert set(routes) <= set(TABLE)


def test_no_mass_assignment_of_private_properties(world: World, world_app: FastAPI,
                                                  world_client: TestClient) -> None:
    wrong = []
    probed = 0
    for key, schema in json_writes(world_app):
        target, credential = _admitted(key)
        call = prepare(world, key, target, credential)  # one object for every probe: all fail
        valid = call.json or {}
        for name, value in PRIVATE_WRITES.items():
            if name in schema.get("properties", {}):
                continue  # a property the route takes on purpose
            call.json = {**valid, name: value}
            response = call.send(world_client)
            probed += 1
            errors = json.loads(response.body).get("errors") or []
            if response.status != 422 or not any(name in e["loc"] for e in errors):
                wrong.append(f"{key} with {name!r} as {credential}: {response.status} "
                             f"{response.text[:150]}")
    assert probed > 250
    assert not wrong, "\n".join(wrong)
