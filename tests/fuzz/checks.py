"""Every check the installed schemathesis offers, configured for Khabar's contract, plus the one
it cannot run for us: enforcement of the Editorial API's OAuth2 bearer token (schemathesis'
`ignored_auth` only knows apiKey and http schemes).

Where a check is narrowed, the comment next to it says why: either the document states the rule
in words a JSON Schema cannot carry (opaque cursors, references that must exist, NUL bytes,
ninjs when `format=ninjs`, sparse fieldsets, soft deletes), or schemathesis 3.39 misjudges what
it sent (query values it calls invalid that go over the wire as valid ones).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.internal.checks import (
    CheckConfig,
    NegativeDataRejectionConfig,
    PositiveDataAcceptanceConfig,
)
from schemathesis.specs.openapi.checks import (
    ensure_resource_availability,
    missing_required_header,
    positive_data_acceptance,
    unsupported_method,
    use_after_free,
)

from tests.fuzz.harness import STAGE

# Answers a schema-valid request may get because of the state it meets, each documented on the
# operations that give it: 301 (an old slug), 304 (If-None-Match), 409 (a taken name or slug, a
# state change that does not apply), 412 (a stale If-Match), 428 (If-Match missing), 429 (a
# login throttle). The schema cannot say "send the current ETag" or "a name nobody has".
STATE_DEPENDENT = ["301", "304", "409", "412", "428", "429"]
POSITIVE = CheckConfig(positive_data_acceptance=PositiveDataAcceptanceConfig(
    allowed_statuses=["2xx", "401", "403", "404", *STATE_DEPENDENT]))
# Invalid data is rejected with schemathesis' usual 4xx answers or, on an operation that
# documents them, with the two that refuse what a body carries: 413 (over a size limit) and 415
# (an upload whose bytes are not an image, as a negated `file` part's never are).
REJECTIONS = NegativeDataRejectionConfig().allowed_statuses
BODY_REFUSALS = ("413", "415")
# Inputs whose valid values the schema documents in words, not in a JSON Schema: opaque cursors
# (only ones the API issued), sparse-fieldset names (the item's fields), and references to other
# records, which must exist. A schema-valid value may still name nothing; the answer is then a
# 400/422 problem pointing at exactly that input, which is what these allow, and nothing else.
OPAQUE = {"https://khabar.dev/problems/invalid-cursor"}
REFERENCES = {("query", "fields"), ("body", "article_id"), ("body", "user_id"),
              ("body", "authors"), ("body", "section"), ("body", "sections"), ("body", "ids"),
              ("body", "translation_of")}


# Per operation, inputs whose valid values are documented in words: importPage's `text` must be
# a page the importer can read ("an unreadable page answers 422 naming the line"); a `date_bs`
# must be a day of the Bikram Sambat calendar, whose month lengths no pattern can state; a
# partner's webhook may not subscribe to `brief.published` (briefs are not syndicated: the
# description says so; the one event enum serves admins too); an upload's `file` part must be a
# file (a filename), which multipart's schema cannot tell from a plain field; a backdated
# `published_at` must be in the past ("A future time is refused"), relative to the clock.
WORDS_ONLY = {"importPage": {("body", "text")}, "listBriefs": {("query", "date_bs")},
              "publishArticle": {("body", "published_at")},
              "createPartnerWebhookEndpoint": {("body", "events")},
              "uploadMedia": {("body", "file")}}
# Khabar refuses a NUL character anywhere in a request with a 422 (PostgreSQL text cannot hold
# one); a JSON Schema cannot forbid one character in every string. Allowed when one was sent.
NUL_MESSAGES = {"NUL character in the body", "NUL character in the query"}
# Every stored URL must be an absolute http(s) one (app/articles/blocks.py `check_http_url`). The
# schemas do not carry that pattern: image and block models serve input and output alike, and
# would then call stored rows invalid. Allowed only for URL fields and that validator's words.
URL_FIELDS = {"url", "canonical_url", "avatar_url", "links", "image"}
URL_MESSAGES = ("must be an absolute http(s) URL", "must not contain quotes, angle brackets",
                "must not contain control characters")
# Body text is HTML-sanitized (app/articles/blocks.py); a block whose text is only markup or
# spaces is refused. Which strings sanitize to nothing is not something a schema can state.
SANITIZED_EMPTY = ("text is empty once sanitized", "a list needs at least one non-empty item")
# A PATCH of an image (`image`, `avatar`) merges into the stored one (RFC 7396); a patch that
# names no source is schema-valid and fine for an image that has one, and a 422 naming `url`
# when nothing is stored: state the schema cannot know.
IMAGE_MERGE = ("give exactly one of media_id and url",)

# Query parameters that exclude each other, per operation. OpenAPI cannot state that two
# parameters must not be sent together; their descriptions do ("instead of `date`", "without
# `cursor`"), and the answer when both are sent is a 400/422 problem. Allowed only when both
# were actually sent.
EXCLUSIVE_QUERY = {"listBriefs": [("date", "date_bs")], "syncArticles": [("cursor", "since")]}


def sent_exclusive_pair(response: Any, case: Any) -> bool:
    pairs = EXCLUSIVE_QUERY.get(case.operation.definition.raw.get("operationId"), [])
    sent = parse_qs(urlsplit(response.request.url).query, keep_blank_values=True)
    return any(a in sent and b in sent for a, b in pairs)


def url_rule(error: dict[str, Any]) -> bool:
    names = {part for part in error["loc"] if isinstance(part, str)}
    return bool(names & URL_FIELDS) and any(m in error["msg"] for m in URL_MESSAGES)


def sent_nul(response: Any) -> bool:
    request = response.request
    body = request.body or b""
    body = body.encode() if isinstance(body, str) else body
    # Raw, JSON-escaped (backslash-u0000) or percent-encoded, in the body or the URL.
    return any(nul in body for nul in (b"\x00", b"\\u0000", b"%00")) or "%00" in request.url


def rejects_only_references(response: Any, case: Any) -> bool:
    if response.status_code not in (400, 422):
        return False
    problem = response.json()
    if problem.get("type") in OPAQUE or sent_exclusive_pair(response, case):
        return True
    if (case.operation.definition.raw.get("operationId") == "uploadMedia"
            and problem.get("detail") == "There was an error parsing the body"):
        # schemathesis 3.39 writes some generated form values (non-ASCII field contents with
        # binary parts) as multipart that python-multipart cannot parse: a 400, not a 500.
        return True
    errors = problem.get("errors") or []
    if errors and all(e["msg"] in NUL_MESSAGES for e in errors):
        return sent_nul(response)
    # A `media_id` is a reference to an uploaded media object, like `authors` or `section`.
    if errors and all(url_rule(e) or e["msg"] == "unknown media_id"
                      or any(m in e["msg"] for m in SANITIZED_EMPTY)
                      or (case.method.upper() == "PATCH" and e["msg"] in IMAGE_MERGE)
                      for e in errors):
        return True
    allowed = REFERENCES | WORDS_ONLY.get(case.operation.definition.raw["operationId"], set())
    locs = {tuple(e["loc"][:2]) for e in errors}
    return bool(locs) and locs <= allowed


def accepts_valid_data(ctx: Any, response: Any, case: Any) -> bool | None:
    """positive_data_acceptance with the state-dependent answers above allowed, and rejections
    of a value the schema cannot tell apart (an unknown reference, an unissued cursor)."""
    if rejects_only_references(response, case):
        return None
    return positive_data_acceptance(dataclasses.replace(ctx, config=POSITIVE), response, case)


def rejects_invalid_data(ctx: Any, response: Any, case: Any) -> bool | None:
    """negative_data_rejection, judged on what was sent. schemathesis 3.39 calls a query "invalid"
    when its model of it is: `include_deleted="false"` (a string, not a boolean) or `limit="5"`,
    which go over the wire exactly as the valid values do, and it marks the path parameters of
    an operation that has none as invalid too. When the body and path were not negated, the
    query string actually sent is parsed back and checked against the parameters' schemas
    (unknown parameters are ignored, as the check itself intends)."""
    meta = case.meta
    path_negated = bool(case.operation.path_parameters) and meta is not None and \
        meta.path_parameters is not None and meta.path_parameters.is_negative
    body_negated = meta is not None and meta.body is not None and meta.body.is_negative and \
        not sent_form_is_valid(case, response)
    headers_negated = meta is not None and meta.headers is not None and \
        meta.headers.is_negative and bool(case.headers)
    if meta is not None and not (path_negated or body_negated or headers_negated) and \
            sent_query_is_valid(case, response):
        return None
    documented = case.operation.definition.raw.get("responses", {})
    negative = CheckConfig(negative_data_rejection=NegativeDataRejectionConfig(allowed_statuses=[
        *REJECTIONS, *(status for status in BODY_REFUSALS if status in documented)]))
    return negative_data_rejection(dataclasses.replace(ctx, config=negative), response, case)


def _coerce(text: str, schema: dict[str, Any]) -> Any:
    kinds = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
    if "boolean" in kinds and text in ("true", "false"):
        return text == "true"
    for kind, parse in (("integer", int), ("number", float)):
        if kind in kinds:
            try:
                return parse(text)
            except ValueError:
                pass
    return text


def sent_form_is_valid(case: Any, response: Any) -> bool:
    """A form body as the server reads it: an empty field is a field not sent (FastAPI), so
    `grant_type=` is an absent grant type, not one that fails `^password$`."""
    if case.media_type != "application/x-www-form-urlencoded":
        return False
    body = response.request.body or ""
    body = body.decode() if isinstance(body, bytes) else body
    sent = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items() if v[0] != ""}
    content = case.operation.definition.resolved["requestBody"]["content"]
    schema = content[case.media_type]["schema"]
    value = {k: _coerce(v, schema.get("properties", {}).get(k, {})) for k, v in sent.items()}
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    return jsonschema.Draft202012Validator(schema, format_checker=checker).is_valid(value)


def sent_query_is_valid(case: Any, response: Any) -> bool:
    sent = parse_qs(urlsplit(response.request.url).query, keep_blank_values=True)
    for parameter in case.operation.query:
        schema = parameter.definition.get("schema", {})
        values = sent.get(parameter.name)
        if values is None:
            if parameter.is_required:
                return False
            continue
        if schema.get("type") == "array":
            value: Any = [_coerce(v, schema.get("items", {})) for v in values]
        elif len(values) > 1:
            return False
        else:
            value = _coerce(values[0], schema)
        checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
        if not jsonschema.Draft202012Validator(schema, format_checker=checker).is_valid(value):
            return False
    return True


def conforms_to_schema(ctx: Any, response: Any, case: Any) -> bool | None:
    """response_schema_conformance, except for a sparse fieldset (`?fields=`), whose answer is
    documented as "only the named top-level fields": there every field present must still match
    its schema, only the fields that were not asked for may be missing, and none extra appear."""
    if (case.query or {}).get("format") == "ninjs" and response.status_code == 200:
        return ninjs_conformance(response, case)
    asked = (case.query or {}).get("fields")
    sparse = any(p.name == "fields" for p in case.operation.query)
    if not asked or not isinstance(asked, str) or not sparse or response.status_code != 200:
        return response_schema_conformance(ctx, response, case)
    wanted = {f.strip() for f in asked.split(",") if f.strip()}
    content = case.operation.definition.resolved["responses"]["200"]["content"]
    schema = copy.deepcopy(content["application/json"]["schema"])
    body = response.json()
    items = schema["properties"]["data"]["items"] if "data" in schema.get("properties", {}) \
        else schema
    items.pop("required", None)
    jsonschema.Draft202012Validator(schema).validate(body)
    for item in body["data"] if items is not schema else [body]:
        extra = set(item) - wanted
        assert not extra, f"fields={asked!r} answered fields nobody asked for: {sorted(extra)}"
    return None


@functools.cache
def ninjs_validator(version: str) -> Any:
    from tests.syndication.test_ninjs import validator

    return validator(version)


def ninjs_conformance(response: Any, case: Any) -> None:
    """`format=ninjs` answers IPTC ninjs documents instead of native articles (the operation's
    200 response says so in words): each is checked against the official ninjs schema of the
    requested version, the list envelope against the documented one. In the change feed a
    ninjs document is an upsert's `article` (a delete carries none)."""
    version = str((case.query or {}).get("ninjs_version", "3.1"))
    body = response.json()
    documents = body.get("data", [body])
    for document in documents:
        if "op" in document and "seq" in document:
            document = document.get("article")
            if document is None:
                continue
        ninjs_validator(version).validate(document)
    assert "data" not in body or set(body) == {"data", "meta", "links"}, sorted(body)


def editorial_auth_enforced(_ctx: Any, response: Any, case: Any) -> bool | None:
    """A request that succeeded with the admin's bearer token answers 401 without a token and
    with an invalid one (replayed without the token; nothing else changes)."""
    security = case.operation.definition.raw.get("security") or []
    if not 200 <= response.status_code < 300 or not any("OAuth2Password" in s for s in security):
        return None
    for headers in ({}, {"Authorization": "Bearer SCHEMATHESIS-INVALID-VALUE"}):
        replay = case.partial_deepcopy()
        replay.headers = {k: v for k, v in (replay.headers or {}).items()
                          if k.lower() != "authorization"}
        again = replay.operation.schema.transport.send(replay, headers=headers)
        if again.status_code != 401:
            raise AssertionError(
                f"{case.operation.verbose_name} answered {again.status_code} with "
                f"{'no' if not headers else 'an invalid'} bearer token (expected 401)")
    return None


def auth_not_ignored(ctx: Any, response: Any, case: Any) -> bool | None:
    """ignored_auth, with a case that carries no generated headers: the credentials go in the
    call's `headers`, so `case.headers` may be None, and schemathesis 3.39 then fails with a
    TypeError setting the invalid API key it replays with (`_set_auth_for_case`)."""
    if case.headers is None:
        case.headers = {}
    return ignored_auth(ctx, response, case)


# Deleting an article is documented as reversible (`POST .../restore`; editors list deleted
# articles with `deleted=true`): the Editorial API still reads it afterwards, on purpose.
SOFT_DELETED = ("/v1/editorial/articles/{article_id}",)


def gone_after_delete(ctx: Any, response: Any, case: Any) -> bool | None:
    """use_after_free, except after a documented soft delete (above)."""
    step = case.source
    while step is not None:
        if step.case.operation.method.lower() == "delete" and step.case.path in SOFT_DELETED:
            return None
        step = step.case.source
    return use_after_free(ctx, response, case)


def available_after_create(ctx: Any, response: Any, case: Any) -> bool | None:
    """ensure_resource_availability, for answers that say "no such resource" (404, 410). It
    counts every 4xx after a create as "not available", but a stale `If-Match` (412), a state
    that does not allow the change (409) or a generated body the schema allows and the rules
    refuse are answers about the request; the resource was found. Nor is a 404 after another
    step deleted the resource (Hypothesis reuses one creation for several later steps)."""
    if response.status_code not in (404, 410):
        return None
    if any(case.formatted_path.startswith(path) for path in STAGE.deleted_paths):
        return None
    return ensure_resource_availability(ctx, response, case)


CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    conforms_to_schema,
    rejects_invalid_data,
    accepts_valid_data,
    missing_required_header,
    unsupported_method,
    gone_after_delete,
    available_after_create,
    auth_not_ignored,
    editorial_auth_enforced,
)
