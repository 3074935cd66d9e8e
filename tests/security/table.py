"""Who may call each route of the app, and what every caller gets for every object state.

`TABLE` has one entry per route (`"METHOD /path/template"`, as `app.routes` lists them; a mount
is `"MOUNT /path"`). An entry names the route's gate (who is admitted at all), the objects it is
called on (targets: states of the world's objects, or `-` for none) and, for each target, the
status an admitted caller gets: one number for every admitted role, or `(writer, editor, admin)`
where the object decides (writers see only their own articles, as 404). `expected()` turns an
entry into the status for any credential: the contract's 401 (no valid credential for the
surface), 403 (a newsroom user below the gate) or the table's own status.

A route added to the app with no entry here fails `test_every_route_has_an_expectation`.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from PIL import Image

from app.core.preconditions import revision_etag
from tests.factories import PASSWORD
from tests.security.world import (
    ARTICLE_STATES,
    BRIEF_STATES,
    EMAIL_DOMAIN,
    PARTNER_ARTICLES,
    PUBLIC_ARTICLES,
    WRITER_HIDDEN_ARTICLES,
    World,
)

Expect = int | tuple[int, int, int]
RANK = {"writer": 1, "editor": 2, "admin": 3}
MISSING = "missing"
ARTICLE_TARGETS = (*ARTICLE_STATES, MISSING)
DRAFT_STATUS = frozenset({"draft", "revised", "unpublished", "other_draft", "previewed"})
LIVE_STATUS = frozenset({"scheduled", "published", "denied", "other_section", "deleted"})
# Every change stores one: all but the untouched drafts.
HAS_REVISION = frozenset(ARTICLE_STATES) - {"draft", "other_draft", "previewed"}
# A missing object behind a role check: the loader runs first for briefs, authors, sections and
# tags (404 for everyone), but users and partners are loaded only for admins (403 first).
LOADED_FIRST: Expect = (404, 404, 404)
ADMIN_FIRST: Expect = (403, 403, 404)


@dataclass(frozen=True)
class Kind:
    """How a route's path names an object, and how to get one for a target."""

    existing: Callable[[World, str], Any]
    params: Callable[[Any], dict[str, str]]
    fresh: Callable[[World, str], Any] | None = None  # a new object like the target, for writes
    missing: dict[str, str] | None = None


def _get(attr: str) -> Callable[[World, str], Any]:
    return lambda world, target: getattr(world, attr)[target]


KINDS = {
    "none": Kind(lambda _w, _t: None, lambda _o: {}),
    "article": Kind(_get("articles"), lambda a: {"article_id": a.id},
                    lambda w, t: w.article(t, w.fresh_name()), {"article_id": "0" * 32}),
    "revision": Kind(_get("articles"), lambda a: {"article_id": a.id, "n": "1"},
                     lambda w, t: w.article(t, w.fresh_name()), {"article_id": "0" * 32, "n": "1"}),
    "article_slug": Kind(_get("articles"), lambda a: {"slug": a.slug}, None,
                         {"slug": "no-such-article"}),
    "brief": Kind(_get("briefs"), lambda b: {"brief_id": str(b.id)},
                  lambda w, t: w.brief(t, w.fresh_name()), {"brief_id": "999999"}),
    "author": Kind(_get("authors"), lambda a: {"author_id": str(a.id)},
                   lambda w, t: w.author(t), {"author_id": "999999"}),
    "author_slug": Kind(_get("authors"), lambda a: {"slug": a.slug}, None,
                        {"slug": "no-such-author"}),
    "section": Kind(_get("sections"), lambda s: {"slug": s.slug}, lambda w, t: w.section(t),
                    {"slug": "no-such-section"}),
    "tag": Kind(_get("tags"), lambda t: {"slug": t.slug}, lambda w, t: w.tag(t),
                {"slug": "no-such-tag"}),
    "user": Kind(_get("users"), lambda u: {"user_id": str(u.id)}, lambda w, t: w.user(t),
                 {"user_id": "999999"}),
    "partner": Kind(_get("partners"), lambda p: {"partner_id": str(p.id)},
                    lambda w, t: w.partner(t)[0], {"partner_id": "999999"}),
    "webhook": Kind(_get("webhooks"), lambda e: {"endpoint_id": e.id}, None,
                    {"endpoint_id": "0" * 32}),
    "webhook_delivery": Kind(_get("deliveries"), lambda d: {
        "endpoint_id": d.endpoint_id, "delivery_id": d.message_id}, None,
        {"endpoint_id": "0" * 32, "delivery_id": "msg_missing"}),
    # Feeds: the target is the path itself (`news.rss` = section `news`, kind `rss`).
    "feed": Kind(lambda _w, t: t, lambda t: {"kind": t}),
    "section_feed": Kind(lambda _w, t: t, lambda t: dict(zip(("slug", "kind"), t.split("."),
                                                            strict=True))),
    "static": Kind(lambda _w, t: t, lambda _t: {}),
    # `own.rss` = the feed of the world's author `own`, kind `rss`.
    "author_feed": Kind(lambda w, t: (w.authors[t.split(".")[0]].slug, t.split(".")[1]),
                        lambda o: {"slug": o[0], "kind": o[1]}),
    "preview": Kind(lambda _w, t: t, lambda t: {"token": t}),
    # No link exists: each caller meets the article check, then a 404 for the link.
    "media": Kind(_get("media"), lambda m: {"media_id": m.id}, lambda w, t: w.medium(t),
                  {"media_id": "0" * 32}),
    # A rendition of the writer's image: the target is its name (`w320.webp`).
    "rendition": Kind(lambda w, t: (w.media["own"].id, t),
                      lambda o: {"media_id": o[0], "name": o[1]}, None,
                      {"media_id": "0" * 32, "name": "w320.webp"}),
    "preview_link": Kind(_get("articles"), lambda a: {"article_id": a.id, "link_id": "999999"},
                         None, {"article_id": "0" * 32, "link_id": "999999"}),
}


@dataclass(frozen=True)
class Spec:
    gate: str  # public | login | partner | writer | editor | admin
    expect: Mapping[str, Expect]
    kind: str = "none"
    query: str | Callable[[World, str], str] = ""
    body: Callable[[World, str], Any] | None = None
    writes: bool = False  # each newsroom caller gets a fresh object (refused callers: the world's)

    def path_params(self, obj: Any, target: str) -> dict[str, str]:
        kind = KINDS[self.kind]
        if target == MISSING:
            assert kind.missing is not None
            return kind.missing
        return kind.params(obj)

    def query_for(self, world: World, target: str) -> str:
        return self.query(world, target) if callable(self.query) else self.query


def expected(spec: Spec, credential: str, target: str) -> int:
    want = spec.expect[target]
    if spec.gate in ("public", "login"):
        assert isinstance(want, int)
        return want
    if spec.gate == "partner":
        return want if credential == "partner" else 401  # type: ignore[return-value]
    if credential not in RANK:
        return 401  # no valid newsroom token: missing, garbage, expired, forged, orphaned, a key
    if isinstance(want, tuple):
        return want[RANK[credential] - 1]
    return want if RANK[credential] >= RANK[spec.gate] else 403


def if_match(obj: Any) -> dict[str, str]:
    revision = getattr(obj, "revision", None)
    return {"If-Match": revision_etag(obj.id, revision)} if revision else {}


# ---- expectations of the article routes ---------------------------------------------------


def articles(writer: Callable[[str], int], editor: Callable[[str], int],
             admin: Callable[[str], int] | None = None) -> dict[str, Expect]:
    """(writer, editor, admin) per article state. A writer meets only their own, undeleted
    articles: any other answers 404 before any role check, so ids cannot be probed."""
    admin = admin or editor
    out: dict[str, Expect] = {}
    for t in ARTICLE_TARGETS:
        if t == MISSING:
            out[t] = (404, 404, 404)
        else:
            out[t] = (404 if t in WRITER_HIDDEN_ARTICLES else writer(t), editor(t), admin(t))
    return out


def _unless_deleted(ok: int) -> Callable[[str], int]:
    return lambda t: 409 if t == "deleted" else ok


def _revision(t: str) -> int:
    return 200 if t in HAS_REVISION else 404


def _restore_revision_by_writer(t: str) -> int:
    return 403 if t not in DRAFT_STATUS else _revision(t)


def _restore_revision_by_editor(t: str) -> int:
    return 409 if t == "deleted" else _revision(t)


def _all(status: int) -> Callable[[str], int]:
    return lambda _t: status


def _by_state(ok: frozenset[str], yes: int = 200, no: int = 404) -> dict[str, Expect]:
    return {t: yes if t in ok else no for t in ARTICLE_TARGETS}


# ---- bodies ---------------------------------------------------------------------------------


def _article_body(world: World, _target: str) -> dict[str, Any]:
    return {"title": f"New {world.fresh_name()}", "authors": [world.authors["own"].slug]}


def _import_body(world: World, target: str) -> dict[str, Any]:
    name = world.fresh_name()
    return {"text": f"Imported {name}\n\nA paragraph of the page.\n\n(Author {name} is a "
                    "reporter.)", "publish": target == "publish"}


def _login_body(world: World, target: str) -> tuple[str, dict[str, str]]:
    # A new unknown account each time: the throttle counts failures per account too.
    email = (world.users["writer"].email if target == "right"
             else f"nobody-{world.fresh_name()}@{EMAIL_DOMAIN}")
    password = PASSWORD if target == "right" else "wrong password"
    return "form", {"grant_type": "password", "username": email, "password": password}


def _upload_body(world: World, _target: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "PNG")
    return "multipart", {"alt": f"Alt {world.fresh_name()}"}, {
        "file": ("photo.png", out.getvalue(), "application/octet-stream")}


def _named(field: str, prefix: str = "") -> Callable[[World, str], dict[str, Any]]:
    return lambda world, _target: {field: f"{prefix}{world.fresh_name()}"}


ONE = {"-": 200}


def _webhook_routes(prefix: str, gate: str, own: str, foreign: str,
                    refused: Expect) -> dict[str, Spec]:
    """The same routes at both prefixes: `own` endpoints answer, `foreign` ones are missing."""
    def on(ok: int, target: str = own) -> dict[str, Expect]:
        return {target: ok, foreign: refused, MISSING: refused}

    one = f"{prefix}/{{endpoint_id}}"
    return {
        f"GET {prefix}": Spec(gate, ONE, query="limit=100"),
        f"POST {prefix}": Spec(gate, {"-": 201}, body=lambda w, _t: {
            "url": f"https://hooks.example.org/{w.fresh_name()}", "events": ["ping"]},
            writes=True),
        f"GET {one}": Spec(gate, on(200), kind="webhook"),
        f"PATCH {one}": Spec(gate, on(200), kind="webhook",
                             body=lambda _w, _t: {"description": "changed"}, writes=True),
        f"DELETE {one}": Spec(gate, on(204, f"{own}_doomed"), kind="webhook", writes=True),
        f"POST {one}/rotate-secret": Spec(gate, on(200), kind="webhook", writes=True),
        f"POST {one}/test": Spec(gate, on(202), kind="webhook", writes=True),
        f"GET {one}/deliveries": Spec(gate, on(200), kind="webhook", query="limit=100"),
        f"POST {one}/deliveries/{{delivery_id}}/redeliver": Spec(
            gate, on(202), kind="webhook_delivery", writes=True),
    }
EDITORIAL_ARTICLES_QUERY = {"-": "limit=100", "deleted": "limit=100&deleted=true",
                            "status_draft": "limit=100&status=draft"}

TABLE: dict[str, Spec] = {
    # ---- operations and documentation: public by design ----
    "GET /openapi.json": Spec("public", ONE),
    "GET /docs": Spec("public", ONE),
    "GET /docs/oauth2-redirect": Spec("public", ONE),
    "GET /redoc": Spec("public", ONE),
    "MOUNT /docs/static": Spec("public", {"swagger-ui.css": 200}, kind="static"),
    "GET /healthz": Spec("public", ONE),
    "GET /readyz": Spec("public", ONE),
    "GET /metrics": Spec("public", ONE),  # unless KHABAR_METRICS_TOKEN is set (tests/ops)

    # ---- Content API: public, only what is published, whoever asks ----
    "GET /v1/site": Spec("public", ONE),
    "GET /v1/articles": Spec("public", {"-": 200, "bodies": 200}, query=lambda _w, t: (
        "limit=100" if t == "-" else "limit=100&include=body&formats=blocks,html,text")),
    "GET /v1/articles/{slug}": Spec("public", _by_state(PUBLIC_ARTICLES), kind="article_slug",
                                    query="formats=blocks,html,text"),
    "GET /v1/search": Spec("public", dict.fromkeys(ARTICLE_STATES, 200), query=lambda w, t: (
        f"limit=100&q={w.marker('article', t)}")),
    "GET /v1/authors": Spec("public", ONE, query="limit=100"),
    "GET /v1/authors/{slug}": Spec("public", {"own": 200, "other": 404, "unused": 404,
                                              MISSING: 404}, kind="author_slug"),
    "GET /v1/briefs": Spec("public", ONE, query="limit=100"),
    "GET /v1/briefs/today": Spec("public", ONE, query="limit=100"),
    "GET /v1/sections": Spec("public", ONE, query="limit=100"),
    "GET /v1/tags": Spec("public", ONE, query="limit=100"),
    "GET /v1/feeds/latest.{kind}": Spec("public", {"rss": 200, "atom": 200, "json": 200,
                                                   "html": 422}, kind="feed"),
    "GET /v1/feeds/sections/{slug}.{kind}": Spec(
        "public", {"news.rss": 200, "news.atom": 200, "news.json": 200, "empty.json": 200,
                   "nowhere.json": 404, "news.html": 422}, kind="section_feed"),
    "GET /v1/sitemaps/news.xml": Spec("public", ONE),
    "GET /v1/sitemaps/index.xml": Spec("public", ONE),
    "GET /v1/sitemaps/articles.xml": Spec("public", ONE),
    "GET /robots.txt": Spec("public", ONE),
    # Old URLs of every article: only a public article's answers; others are as unknown.
    "GET /v1/redirects": Spec("public", {**{t: 200 if t in PUBLIC_ARTICLES else 404
                                                  for t in ARTICLE_STATES}, "unknown": 404},
                              query=lambda w, t: f"path={w.redirect_path(t)}"),
    # Renditions are public (the URLs go into published pages); sizes outside the ladder need
    # the server's signature.
    "GET /media/{media_id}/{name}": Spec("public", {"w320.webp": 200, "w320": 200,
                                                    "w750.webp": 403, "w320.svg": 404,
                                                    MISSING: 404}, kind="rendition"),
    "GET /v1/front": Spec("public", {"-": 200, "ne": 200}, query=lambda _w, t: (
        "" if t == "-" else "language=ne&per_section=20&featured=20")),
    "GET /v1/articles/{slug}/related": Spec("public", _by_state(PUBLIC_ARTICLES),
                                            kind="article_slug", query="limit=20"),
    "GET /v1/sections/{slug}": Spec("public", {"news": 200, "empty": 200, MISSING: 404},
                                    kind="section"),
    "GET /v1/tags/{slug}": Spec("public", {"public": 200, "hidden": 404, MISSING: 404},
                                kind="tag"),
    "GET /v1/feeds/authors/{slug}.{kind}": Spec(
        "public", {"own.rss": 200, "own.atom": 200, "own.json": 200, "other.json": 404,
                   "unused.rss": 404, "own.html": 422}, kind="author_feed"),
    "GET /v1/feeds/tags/{slug}.{kind}": Spec(
        "public", {"public-tag.rss": 200, "public-tag.atom": 200, "public-tag.json": 200,
                   "hidden-tag.json": 404, "nowhere.rss": 404, "public-tag.html": 422},
        kind="section_feed"),
    "GET /v1/preview/{token}": Spec("public", {"A" * 43: 404, "short": 404}, kind="preview"),

    # ---- logging in ----
    "POST /v1/auth/token": Spec("login", {"right": 200, "wrong": 401}, body=_login_body),

    # ---- Editorial API: articles ----
    "GET /v1/editorial/articles": Spec("writer", {
        "-": 200, "deleted": (403, 200, 200), "status_draft": 200, "other_author": 200},
        query=lambda w, t: EDITORIAL_ARTICLES_QUERY.get(
            t, f"limit=100&author={w.authors['other'].slug}")),
    "POST /v1/editorial/articles": Spec("writer", {"-": 201}, body=_article_body, writes=True),
    "GET /v1/editorial/articles/{article_id}": Spec(
        "writer", articles(_all(200), _all(200)), kind="article"),
    "PATCH /v1/editorial/articles/{article_id}": Spec(
        "writer", articles(lambda t: 200 if t in DRAFT_STATUS else 403, _unless_deleted(200)),
        kind="article", body=lambda w, _t: {"title": f"Changed {w.fresh_name()}"}, writes=True),
    "DELETE /v1/editorial/articles/{article_id}": Spec(
        "editor", articles(_all(403), _unless_deleted(200)), kind="article", writes=True),
    "POST /v1/editorial/articles/{article_id}/restore": Spec(
        "admin", articles(_all(403), _all(403),
                          lambda t: 200 if t in ("deleted", "killed") else 409),
        kind="article", writes=True),
    "POST /v1/editorial/articles/{article_id}/publish": Spec(  # a killed one: only restore
        "editor", articles(_all(403), lambda t: 409 if t in ("deleted", "killed") else 200),
        kind="article", writes=True),
    "POST /v1/editorial/articles/{article_id}/kill": Spec(
        "editor", articles(_all(403), lambda t: 200 if t in LIVE_STATUS - {"deleted"} else 409),
        kind="article",
        body=lambda _w, _t: {"reason": "Legal"}, writes=True),
    "POST /v1/editorial/articles/{article_id}/unpublish": Spec(
        "editor", articles(_all(403), lambda t: 200 if t in LIVE_STATUS - {"deleted"} else 409),
        kind="article", writes=True),
    "GET /v1/editorial/articles/{article_id}/revisions": Spec(
        "writer", articles(_all(200), _all(200)), kind="article"),
    "GET /v1/editorial/articles/{article_id}/revisions/{n}": Spec(
        "writer", articles(_revision, _revision), kind="revision"),
    "POST /v1/editorial/articles/{article_id}/revisions/{n}/restore": Spec(
        "writer", articles(_restore_revision_by_writer, _restore_revision_by_editor),
        kind="revision", writes=True),
    "POST /v1/editorial/articles/{article_id}/corrections": Spec(
        # Only a published article takes one: any other state is a 409 (tests/corrections).
        "editor", articles(_all(403), lambda t: 201 if t in PUBLIC_ARTICLES else 409),
        kind="article",
        body=lambda _w, _t: {"kind": "correction", "text": "A fact was wrong."}, writes=True),
    "POST /v1/editorial/articles/{article_id}/preview-links": Spec(
        "writer", articles(_all(201), _all(201)), kind="article", writes=True),
    "GET /v1/editorial/articles/{article_id}/preview-links": Spec(
        "writer", articles(_all(200), _all(200)), kind="article"),
    "DELETE /v1/editorial/articles/{article_id}/preview-links/{link_id}": Spec(
        "writer", articles(_all(404), _all(404)), kind="preview_link"),
    "POST /v1/editorial/import": Spec("writer", {"draft": 201, "publish": (403, 201, 201)},
                                      body=_import_body, writes=True),

    # ---- Editorial API: media (writers upload and change their own; editors any, and delete) --
    "GET /v1/editorial/media": Spec("writer", ONE, query="limit=100"),
    "POST /v1/editorial/media": Spec("writer", {"-": 201}, body=_upload_body, writes=True),
    "GET /v1/editorial/media/{media_id}": Spec(
        "writer", {"own": 200, "other": 200, MISSING: 404}, kind="media"),
    "PATCH /v1/editorial/media/{media_id}": Spec(
        "writer", {"own": 200, "other": (403, 200, 200), MISSING: 404}, kind="media",
        body=lambda w, _t: {"alt": f"Changed {w.fresh_name()}"}, writes=True),
    "DELETE /v1/editorial/media/{media_id}": Spec(
        "editor", {"own": (403, 204, 204), "other": (403, 204, 204), MISSING: LOADED_FIRST},
        kind="media", writes=True),

    # ---- Editorial API: authors, briefs, sections, tags ----
    "GET /v1/editorial/authors": Spec("writer", ONE, query="limit=100"),
    "POST /v1/editorial/authors": Spec("editor", {"-": 201}, body=_named("name", "Author "),
                                       writes=True),
    "GET /v1/editorial/authors/{author_id}": Spec(
        "writer", {"own": 200, "other": 200, "unused": 200, MISSING: 404}, kind="author"),
    "PATCH /v1/editorial/authors/{author_id}": Spec(
        "writer", {"own": 200, "other": (403, 200, 200), "unused": (403, 200, 200),
                   MISSING: 404}, kind="author", body=_named("bio"), writes=True),
    "DELETE /v1/editorial/authors/{author_id}": Spec(
        "admin", {"own": (403, 403, 409), "other": (403, 403, 409), "unused": (403, 403, 204),
                  MISSING: LOADED_FIRST}, kind="author", writes=True),
    "GET /v1/editorial/briefs": Spec("writer", {"-": 200, "deleted": 200}, query=lambda _w, t: (
        "limit=100" if t == "-" else "limit=100&include_deleted=true")),
    "POST /v1/editorial/briefs": Spec("editor", {"-": 201}, body=lambda w, _t: {
        "headline": f"New {w.fresh_name()}", "date": str(w.today)}, writes=True),
    "PUT /v1/editorial/briefs/order": Spec("editor", ONE, query="date=2001-01-01",
                                           body=lambda _w, _t: {"ids": []}, writes=True),
    "GET /v1/editorial/briefs/{brief_id}": Spec(
        "writer", {**dict.fromkeys(BRIEF_STATES, 200), MISSING: 404}, kind="brief"),
    "PATCH /v1/editorial/briefs/{brief_id}": Spec(
        "editor", {**{t: 409 if t == "deleted" else 200 for t in BRIEF_STATES},
                   MISSING: LOADED_FIRST}, kind="brief", body=_named("summary"), writes=True),
    "DELETE /v1/editorial/briefs/{brief_id}": Spec(
        "editor", {**{t: 409 if t == "deleted" else 204 for t in BRIEF_STATES},
                   MISSING: LOADED_FIRST}, kind="brief", writes=True),
    "GET /v1/editorial/sections": Spec("writer", ONE, query="limit=100"),
    "POST /v1/editorial/sections": Spec("editor", {"-": 201}, body=_named("name", "Section "),
                                        writes=True),
    "GET /v1/editorial/sections/{slug}": Spec(
        "writer", {"news": 200, "empty": 200, MISSING: 404}, kind="section"),
    "PATCH /v1/editorial/sections/{slug}": Spec(
        "editor", {"news": 200, "empty": 200, MISSING: LOADED_FIRST}, kind="section",
        body=_named("description"), writes=True),
    "DELETE /v1/editorial/sections/{slug}": Spec(
        "admin", {"news": (403, 403, 409), "empty": (403, 403, 204), MISSING: LOADED_FIRST},
        kind="section", writes=True),
    "GET /v1/editorial/tags": Spec("writer", ONE, query="limit=100"),
    "POST /v1/editorial/tags": Spec("editor", {"-": 201}, body=_named("name", "Tag "),
                                    writes=True),
    "GET /v1/editorial/tags/{slug}": Spec(
        "writer", {"public": 200, "hidden": 200, MISSING: 404}, kind="tag"),
    "PATCH /v1/editorial/tags/{slug}": Spec(
        "editor", {"public": 200, "hidden": 200, MISSING: LOADED_FIRST}, kind="tag",
        body=_named("name"), writes=True),
    "DELETE /v1/editorial/tags/{slug}": Spec(
        "admin", {"public": (403, 403, 204), "hidden": (403, 403, 204), MISSING: LOADED_FIRST},
        kind="tag", writes=True),

    # ---- Editorial API: users and partners (admins) ----
    "GET /v1/editorial/users": Spec("admin", ONE, query="limit=100"),
    "POST /v1/editorial/users": Spec("admin", {"-": 201}, body=lambda w, _t: {
        "email": f"new-{w.fresh_name()}@{EMAIL_DOMAIN}", "password": "a long new password",
        "role": "writer"}, writes=True),
    "GET /v1/editorial/users/{user_id}": Spec(
        "admin", {"writer": 200, "admin": 200, "disabled": 200, MISSING: ADMIN_FIRST},
        kind="user"),
    "PATCH /v1/editorial/users/{user_id}": Spec(
        "admin", {"writer": 200, "admin": 200, "disabled": 200, MISSING: ADMIN_FIRST},
        kind="user", body=_named("name"), writes=True),
    "GET /v1/editorial/partners": Spec("admin", ONE, query="limit=100"),
    "POST /v1/editorial/partners": Spec("admin", {"-": 201}, body=_named("name"), writes=True),
    "GET /v1/editorial/partners/{partner_id}": Spec(
        "admin", {"active": 200, "revoked": 200, MISSING: ADMIN_FIRST}, kind="partner"),
    "PATCH /v1/editorial/partners/{partner_id}": Spec(
        "admin", {"active": 200, "revoked": 200, MISSING: ADMIN_FIRST}, kind="partner",
        body=lambda _w, _t: {"rate_limit": "999999/minute"}, writes=True),
    "POST /v1/editorial/partners/{partner_id}/rotate": Spec(
        "admin", {"active": 200, "revoked": 200, MISSING: ADMIN_FIRST}, kind="partner",
        writes=True),
    "POST /v1/editorial/partners/{partner_id}/revoke": Spec(
        "admin", {"active": 200, "revoked": 200, MISSING: ADMIN_FIRST}, kind="partner",
        writes=True),

    "GET /v1/editorial/audit": Spec("admin", ONE, query="limit=100"),

    # ---- Syndication API: the partner's key, and only what the partner may republish ----
    "GET /v1/syndication/articles": Spec("partner", {"-": 200, "ninjs": 200}, query=lambda _w, t: (
        "limit=100" if t == "-" else "limit=100&format=ninjs")),
    "GET /v1/syndication/articles/{article_id}": Spec(
        "partner", _by_state(PARTNER_ARTICLES), kind="article"),
    "GET /v1/syndication/changes": Spec("partner", ONE, query="limit=100"),
    "GET /v1/sync": Spec("public", ONE, query="limit=100&include=body"),
    "GET /v1/syndication/feed.{kind}": Spec("partner", {"atom": 200, "json": 200, "rss": 422},
                                            kind="feed"),
    "GET /v1/syndication/usage": Spec("partner", ONE),

    # ---- webhooks: the newsroom's (admins) and each partner's own; another's is a 404 ----
    **_webhook_routes("/v1/editorial/webhooks", "admin", "newsroom", "partner", ADMIN_FIRST),
    **_webhook_routes("/v1/syndication/webhooks", "partner", "partner", "newsroom", 404),
}
