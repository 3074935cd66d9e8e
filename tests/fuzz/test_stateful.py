"""Stateful fuzzing: schemathesis follows OpenAPI links from what one call creates or returns to
the calls that use it (create an article, then edit it with the ETag it answered, publish it,
read it from the Content and Syndication APIs, delete it...), checking every answer with the
same checks as tests/fuzz/test_fuzz.py plus use-after-free and resource availability.

The links live here, not in the served document: FastAPI cannot declare them per route, and
they describe how to test the API, not what clients may rely on beyond `id` and `ETag`.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from schemathesis import DataGenerationMethod
from sqlmodel import Session

from tests.conftest import empty_database
from tests.fuzz.checks import CHECKS
from tests.fuzz.harness import EXAMPLES, PHASES, Stage, credentials, load_schema
from tests.fuzz.world import build_world, restore_fuzzer

pytestmark = pytest.mark.slow  # `make test` runs it; `make test-quick` does not

schema = load_schema(DataGenerationMethod.positive)

ARTICLE = "/v1/editorial/articles/{article_id}"
# Every answer that is an article in the Editorial shape (its `id`, and its `ETag` for If-Match).
ARTICLE_ANSWERS = [("/v1/editorial/articles", "POST", 201), (ARTICLE, "GET", 200),
                   (ARTICLE, "PATCH", 200), (ARTICLE, "DELETE", 200),
                   (f"{ARTICLE}/publish", "POST", 200), (f"{ARTICLE}/unpublish", "POST", 200),
                   (f"{ARTICLE}/restore", "POST", 200)]
ARTICLE_USES = [(ARTICLE, "GET"), (ARTICLE, "PATCH"), (ARTICLE, "DELETE"),
                (f"{ARTICLE}/publish", "POST"), (f"{ARTICLE}/unpublish", "POST"),
                (f"{ARTICLE}/restore", "POST"), (f"{ARTICLE}/revisions", "GET")]
# (collection, item path, id field): created with POST on the collection, used on the item.
RESOURCES = [
    ("/v1/editorial/authors", "/v1/editorial/authors/{author_id}", "author_id", "id"),
    ("/v1/editorial/briefs", "/v1/editorial/briefs/{brief_id}", "brief_id", "id"),
    ("/v1/editorial/sections", "/v1/editorial/sections/{slug}", "slug", "slug"),
    ("/v1/editorial/tags", "/v1/editorial/tags/{slug}", "slug", "slug"),
    ("/v1/editorial/users", "/v1/editorial/users/{user_id}", "user_id", "id"),
    ("/v1/editorial/partners", "/v1/editorial/partners/{partner_id}", "partner_id", "id"),
]


def link_articles() -> None:
    for path, method, status in ARTICLE_ANSWERS:
        for target_path, target_method in ARTICLE_USES:
            target = schema[target_path][target_method]
            parameters = {"path.article_id": "$response.body#/id"}
            if "If-Match" in target.headers:
                parameters["header.If-Match"] = "$response.header.ETag"
            schema.add_link(source=schema[path][method], target=target, status_code=status,
                            parameters=parameters)
    published = schema[f"{ARTICLE}/publish"]["POST"]
    # A published article is then read by the public and by partners.
    schema.add_link(source=published, target=schema["/v1/articles/{slug}"]["GET"],
                    status_code=200, parameters={"path.slug": "$response.body#/slug"})
    schema.add_link(source=published,
                    target=schema["/v1/syndication/articles/{article_id}"]["GET"],
                    status_code=200, parameters={"path.article_id": "$response.body#/id"})


def link_resources() -> None:
    for collection, item, name, field in RESOURCES:
        created = schema[collection]["POST"]
        for method in schema[item]:
            schema.add_link(source=created, target=schema[item][method], status_code=201,
                            parameters={f"path.{name}": f"$response.body#/{field}"})
    partner = schema["/v1/editorial/partners"]["POST"]
    for action in ("rotate", "revoke"):
        schema.add_link(source=partner,
                        target=schema[f"/v1/editorial/partners/{{partner_id}}/{action}"]["POST"],
                        status_code=201, parameters={"path.partner_id": "$response.body#/id"})


link_articles()
link_resources()


class NewsroomWorkflow(schema.as_state_machine()):  # type: ignore[misc]
    """Calls with the admin's token or the partner's key, and every check."""

    stage: Stage
    session: Session

    def _add_results_to_targets(self, targets: Any, results: list[Any]) -> None:  # noqa: ARG002
        # Hypothesis 6.1xx renamed `_add_result_to_targets`, the hook schemathesis 3.39 overrides
        # to file each answer under the link it can feed; without this every answer lands in
        # the catch-all bundle, no link is ever followed and the machine stops after one call.
        for result in results:
            target = None if result is None else self._get_target_for_result(result)
            if target is not None:
                super()._add_results_to_targets((target,), [result])

    def setup(self) -> None:
        """Every example starts from the same newsroom and a fresh app (its response cache is
        keyed by a content version that restarts at 0): answers, and so the links followed,
        depend only on the steps, as Hypothesis needs to replay and shrink a failure."""
        from app.core.db import get_write_engine
        from app.main import create_app

        self.session.commit()
        empty_database(get_write_engine())
        self.stage.world = build_world(self.session)
        self.stage.app = create_app()
        self.stage.deleted_paths.clear()

    def before_call(self, case: Any) -> None:  # noqa: ARG002
        assert self.stage.world is not None
        restore_fuzzer(self.session, self.stage.world)

    def get_call_kwargs(self, case: Any) -> dict[str, Any]:
        assert self.stage.world is not None
        return {"headers": credentials(case, self.stage.world)}

    def after_call(self, response: Any, case: Any) -> None:
        self.stage.sent += 1
        if case.method.upper() == "DELETE" and 200 <= response.status_code < 300:
            self.stage.deleted_paths.add(case.formatted_path)
        response.encoding = "utf-8"  # JSON carries no charset (see test_fuzz.py)

    def validate_response(self, response: Any, case: Any,
                          additional_checks: tuple[Any, ...] = ()) -> None:  # noqa: ARG002
        case.validate_response(response, checks=CHECKS,
                               headers=self.get_call_kwargs(case)["headers"])


def test_newsroom_workflows(stage: Stage, session: Session) -> None:
    NewsroomWorkflow.stage = stage
    NewsroomWorkflow.session = session
    run_state_machine_as_test(NewsroomWorkflow, settings=settings(
        max_examples=max(5, EXAMPLES // 2), stateful_step_count=10, deadline=None,
        suppress_health_check=list(HealthCheck), database=None, phases=PHASES))
