"""What the fuzz tests share: the schema loaded from the app, the ASGI stage it calls, real ids
for generated cases, and the credentials each surface needs."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import jsonschema
import schemathesis
from hypothesis import Phase
from hypothesis import strategies as st
from schemathesis import DataGenerationMethod, GenerationConfig
from schemathesis.specs.openapi import converter
from schemathesis.specs.openapi.constants import LOCATION_TO_CONTAINER
from sqlmodel import Session
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.fuzz.world import World, current_etag

EXAMPLES = int(os.environ.get("KHABAR_FUZZ_EXAMPLES", "10"))
# The documented examples, then generated cases; no shrinking: each case changes the database
# (and ids, timestamps and keys differ on every replay), so Hypothesis cannot replay one
# exactly, and it would spend minutes trying. The failing case is reported as it ran.
PHASES = (Phase.explicit, Phase.generate)
# Stands for "the article's current ETag" until the case is sent.
CURRENT_ETAG = "<current-etag>"

schemathesis.experimental.OPEN_API_3_1.enable()  # FastAPI writes OpenAPI 3.1


def _keep_length_bounds(update: Callable[[dict[str, Any]], None]) -> Callable[..., None]:
    """schemathesis 3.39 folds minLength/maxLength into a pattern's quantifiers and then drops
    them, which is wrong for a repeated group: `^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$` with
    maxLength 35 becomes `...(-[A-Za-z0-9]{1,8}){0,32}$`, and 200-character language tags are
    sent as schema-valid. Keep the bounds next to the rewritten pattern."""

    def update_keeping_bounds(schema: dict[str, Any]) -> None:
        bounds = {k: schema[k] for k in ("minLength", "maxLength") if k in schema}
        update(schema)
        schema.update(bounds)

    return update_keeping_bounds


converter.update_pattern_in_schema = _keep_length_bounds(converter.update_pattern_in_schema)


def _schema_valid_examples(extract: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """schemathesis 3.39 also borrows a parameter's explicit examples from response examples
    with a property of the same name: the front page's `featured` cards become values of the
    `featured` count (`?featured=id&featured=slug...`), sent as schema-valid data. Keep only the
    parameter examples their parameter's schema accepts."""
    from schemathesis.specs.openapi import examples

    def extract_valid(operation: Any) -> Any:
        schemas = {(LOCATION_TO_CONTAINER[p.location], p.name): p.definition.get("schema")
                   for p in operation.iter_parameters()}
        for example in extract(operation):
            schema = schemas.get((example.container, example.name)) \
                if isinstance(example, examples.ParameterExample) else None
            if isinstance(schema, dict) and "$ref" not in str(schema) and \
                    not jsonschema.Draft202012Validator(schema).is_valid(example.value):
                continue
            yield example

    return extract_valid


class Stage:
    """The ASGI app schemathesis calls: each test's fresh app (a new response cache and rate
    limiter for each test's new database) behind one object the schema is loaded with."""

    app: ASGIApp | None = None
    world: World | None = None
    sent = 0  # cases sent in the current test
    deleted_paths: set[str]  # what successful DELETEs removed (stateful tests)

    def __init__(self) -> None:
        self.deleted_paths = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "the `stage` fixture sets the app"
        await self.app(scope, receive, send)


STAGE = Stage()


def load_schema(*methods: DataGenerationMethod) -> Any:
    # Imported here: importing it while pytest loads conftests touches Hypothesis' storage.
    from schemathesis.specs.openapi import examples

    from app.main import create_app

    if not getattr(examples.extract_top_level, "schema_valid", False):
        examples.extract_top_level = _schema_valid_examples(examples.extract_top_level)
        examples.extract_top_level.schema_valid = True  # type: ignore[attr-defined]

    schema = schemathesis.from_dict(
        create_app().openapi(), app=STAGE, data_generation_methods=list(methods),
        # Credentials are real (the admin's token, the partner's key), not generated.
        generation_config=GenerationConfig(with_security_parameters=False))
    schema.hook("before_generate_case")(real_ids)
    return schema


def real_ids(context: Any, strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Schema-valid cases also draw path parameters from the newsroom's real ids and slugs, and
    `If-Match` from the article's current ETag, so they reach past 404 and 412."""
    operation = context.operation
    names = [p.name for p in operation.path_parameters]
    if not names:
        return strategy

    def with_real_values(case: Any) -> st.SearchStrategy[Any]:
        world = STAGE.world
        if world is None or not case.data_generation_method.is_positive:
            return st.just(case)
        choices = {n: world.values_for(operation.path, n) for n in names}
        if not all(choices.values()):
            return st.just(case)
        real = st.fixed_dictionaries({n: st.sampled_from(v) for n, v in choices.items()})
        etag = st.sampled_from([False, True]) if "If-Match" in operation.headers else st.just(False)

        def apply(params: dict[str, Any], current: bool) -> Any:
            case.path_parameters = {**(case.path_parameters or {}), **params}
            if current:
                case.headers = {**(case.headers or {}), "If-Match": CURRENT_ETAG}
            return case

        return st.one_of(st.just(case), st.builds(apply, real, etag))

    return strategy.flatmap(with_real_values)


def credentials(case: Any, world: World) -> dict[str, str]:
    """The admin's bearer token for Editorial routes, the partner's key for Syndication ones."""
    if not case.operation.definition.raw.get("security"):
        return {}
    tags = case.operation.definition.raw.get("tags") or []
    return dict(world.partner_headers if "Syndication" in tags else world.admin_headers)


def resolve_current_etag(case: Any, session: Session) -> None:
    if (case.headers or {}).get("If-Match") == CURRENT_ETAG:
        article_id = (case.path_parameters or {}).get("article_id", "")
        case.headers["If-Match"] = current_etag(session, article_id) or '"gone"'
