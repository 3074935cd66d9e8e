"""The live OpenAPI document passes Spectral (spectral:oas) and Redocly (recommended) with no errors
and no warnings, and keeps the promises client generators rely on."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.clients.tooling import REPO, bin_path, live_openapi, write_openapi

pytestmark = pytest.mark.slow  # `make test` runs it; `make test-quick` does not

METHODS = ("get", "put", "post", "delete", "patch")
SURFACE_TAGS = {"Content", "Editorial", "Syndication", "Operations"}


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, item in doc["paths"].items()
            for m, op in item.items() if m in METHODS]


@pytest.fixture(scope="module")
def openapi_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_openapi(tmp_path_factory.mktemp("openapi"))


def test_spectral_and_redocly_are_clean(openapi_file: Path) -> None:
    # Both linters start slowly (Spectral ~20 s), so they run side by side.
    spectral = subprocess.Popen(
        [bin_path("spectral"), "lint", "--ruleset", str(REPO / "openapi" / "spectral.yaml"),
         "--fail-severity=warn", "--format", "text", str(openapi_file)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    redocly = subprocess.run(
        [bin_path("redocly"), "lint", "--config", str(REPO / "openapi" / "redocly.yaml"),
         "--format", "json", str(openapi_file)],
        capture_output=True, text=True, timeout=180,
        env={**os.environ, "REDOCLY_TELEMETRY": "off"})
    spectral_out, _ = spectral.communicate(timeout=180)

    assert spectral.returncode == 0, f"spectral found problems:\n{spectral_out}"
    report = json.loads(redocly.stdout[redocly.stdout.index("{"):])
    problems = [f"{p['severity']} {p['ruleId']}: {p['message']} at "
                f"{p['location'][0]['pointer']}" for p in report["problems"]]
    assert (report["totals"]["errors"], report["totals"]["warnings"]) == (0, 0), \
        "redocly found problems:\n" + "\n".join(problems)


class TestDocumentPromises:
    """What the linters do not check but generated clients and readers depend on."""

    doc = staticmethod(live_openapi)

    def test_every_operation_has_a_stable_camel_case_id_summary_and_surface_tag(self) -> None:
        ops = _operations(self.doc())
        ids = [op["operationId"] for _, _, op in ops]
        assert len(ids) == len(set(ids))
        for method, path, op in ops:
            assert re.fullmatch(r"[a-z][a-zA-Z0-9]+", op["operationId"]), (method, path)
            assert op.get("summary"), (method, path)
            assert op.get("description"), (method, path)
            assert set(op["tags"]) <= SURFACE_TAGS, (method, path)

    def test_well_known_operation_ids(self) -> None:
        ids = {(m, p): op["operationId"] for m, p, op in _operations(self.doc())}
        assert ids[("get", "/v1/articles")] == "listArticles"
        assert ids[("get", "/v1/articles/{slug}")] == "getArticleBySlug"

    def test_tags_metadata_and_security_schemes(self) -> None:
        doc = self.doc()
        assert {t["name"] for t in doc["tags"]} >= {"Content", "Editorial", "Syndication"}
        assert all(t.get("description") for t in doc["tags"])
        assert doc["info"]["contact"]
        assert doc["info"]["license"]
        assert doc["servers"]
        schemes = doc["components"]["securitySchemes"]
        kinds = {(s["type"], s.get("in"), s.get("scheme")) for s in schemes.values()}
        assert ("apiKey", "header", None) in kinds
        assert any(s["type"] in ("oauth2", "http") for s in schemes.values())

    def test_security_is_declared_per_surface(self) -> None:
        for method, path, op in _operations(self.doc()):
            if path.startswith(("/v1/editorial", "/v1/syndication")):
                assert op["security"], (method, path)
            elif path.startswith("/v1/") and path != "/v1/auth/token":
                assert op["security"] == [], (method, path)

    def test_every_response_is_documented_with_examples_and_problems(self) -> None:
        for method, path, op in _operations(self.doc()):
            statuses = set(op["responses"])
            assert any(s.startswith("2") or s.startswith("3") for s in statuses), (method, path)
            assert any(s.startswith("4") for s in statuses), (method, path)
            for status, response in op["responses"].items():
                for media_type, media in response.get("content", {}).items():
                    assert "example" in media or "examples" in media, (method, path, status)
                    if status.startswith(("4", "5")):
                        assert media_type == "application/problem+json", (method, path, status)
