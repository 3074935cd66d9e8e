"""Calls every route of the table with every credential on every target, and records what came
back. The OWASP modules judge the records; nothing here asserts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from tests.security.table import KINDS, MISSING, TABLE, Spec, expected, if_match
from tests.security.world import CREDENTIALS, EVIL_ORIGIN, ROLES, SAMPLED_CREDENTIALS, World


def route_keys(app: FastAPI) -> set[str]:
    """`METHOD /path` for every route the app serves (HEAD rides along with GET), and
    `MOUNT /path` for every mounted app."""
    keys = set()
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, Mount):
            keys.add(f"MOUNT {route.path}")
            continue
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                keys.add(f"{method} {route.path}")
    return keys


def surface(path: str) -> str:
    if path.startswith(("/v1/editorial", "/v1/auth/")):
        return "editorial"
    if path.startswith("/v1/syndication"):
        return "syndication"
    if path.startswith("/v1/"):
        return "content"
    return "operations"


@dataclass
class Exchange:
    key: str
    target: str
    credential: str
    expected: int
    status: int
    headers: dict[str, str]
    body: bytes
    url: str
    path: str
    path_params: dict[str, str]

    @property
    def surface(self) -> str:
        return surface(self.path)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def __str__(self) -> str:
        return f"{self.key} [{self.target}] as {self.credential}"


def _fill(template: str, params: dict[str, str]) -> str:
    path = template
    for name, value in params.items():
        path = path.replace("{" + name + "}", value)
    return path


def cases(spec: Spec) -> Iterator[tuple[str, str]]:
    """Every target with every credential of the contract (none, a revoked and a valid partner
    key, writer, editor, admin); the forged and orphaned tokens, which are refused before any
    object is loaded, on each route's first target only."""
    for i, target in enumerate(spec.expect):
        for credential in CREDENTIALS:
            if i == 0 or credential not in SAMPLED_CREDENTIALS:
                yield target, credential


@dataclass
class Call:
    """One request of the table, ready to send."""

    key: str
    target: str
    credential: str
    method: str
    path: str
    url: str
    params: dict[str, str]
    headers: dict[str, str]
    json: Any = None
    form: dict[str, str] | None = None
    files: dict[str, Any] | None = None  # multipart uploads, with `form` as their fields

    def send(self, client: TestClient, login_clients: dict[str, TestClient] | None = None,
             ) -> Exchange:
        sender = client
        kwargs: dict[str, Any] = {"json": self.json} if self.json is not None else {}
        if self.form is not None:
            # Each credential logs in from its own address: the login throttle counts per
            # address, and the matrix logs in with wrong passwords on purpose.
            sender = (login_clients or {}).get(self.credential, client)
            kwargs = {"data": self.form}
        if self.files is not None:
            sender = client
            kwargs = {"data": self.form or {}, "files": self.files}
        response = sender.request(self.method, self.url, headers=self.headers,
                                  follow_redirects=False, **kwargs)
        spec = TABLE.get(self.key)
        return Exchange(
            key=self.key, target=self.target, credential=self.credential,
            expected=expected(spec, self.credential, self.target) if spec else 0,
            status=response.status_code,
            headers={k.lower(): v for k, v in response.headers.items()},
            body=response.content, url=str(response.request.url), path=self.path,
            path_params=self.params)


def _merged(query: str, extra: str) -> str:
    """`query` with `extra` added, whose parameters replace those of the same name (a
    single-valued parameter given twice is refused, whatever its values)."""
    replaced = {pair.split("=", 1)[0] for pair in extra.split("&") if pair}
    kept = [pair for pair in query.split("&") if pair and pair.split("=", 1)[0] not in replaced]
    return "&".join([*kept, *([extra] if extra else [])])


def prepare(world: World, key: str, target: str, credential: str, *,
            extra_query: str = "", extra_body: dict[str, Any] | None = None) -> Call:
    spec = TABLE[key]
    method, template = key.split(" ", 1)
    kind = KINDS[spec.kind]
    obj: Any = None
    if target not in ("-", MISSING):
        # Writes by a newsroom user get an object of their own; callers refused at the door
        # (everyone else) meet the world's, which must come out of it unchanged.
        fresh = spec.writes and credential in ROLES and kind.fresh is not None
        obj = kind.fresh(world, target) if fresh else kind.existing(world, target)  # type: ignore[misc]
    params = spec.path_params(obj, target)
    if method == "MOUNT":
        method, path = "GET", f"{template}/{target}"
    else:
        path = _fill(template, params)
    query = _merged(spec.query_for(world, target), extra_query)
    headers = {**world.credentials[credential], "Origin": EVIL_ORIGIN}
    if obj is not None and spec.writes:
        headers.update(if_match(obj))
    call = Call(key=key, target=target, credential=credential, method=method, path=path,
                url=f"{path}?{query}" if query else path, params=params, headers=headers)
    payload = spec.body(world, target) if spec.body else None
    if isinstance(payload, tuple) and payload[0] == "form":
        call.form = payload[1]
    elif isinstance(payload, tuple) and payload[0] == "multipart":
        call.form, call.files = payload[1], payload[2]
    elif payload is not None or extra_body:
        call.json = {**(payload or {}), **(extra_body or {})}
    return call


# GET routes that answer no page of a list (no `data`, no `limit`), and what bounds them: the
# sitemaps are XML files of at most ARTICLES_PER_PAGE URLs (articles.xml pages with `page`),
# the front page has `featured` and `per_section` (each at most 20), and a redirect is one
# object.
NOT_PAGES = {"GET /v1/site", "GET /v1/sitemaps/news.xml", "GET /v1/sitemaps/index.xml",
             "GET /v1/sitemaps/articles.xml", "GET /v1/front", "GET /v1/redirects"}


def list_routes() -> list[tuple[str, str]]:
    """(route, credential) for every GET route whose answer is a page, with each credential
    that it admits (the lowest newsroom role and an admin; the partner; anyone)."""
    out = []
    for key, spec in TABLE.items():
        if not key.startswith("GET /v1/") or "{" in key or key in NOT_PAGES:
            continue
        if spec.gate == "public":
            out.append((key, "none"))
        elif spec.gate == "partner":
            out.append((key, "partner"))
        else:
            out += [(key, spec.gate), (key, "admin")] if spec.gate != "admin" else [(key, "admin")]
    return out


def declared_parameters(app: FastAPI, key: str) -> set[str]:
    method, path = key.split(" ", 1)
    op = app.openapi()["paths"][path][method.lower()]
    return {p["name"] for p in op.get("parameters", []) if p.get("in") == "query"}



def _restates(schema: dict[str, Any], option: dict[str, Any]) -> bool:
    """Whether a `oneOf`/`anyOf`/`allOf` branch only says which of the schema's own properties
    are required, and their type (ImageInput: `media_id` or `url`): both apply, so each such
    property is bounded by its declaration in `properties`, which is walked."""
    own = schema.get("properties", {})
    named = option.get("properties", {})
    return (set(option) <= {"required", "properties", "type"} and bool(named)
            and set(named) <= set(own) and all(set(p) <= {"type"} for p in named.values()))


def schema_nodes(schema: dict[str, Any], schemas: dict[str, Any], path: str,
          seen: frozenset[str] = frozenset()) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, schema) of every node of a request schema, `$ref`s followed once."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            yield from schema_nodes(schemas[name], schemas, path, seen | {name})
        return
    yield path, schema
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            if not _restates(schema, option):
                yield from schema_nodes(option, schemas, path, seen)
    if "items" in schema:
        yield from schema_nodes(schema["items"], schemas, f"{path}[]", seen)
    for name, sub in schema.get("properties", {}).items():
        yield from schema_nodes(sub, schemas, f"{path}.{name}".lstrip("."), seen)
    if isinstance(schema.get("additionalProperties"), dict):
        yield from schema_nodes(schema["additionalProperties"], schemas, f"{path}{{}}", seen)


def request_bodies(app: FastAPI) -> Iterator[tuple[str, dict[str, Any]]]:
    doc = app.openapi()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            for media in op.get("requestBody", {}).get("content", {}).values():
                yield f"{method.upper()} {path}", media["schema"]



@dataclass
class MatrixRun:
    exchanges: list[Exchange]
    secrets: dict[str, str]
    forbidden: dict[str, set[str]]  # view -> markers, ids and slugs it must never show
    fingerprint_before: dict[str, Any]
    fingerprint_after: dict[str, Any]
    routes: set[str]

    def of(self, key: str) -> list[Exchange]:
        return [e for e in self.exchanges if e.key == key]


def run_matrix(app: FastAPI, world: World) -> MatrixRun:
    from tests.security.leaks import forbidden_markers

    before = world.fingerprint()
    forbidden = forbidden_markers(world)
    exchanges = []
    login_clients = {c: TestClient(app, raise_server_exceptions=False,
                                   client=(f"198.51.100.{i + 1}", 50000))
                     for i, c in enumerate(CREDENTIALS)}
    with TestClient(app, raise_server_exceptions=False) as client:
        for key, spec in TABLE.items():
            for target, credential in cases(spec):
                exchanges.append(prepare(world, key, target, credential).send(
                    client, login_clients))
    return MatrixRun(exchanges=exchanges, secrets=world.secrets(), forbidden=forbidden,
                     fingerprint_before=before, fingerprint_after=world.fingerprint(),
                     routes=route_keys(app))
