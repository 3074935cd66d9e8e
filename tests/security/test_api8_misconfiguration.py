"""OWASP API8:2023 Security Misconfiguration.

Asserted:

* Security headers on every response of every route for every credential (the matrix):
  `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`, a
  Content-Security-Policy with `frame-ancestors 'none'` (`default-src 'none'` on everything but
  the documentation pages), and no `Server` banner; the served process (`khabar serve`) sends no
  `Server` banner either.
* CORS never reflects an arbitrary Origin with credentials: every matrix request carried
  `Origin: https://evil.example`, and no answer allows it by name or allows credentials; the
  Editorial API allows no cross origin at all by default; preflights from that origin for every
  route and method are refused or answered `*` without credentials, and a configured CMS origin
  is the only one the Editorial API names.
* No stack traces: a 500 (an unexpected exception, a database error carrying its SQL) is a bare
  RFC 9457 problem without the exception, its message, the SQL, or file paths; debug is off.
* TRACE and bare OPTIONS on every route are 405 problems that echo nothing of the request.
* The shared response cache (app/core/cache.py) cannot be poisoned: after requests carrying a
  newsroom token, preview flags, `X-Forwarded-Host`/`X-Original-URL`/`X-HTTP-Method-Override`
  style headers, a foreign `Host`, gzip or odd query spellings, anonymous clients get exactly
  what an app without a cache answers for their request; no draft and no foreign host enters it;
  `Vary: Accept-Encoding` and `Cache-Control: public` are on its answers.
* Hardening against injection (injection is no longer its own item in the 2023 list): every
  declared query parameter of every list route, the login form and the slug paths take a corpus
  of SQL and FTS injection payloads without a 5xx; filters with a payload answer what a plain
  non-matching value answers, search answers what the payload's words alone answer, and cursors
  are refused with a 4xx.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import ProgrammingError

from app.articles.queries import search_terms
from tests.security.conftest import app_with
from tests.security.leaks import leaked_objects
from tests.security.runner import Exchange, MatrixRun, declared_parameters, list_routes, prepare
from tests.security.table import TABLE
from tests.security.world import EVIL_ORIGIN, World

CMS_ORIGIN = "https://cms.example"


# ---- headers --------------------------------------------------------------------------------


def test_security_headers_on_every_response(matrix: MatrixRun) -> None:
    wrong = []
    for e in matrix.exchanges:
        h = e.headers
        docs = e.path.startswith(("/docs", "/redoc"))
        csp = h.get("content-security-policy", "")
        problems = [
            h.get("x-content-type-options") != "nosniff" and "nosniff",
            h.get("x-frame-options") != "DENY" and "X-Frame-Options",
            h.get("referrer-policy") != "no-referrer" and "Referrer-Policy",
            "frame-ancestors 'none'" not in csp and "frame-ancestors",
            not docs and "default-src 'none'" not in csp and "default-src",
            "server" in h and "Server banner",
        ]
        if found := [p for p in problems if p]:
            wrong.append(f"{e}: {found}")
    assert not wrong, "\n".join(wrong[:50])


def test_the_served_process_sends_no_server_banner(served: str) -> None:
    """`khabar serve` (what the image runs) turns uvicorn's own `Server` header off."""
    for path in ("/healthz", "/v1/articles", "/v1/nope", "/v1/editorial/articles"):
        response = httpx.get(f"{served}{path}")
        assert "server" not in response.headers, path
        assert response.headers["x-content-type-options"] == "nosniff"


# ---- CORS -----------------------------------------------------------------------------------


def test_cors_never_reflects_an_arbitrary_origin(matrix: MatrixRun) -> None:
    wrong = []
    for e in matrix.exchanges:
        allowed = e.headers.get("access-control-allow-origin")
        if e.headers.get("access-control-allow-credentials") is not None:
            wrong.append(f"{e}: allows credentials")
        if allowed not in (None, "*"):
            wrong.append(f"{e}: allows {allowed}")
        if e.surface == "editorial" and allowed is not None:
            wrong.append(f"{e}: the Editorial API allows {allowed}")
    assert not wrong, "\n".join(wrong[:50])


def concrete_paths(world: World) -> list[tuple[str, str]]:
    """(method, path) of every route with its first target filled in."""
    out = []
    for key in TABLE:
        spec = TABLE[key]
        call = prepare(world, key, next(iter(spec.expect)), "none")
        out.append((call.method, call.path))
    return out


@pytest.mark.parametrize("configured", [False, True], ids=["default", "cms-configured"])
def test_preflights_from_an_arbitrary_origin(world: World, configured: bool) -> None:
    env = {"KHABAR_EDITORIAL_CORS_ORIGINS": CMS_ORIGIN} if configured else {}
    wrong = []
    with app_with(**env) as app, TestClient(app, raise_server_exceptions=False) as client:
        for method, path in concrete_paths(world):
            for origin in (EVIL_ORIGIN, "null", CMS_ORIGIN):
                r = client.options(path, headers={
                    "Origin": origin, "Access-Control-Request-Method": method,
                    "Access-Control-Request-Headers": "Authorization"})
                allowed = r.headers.get("access-control-allow-origin")
                cms = configured and origin == CMS_ORIGIN
                editorial = path.startswith(("/v1/editorial", "/v1/auth/"))
                if r.headers.get("access-control-allow-credentials") is not None:
                    wrong.append(f"{method} {path} from {origin}: allows credentials")
                if allowed not in (None, "*") and not (cms and allowed == CMS_ORIGIN):
                    wrong.append(f"{method} {path} from {origin}: allows {allowed}")
                if editorial and allowed is not None and not cms:
                    wrong.append(f"{method} {path} from {origin}: Editorial allows {allowed}")
                if r.status_code >= 500:
                    wrong.append(f"{method} {path} from {origin}: {r.status_code}")
    assert not wrong, "\n".join(wrong[:50])


# ---- errors ---------------------------------------------------------------------------------

SECRET_PATH = "/srv/khabar/secret/settings.py"


def _failing_app(app: FastAPI) -> FastAPI:
    """The app with two routes that fail the way bugs do (added for this test only)."""

    def boom() -> None:
        raise RuntimeError(f"unexpected failure reading {SECRET_PATH}")

    def bad_sql() -> None:
        raise ProgrammingError("SELECT password_hash FROM \"user\" WHERE email = %(e)s",
                               {"e": "x"}, Exception("relation does not exist"))

    app.add_api_route("/v1/boom", boom)
    app.add_api_route("/v1/bad-sql", bad_sql)
    return app


@pytest.mark.parametrize("path", ["/v1/boom", "/v1/bad-sql"])
def test_500s_are_bare_problems(world_app: FastAPI, path: str) -> None:
    assert world_app.debug is False
    from app.main import create_app

    app = _failing_app(create_app())
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) == {"type", "title", "status", "detail", "instance"}
    for needle in ("Traceback", "RuntimeError", "ProgrammingError", SECRET_PATH, "secret",
                   "SELECT", "password_hash", "/work/", "site-packages", ".py", "<html"):
        assert needle not in response.text, needle
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("method", ["TRACE", "OPTIONS"])
def test_trace_and_bare_options_echo_nothing(world: World, world_client: TestClient,
                                             method: str) -> None:
    wrong = []
    for _, path in concrete_paths(world):
        r = world_client.request(method, path, headers={"X-Echo-Probe": "zqechoprobe",
                                                        "Cookie": "session=zqcookieprobe"})
        if r.status_code != 405 or not r.headers["content-type"].startswith(
                "application/problem+json"):
            wrong.append(f"{method} {path}: {r.status_code} {r.headers.get('content-type')}")
        if "zqechoprobe" in r.text or "zqcookieprobe" in r.text:
            wrong.append(f"{method} {path}: echoes the request")
    assert not wrong, "\n".join(wrong)


# ---- the shared response cache --------------------------------------------------------------

POISON_HEADERS: list[dict[str, str]] = [
    {"X-Preview": "true", "Cookie": "preview=1; session=x"},
    {"X-Forwarded-Host": "evil.example"},
    {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https",
     "X-Forwarded-Port": "8443", "X-Forwarded-Prefix": "/evil"},
    {"X-Original-URL": "/v1/editorial/articles", "X-Rewrite-URL": "/v1/editorial/articles"},
    {"X-HTTP-Method-Override": "DELETE", "X-Method-Override": "PATCH"},
    {"Forwarded": "host=evil.example;proto=https"},
    {"Accept-Encoding": "gzip"},
    {"Accept": "application/xml"},
]


def public_urls(world: World) -> list[str]:
    """Every public GET of the table, each target filled in, that answers 200."""
    urls = []
    for key, spec in TABLE.items():
        if spec.gate == "public" and key.startswith("GET /v1/"):
            for target, status in spec.expect.items():
                if status == 200:
                    urls.append(prepare(world, key, target, "none").url)
    return urls


def uncached_answers(urls: list[str]) -> dict[str, bytes]:
    with app_with(KHABAR_RESPONSE_CACHE="false") as app, TestClient(app) as client:
        return {url: client.get(url, headers={"Accept-Encoding": "identity"}).content
                for url in urls}


@pytest.fixture(scope="module")
def reference(world: World) -> dict[str, bytes]:
    return uncached_answers(public_urls(world))


@pytest.mark.parametrize("poison", POISON_HEADERS, ids=lambda h: ",".join(h))
def test_the_response_cache_cannot_be_poisoned(world: World, reference: dict[str, bytes],
                                               poison: dict[str, str]) -> None:
    from app.main import create_app

    credentials = {**world.credentials["editor"], **poison}
    wrong = []
    with TestClient(create_app()) as client:  # a cold cache of its own
        for url in reference:
            client.get(url, headers=credentials)  # fills the cache, if anything does
            r = client.get(url, headers={"Accept-Encoding": "identity"})
            if r.content != reference[url]:
                wrong.append(f"{url}: anonymous clients get another body after {poison}")
            if "evil" in r.text:
                wrong.append(f"{url}: a foreign host entered the cache")
            if "content-encoding" in r.headers:
                wrong.append(f"{url}: gzip served to a client that did not ask")
            if r.status_code == 200 and ("Accept-Encoding" not in r.headers.get("vary", "")
                                         or "public" not in r.headers["cache-control"]):
                wrong.append(f"{url}: Vary {r.headers.get('vary')!r}, "
                             f"Cache-Control {r.headers.get('cache-control')!r}")
    assert not wrong, "\n".join(wrong[:30])


@pytest.mark.usefixtures("world")
def test_a_foreign_host_is_cached_apart() -> None:
    from app.main import create_app

    with TestClient(create_app()) as client:
        foreign = client.get("/v1/articles?limit=1", headers={"Host": "evil.example"})
        assert foreign.status_code == 200
        ours = client.get("/v1/articles?limit=1")
        assert "evil.example" not in ours.text
        assert ours.json()["links"]["self"].startswith("http://testserver/")


QUERY_SPELLINGS = [
    "/v1/articles?limit=1&limit=100", "/v1/articles?limit=100&limit=1",
    "/v1/articles?section=news&section=opinion", "/v1/articles?section=opinion&section=news",
    "/v1/articles?section=n%65ws", "/v1/articles?section=news%00", "/v1/articles?section=NEWS",
    "/v1/search?q=story+zz", "/v1/search?q=story%20zz", "/v1/search?q=story%2Bzz",
    "/v1/articles?limit=100;section=opinion", "/v1/articles?limit=100&section=opinion#x",
    "/v1/articles?tag=public-tag&tag=hidden-tag", "/v1/articles?tag=hidden-tag&tag=public-tag",
    "/v1/%61rticles?limit=1", "/v1/articles/?limit=1", "/v1//articles?limit=1",
    "/v1/search?q=story%ff", "/v1/search?q=story%ef%bf%bd", "/v1/search?q=%zz",
    "/v1/search?q=%25zz", "/v1/articles?section=news%26tag%3Dhidden-tag",
    "/v1/articles?section=news&tag=hidden-tag",
]


def _meaning(body: bytes) -> Any:
    """A page without its `links`, which echo the request's own spelling of its URL."""
    try:
        doc = json.loads(body)
    except ValueError:
        return body
    return {k: v for k, v in doc.items() if k != "links"} if isinstance(doc, dict) else doc


@pytest.mark.usefixtures("world")
def test_query_spellings_never_share_a_wrong_entry() -> None:
    """Each spelling, asked after all the others filled the cache, gets what an app without a
    cache answers: the cache key merges only spellings the app reads alike (`+` and `%20`)."""
    from app.main import create_app

    expected = uncached_answers(QUERY_SPELLINGS)
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        for url in QUERY_SPELLINGS:
            client.get(url, headers={"Accept-Encoding": "identity"})
        for url in QUERY_SPELLINGS:
            cached = client.get(url, headers={"Accept-Encoding": "identity"}).content
            assert _meaning(cached) == _meaning(expected[url]), url


# ---- injection ------------------------------------------------------------------------------

PAYLOADS = [
    "' OR '1'='1", "' OR 1=1 --", '" OR ""="', "1; DROP TABLE article; --",
    "' UNION SELECT password_hash, email FROM \"user\" --",
    "' AND 1=CAST((SELECT email FROM \"user\" LIMIT 1) AS int) --",
    "'||(SELECT pg_sleep(0))||'", "') OR ('x'='x", "\\' OR 1=1 --", "%' OR '%'='",
    "*", "%", "_", "{\"$gt\": \"\"}", "title:story", "NEAR(story words)", "story OR draft",
    "\"unbalanced", "(story", "ñ' OR 'x'='x",
]
# Typed parameters (numbers, dates, enums, patterns) and cursors refuse a payload before any
# query is built, whichever it is: a few are enough there.
FEW = ["' OR '1'='1", "1; DROP TABLE article; --", "9" * 40, "-1"]
FILTERS = {"section", "tag", "author", "language", "dateline"}
DATABASE_TRACES = ("[SQL:", "sqlalchemy", "psycopg", "sqlite3", "OperationalError",
                   "ProgrammingError", "syntax error", "near \"", "fts5")
CURSORS = {"cursor", "since"}


def _options(app: FastAPI, key: str, name: str) -> list[dict[str, Any]]:
    method, path = key.split(" ", 1)
    op = app.openapi()["paths"][path][method.lower()]
    schema = next(p["schema"] for p in op["parameters"] if p["name"] == name)
    return [o for o in schema.get("anyOf", [schema]) if o.get("type") != "null"]


def is_cursor(app: FastAPI, key: str, name: str) -> bool:
    """Whether a parameter is an opaque cursor of the API's own making: `cursor`, or the change
    feed's `since`. A `since` that is a time (the audit log's) or an enum (`/v1/sync`'s
    `latest`) is a filter, checked by its type."""
    return name in CURSORS and all(o.get("type") == "string" and not (
        {"enum", "pattern", "format", "const"} & o.keys()) for o in _options(app, key, name))


def free_text(app: FastAPI, key: str, name: str) -> bool:
    """Whether a query parameter takes any string (so a payload reaches the query layer)."""
    return name not in CURSORS and all(
        o.get("type") == "array" or (o.get("type") == "string" and not (
            {"enum", "pattern", "format"} & o.keys())) for o in _options(app, key, name))


def injectable(app: FastAPI) -> list[tuple[str, str, str]]:
    """(route, credential, parameter) for every declared query parameter of every list route;
    writers' filters too on the article list, where a writer's own filter must hold."""
    return [(key, credential, name) for key, credential in list_routes()
            if not (credential == "admin" and TABLE[key].gate == "writer"
                    and key != "GET /v1/editorial/articles")
            for name in sorted(declared_parameters(app, key))]


def forged_cursors() -> list[str]:
    """Well-formed cursors carrying payloads where the sort key's values go."""
    from app.core.pagination import encode_cursor

    sorts = ("-published_at", "name", "slug", "id", "changes", "-relevance", "-updated_at")
    return [encode_cursor(sort, [payload, 1]) for sort in sorts for payload in PAYLOADS[:2]]


def _data(e: Exchange) -> Any:
    return json.loads(e.body)["data"] if e.status == 200 else e.status


def test_sql_injection_through_every_list_parameter(world: World, world_app: FastAPI,
                                                    world_client: TestClient) -> None:
    from tests.security.leaks import forbidden_markers

    forbidden = forbidden_markers(world)
    before = world.fingerprint()
    wrong, sent = [], 0
    for key, credential, name in injectable(world_app):
        target = "-" if "-" in TABLE[key].expect else next(iter(TABLE[key].expect))
        plain = prepare(world, key, target, credential,
                        extra_query=f"{name}=zzznomatch").send(world_client)
        cursor = is_cursor(world_app, key, name)
        corpus = (PAYLOADS if free_text(world_app, key, name)
                  else FEW + forged_cursors() if cursor else FEW)
        for payload in corpus:
            query = httpx.QueryParams({name: payload})
            e = prepare(world, key, target, credential, extra_query=str(query)).send(world_client)
            sent += 1
            where = f"{key} as {credential}: {name}={payload!r}"
            if e.status >= 500:
                wrong.append(f"{where}: {e.status}")
                continue
            if found := leaked_objects(e, forbidden):
                wrong.append(f"{where}: leaked {found}")
            if cursor and payload in FEW and e.status < 400:
                wrong.append(f"{where}: a cursor this API never issued was accepted")
            if name in FILTERS and e.status == 200 and _data(e) != _data(plain):
                wrong.append(f"{where}: not what a plain non-matching value answers")
            if name == "q" and e.status == 200:
                words = " ".join(search_terms(payload)) or "zzznomatch"
                alone = prepare(world, key, target, credential,
                                extra_query=str(httpx.QueryParams({"q": words}))).send(
                    world_client)
                if alone.status == 200 and _data(alone) != _data(e):
                    wrong.append(f"{where}: not what its words alone answer")
            if any(trace in e.text for trace in DATABASE_TRACES):
                wrong.append(f"{where}: the answer shows a database error")
    assert sent > 800
    assert not wrong, "\n".join(wrong[:40])
    assert world.fingerprint() == before  # and every table is still there


def test_sql_injection_through_login_and_paths(world_client: TestClient) -> None:
    wrong = []
    for payload in PAYLOADS:
        login = world_client.post("/v1/auth/token", data={
            "grant_type": "password", "username": payload, "password": payload},
            headers={"X-Forwarded-For": "203.0.113.9"})
        if login.status_code not in (401, 422, 429):
            wrong.append(f"login {payload!r}: {login.status_code}")
        slug = httpx.URL("/v1/articles/").join(payload.replace("/", "")).path
        for path in (slug, f"/v1/authors/{payload}", f"/v1/feeds/sections/{payload}.json"):
            r = world_client.get(path, follow_redirects=False)
            if r.status_code >= 500 or r.status_code == 200:
                wrong.append(f"GET {path}: {r.status_code}")
    assert not wrong, "\n".join(wrong)
