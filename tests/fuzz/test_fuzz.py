"""Schemathesis over the whole OpenAPI document: every operation of the Content, Editorial,
Syndication and Operations APIs, every method, schema-valid and schema-invalid data, with an
admin's bearer token and a partner's API key, against a real newsroom in the run's database, and
every check schemathesis has (tests/fuzz/checks.py).

KHABAR_FUZZ_EXAMPLES sets the examples per operation: small in the suite, 500 in `make fuzz`.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from schemathesis import DataGenerationMethod
from sqlmodel import Session

from tests.fuzz.checks import CHECKS
from tests.fuzz.harness import (
    EXAMPLES,
    PHASES,
    Stage,
    credentials,
    load_schema,
    resolve_current_etag,
)
from tests.fuzz.world import restore_fuzzer

pytestmark = pytest.mark.slow  # `make test` runs it; `make test-quick` does not

schema = load_schema(DataGenerationMethod.positive, DataGenerationMethod.negative)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
          database=None, phases=PHASES)
def test_api(case: Any, stage: Stage, session: Session) -> None:
    assert stage.world is not None
    restore_fuzzer(session, stage.world)
    resolve_current_etag(case, session)
    headers = credentials(case, stage.world)
    response = case.call(headers=headers)
    stage.sent += 1
    # JSON is UTF-8 (RFC 8259) and carries no charset; without this the client guesses one
    # from the bytes (e.g. cp932 for a slug of random CJK) and then fails to parse it.
    response.encoding = "utf-8"
    case.validate_response(response, checks=CHECKS, headers=headers)
