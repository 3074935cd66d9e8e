"""`khabar serve --port N` (what `make run PORT=N` runs) declares the port it serves in
`/openapi.json` `servers`, so "Try it out" in /docs calls this server; an explicit
KHABAR_PUBLIC_BASE_URL (a deployment behind a proxy) still wins."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import httpx
import pytest

from tests.clients.live import free_port, serving

pytestmark = pytest.mark.slow
KHABAR = Path(sys.executable).parent / "khabar"


@pytest.mark.parametrize("explicit", [None, "https://api.example.com"])
def test_servers_name_the_served_port(database_url: str, explicit: str | None) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "KHABAR_PUBLIC_BASE_URL"}
    env["DATABASE_URL"] = database_url
    if explicit:
        env["KHABAR_PUBLIC_BASE_URL"] = explicit
    with serving([str(KHABAR), "serve", "--port", str(port)], f"http://127.0.0.1:{port}",
                 env=env) as base:
        servers = httpx.get(f"{base}/openapi.json", timeout=10).json()["servers"]
        robots = httpx.get(f"{base}/robots.txt", timeout=10).text
    expected = explicit or f"http://127.0.0.1:{port}"
    assert [s["url"] for s in servers] == [expected]
    assert f"Sitemap: {expected}/v1/sitemaps/index.xml" in robots
