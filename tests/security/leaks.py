"""What no response may show, and to whom: hidden objects per view, secrets, private fields."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

from tests.security.runner import Exchange
from tests.security.world import (
    ARTICLE_STATES,
    BRIEF_STATES,
    EMAIL_DOMAIN,
    PARTNER_ARTICLES,
    PUBLIC_ARTICLES,
    PUBLIC_BRIEFS,
    ROLES,
    WRITER_HIDDEN_ARTICLES,
    World,
)

# Keys that are never part of any response, whoever asks.
NEVER_KEYS = frozenset({"password", "password_hash", "key_hash", "secret_key"})
# Keys of the newsroom's own bookkeeping: never on the Content or Syndication surfaces.
NEWSROOM_KEYS = frozenset({"email", "user_id", "created_by_id", "deleted_at", "status",
                           "api_key", "key_prefix", "snapshot", "disabled"})


def forbidden_markers(world: World) -> dict[str, set[str]]:
    """View -> marker words, ids and slugs that must never appear in it."""
    hidden = set(ARTICLE_STATES) - PUBLIC_ARTICLES
    content = world.article_marks(hidden) | world.brief_marks(set(BRIEF_STATES) - PUBLIC_BRIEFS)
    return {
        "content": content,
        "syndication": content | world.article_marks(set(ARTICLE_STATES) - PARTNER_ARTICLES),
        "writer": world.article_marks(WRITER_HIDDEN_ARTICLES),
        "editor": set(),
        "admin": set(),
        # Someone the Editorial API refuses learns nothing at all.
        "refused": content | world.article_marks(set(ARTICLE_STATES)),
    }


def view_of(exchange: Exchange) -> str:
    if exchange.surface == "editorial":
        return exchange.credential if exchange.credential in ROLES else "refused"
    return "syndication" if exchange.surface == "syndication" else "content"


def own_echo_removed(exchange: Exchange) -> str:
    """The body without what the request itself said (its URL in `links.self` or a feed's self
    link, its path in a problem's `instance`, a path parameter in a problem's `detail`), and
    without the ids of change-feed tombstones, which name what a partner must take down."""
    text = exchange.text
    # Values the request sent, as links may repeat them (`links.next` of the change feed adds
    # its own parameter, so the whole URL is not enough). Numeric ids are too short to strip:
    # "4" would cut every 4 out of the body.
    sent = [*exchange.path_params.values(),
            *(v for _, v in parse_qsl(urlsplit(exchange.url).query, keep_blank_values=True))]
    values = [form for v in sent if len(v) >= 6 for form in (v, quote(v, safe=""), quote_plus(v))]
    for echo in (exchange.url, exchange.url.replace("&", "&amp;"), exchange.path, *values):
        text = text.replace(echo, "")
    if exchange.key == "GET /v1/syndication/changes" and exchange.status == 200:
        for item in json.loads(exchange.body)["data"]:
            if item["op"] == "delete":
                assert item["article"] is None, item
                text = text.replace(f'"id":"{item["id"]}"', "")
    return text


def leaked_objects(exchange: Exchange, forbidden: dict[str, set[str]]) -> list[str]:
    text = own_echo_removed(exchange)
    return sorted(mark for mark in forbidden[view_of(exchange)] if mark in text)


def may_show_emails(exchange: Exchange) -> bool:
    return exchange.key.startswith(("GET /v1/editorial/users", "POST /v1/editorial/users",
                                    "PATCH /v1/editorial/users")) and exchange.status < 300


def without_audit_actors(exchange: Exchange) -> str:
    """The audit log's body without each entry's `actor_email`: the admin-only audit log names
    who acted (or who tried to log in) by design; any other email in it is still a leak."""
    doc = json.loads(exchange.body)
    for entry in doc["data"]:
        entry["actor_email"] = None
    body = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    return own_echo_removed(replace(exchange, body=body))


def leaked_secrets(exchange: Exchange, secrets: dict[str, str]) -> list[str]:
    text = own_echo_removed(exchange)
    found = [label for label, value in secrets.items() if value in text]
    emails = text
    if exchange.key == "GET /v1/editorial/audit" and exchange.status == 200:
        emails = without_audit_actors(exchange)
    if EMAIL_DOMAIN in emails and not may_show_emails(exchange):
        found.append("a user's email")
    return found


def json_keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            # A problem's HTTP `status` and a health check's `"status": "ok"` are no article's.
            if not (key == "status" and (isinstance(item, int) or item == "ok")):
                yield key
            yield from json_keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_keys(item)


def parsed(exchange: Exchange) -> Any:
    content_type = exchange.headers.get("content-type", "")
    if "json" not in content_type or not exchange.body:
        return None
    return json.loads(exchange.body)


def private_keys(exchange: Exchange) -> list[str]:
    """Keys of the response that its surface must never carry."""
    doc = parsed(exchange)
    if doc is None:
        return []
    keys = set(json_keys(doc))
    if exchange.key == "GET /openapi.json":
        return []  # the document describes the schemas, editorial ones included
    bad = keys & NEVER_KEYS
    if exchange.surface in ("content", "syndication", "operations"):
        newsroom = NEWSROOM_KEYS
        if exchange.path.startswith("/v1/syndication/webhooks"):
            newsroom = newsroom - {"status"}  # a delivery's own state, not an article's
        bad |= keys & newsroom
    return sorted(bad)
