"""A real browser on another origin reads the Content API through CORS and renders what it got;
the same browser sees Swagger UI at /docs render the operation list."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.articles.models import Article
from tests.clients.live import live_api, static_site
from tests.clients.tooling import CHROMIUM, NODE_MODULES, require_tools

pytestmark = pytest.mark.slow  # `make test` runs it; `make test-quick` does not

HERE = Path(__file__).parent


def test_cross_origin_page_renders_articles_and_docs_render_operations(
        database_url: str, make_article: Callable[..., Article], tmp_path: Path) -> None:
    assert CHROMIUM.exists(), (
        f"{CHROMIUM} is missing: `.ci/run` installs it (apt-get install -y chromium)")
    require_tools()
    now = datetime.now(UTC)
    published = [make_article(title, published_at=now - timedelta(minutes=n))
                 for n, title in enumerate(["Budget passes", "काठमाडौंमा पानी", "Rains return"], 1)]
    make_article("Draft: not for readers", status="draft")

    with live_api(database_url) as api:
        (tmp_path / "index.html").write_text(
            (HERE / "index.html").read_text(encoding="utf-8").replace("__API__", api),
            encoding="utf-8")
        with static_site(tmp_path) as site:
            assert site.rsplit(":", 1)[1] != api.rsplit(":", 1)[1]
            proc = subprocess.run(
                ["node", str(HERE / "render.cjs"), f"{site}/index.html", f"{api}/docs"],
                capture_output=True, text=True, timeout=150,
                env={**os.environ, "NODE_PATH": str(NODE_MODULES)})
    assert proc.returncode == 0, f"browser run failed:\n{proc.stdout}\n{proc.stderr}"
    seen = json.loads(proc.stdout.strip().splitlines()[-1])

    assert seen["state"] == "done", seen
    assert seen["titles"] == [a.title for a in published], seen
    assert not seen["consoleErrors"], seen["consoleErrors"]

    assert seen["docsTitle"].startswith("Khabar API")
    ops = {(op["method"], op["path"]) for op in seen["operations"]}
    assert ("GET", "/v1/articles") in ops
    assert ("GET", "/v1/articles/{slug}") in ops
    assert any("listArticles" in op["id"] for op in seen["operations"]), seen["operations"][:5]
