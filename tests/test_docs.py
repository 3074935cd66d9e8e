"""The docs' examples run: every URL a `curl` or `fetch(` example in README.md and docs/*.md
requests answers against demo-like data (the seed page imported and published in `opinion`),
and every environment variable the app reads is documented."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app.core.config import Settings
from app.importer.service import import_page
from app.taxonomy import service as taxonomy_service
from app.taxonomy.models import SectionCreate

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
URL = re.compile(r"""https?://127\.0\.0\.1:8000(/[^\s'"`)<>]*)""")
# Examples of errors name things that do not exist on purpose.
MEANT_TO_BE_MISSING = "no-such-"


def example_urls() -> list[tuple[str, str]]:
    found: dict[str, str] = {}
    for doc in DOCS:
        # Join shell continuation lines, so a URL on the line after `curl ... \` still counts.
        text = re.sub(r"\\\n\s*", " ", doc.read_text(encoding="utf-8"))
        for line in text.splitlines():
            if "curl " in line or "fetch(" in line:
                for match in URL.finditer(line):
                    found.setdefault(match.group(1), doc.name)
    return sorted((path, name) for path, name in found.items())


EXAMPLES = example_urls()


def test_docs_have_examples() -> None:
    assert len(EXAMPLES) >= 15
    assert any(path.startswith("/v1/articles?") for path, _ in EXAMPLES)


@pytest.fixture
def demo_like(session, seed_text: str) -> None:  # type: ignore[no-untyped-def]
    taxonomy_service.create_section(session, SectionCreate(name="Opinion", slug="opinion"))
    import_page(session, seed_text, now=datetime.now(UTC), publish=True, section="opinion")


@pytest.mark.usefixtures("demo_like")
def test_every_documented_url_answers(client) -> None:  # type: ignore[no-untyped-def]
    failures = []
    for path, doc in EXAMPLES:
        response = client.get(path, follow_redirects=False)
        public = urlsplit(path).path.startswith("/v1/") and not urlsplit(path).path.startswith(
            ("/v1/editorial", "/v1/syndication"))
        missing_ok = MEANT_TO_BE_MISSING in path or not public
        if response.status_code >= 500 or (response.status_code == 404 and not missing_ok):
            failures.append(f"{doc}: GET {path} -> {response.status_code} {response.text[:200]}")
    assert not failures, "\n".join(failures)


def test_every_environment_variable_is_documented() -> None:
    readme = "\n".join(doc.read_text(encoding="utf-8") for doc in DOCS)
    names = [field.alias for field in Settings.model_fields.values() if field.alias]
    assert names
    undocumented = [name for name in names if f"`{name}`" not in readme]
    assert not undocumented, f"document in the README's Configuration table: {undocumented}"
