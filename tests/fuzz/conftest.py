"""The fuzz tests' stage (a fresh app over a real newsroom per test), and the tally of the
schemathesis cases every test sent (also across xdist workers), printed at the end of the run:
`make fuzz` reports "0 failures in N schemathesis cases"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session

from tests.fuzz.harness import STAGE, Stage
from tests.fuzz.world import build_world

CASES_PROPERTY = "schemathesis_cases"


@pytest.fixture
def stage(session: Session, request: pytest.FixtureRequest) -> Iterator[Stage]:
    from app.main import create_app

    STAGE.world = build_world(session)
    STAGE.app = create_app()
    STAGE.sent = 0
    yield STAGE
    request.node.user_properties.append((CASES_PROPERTY, STAGE.sent))
    STAGE.app = STAGE.world = None


class CaseTally:
    def __init__(self) -> None:
        self.cases = 0
        self.failed = 0

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed and report.nodeid.startswith("tests/fuzz/"):
            self.failed += 1
        if report.when == "teardown":
            self.cases += sum(v for k, v in report.user_properties if k == CASES_PROPERTY)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.cases:
            terminalreporter.write_line(
                f"{self.failed} failures in {self.cases} schemathesis cases")


def pytest_configure(config: pytest.Config) -> None:
    # Only where reports come together (the xdist controller, or a run without xdist).
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(CaseTally(), "khabar-fuzz-tally")
