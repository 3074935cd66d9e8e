"""A real shared cache (Varnish, as Debian ships it, with its built-in VCL) in front of a live
server: what it stores must be right for every client. A browser gets CORS headers from a copy
first fetched without `Origin`; `Vary` names each field once; no client's rate-limit counters
are replayed to another; `gzip;q=0` gets identity; revalidation gets a 304.

The Makefile installs Varnish (`make test`); without `varnishd` on the machine this is skipped."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.clients.live import free_port, serving

VARNISHD = shutil.which("varnishd") or ("/usr/sbin/varnishd"
                                        if os.path.exists("/usr/sbin/varnishd") else None)
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(VARNISHD is None, reason="varnishd is not installed "
                                 "(`make test` installs Debian's varnish)")]
ORIGIN = "https://reader.example"


@pytest.fixture
def through_varnish(database_url: str, make_article: Callable[..., Any],
                    make_section: Callable[..., Any]) -> Iterator[str]:
    make_section("news", "News")
    for i in range(3):  # enough body for gzip (860 bytes) on every route used
        make_article(f"Story number {i} about the monsoon", section="news",
                     excerpt="A long excerpt about rivers, roads and bridges. " * 4)
    make_article("नेपालमा बाढी", section="news", language="ne")
    app_port, cache_port = free_port(), free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "KHABAR_RATE_LIMIT_PUBLIC": "1000/minute",
           "KHABAR_CACHE_MAX_AGE": "300"}
    khabar = Path(sys.executable).parent / "khabar"
    with serving([str(khabar), "serve", "--port", str(app_port)],
                 f"http://127.0.0.1:{app_port}", env=env), \
            tempfile.TemporaryDirectory() as workdir:
        assert VARNISHD is not None
        command = [VARNISHD, "-F", "-j", "none", "-n", workdir, "-T", "none",
                   "-a", f"127.0.0.1:{cache_port}", "-b", f"127.0.0.1:{app_port}",
                   "-s", "malloc,32m", "-p", "thread_pools=1", "-p", "thread_pool_min=5",
                   "-p", "thread_pool_max=50"]
        with serving(command, f"http://127.0.0.1:{cache_port}") as base:
            yield base


def get(url: str, **headers: str) -> httpx.Response:
    # Accept-Encoding is always given: httpx would send its own otherwise.
    headers.setdefault("Accept-Encoding", "gzip")
    return httpx.get(url, headers=headers, timeout=10)


def hit(response: httpx.Response) -> bool:
    """Varnish's X-Varnish holds two transaction ids on a hit (this one and the stored one)."""
    return len(response.headers["x-varnish"].split()) == 2


def vary(response: httpx.Response) -> list[str]:
    return [v.strip().lower() for v in response.headers.get("vary", "").split(",") if v.strip()]


@pytest.mark.parametrize("path", ["/v1/articles", "/v1/feeds/latest.rss"])
def test_through_varnish(through_varnish: str, path: str) -> None:
    url = through_varnish + path
    first = get(url)  # no Origin: a server, a crawler, curl
    assert first.status_code == 200, first.text
    assert not hit(first)
    browser = get(url, Origin=ORIGIN)
    assert browser.status_code == 200
    assert hit(browser), "the second request should be answered from the cache"
    # The copy stored from a request without Origin still lets the browser read it.
    assert browser.headers["access-control-allow-origin"] in ("*", ORIGIN)
    if browser.headers["access-control-allow-origin"] != "*":
        assert "origin" in vary(browser)
    for response in (first, browser):
        names = vary(response)
        assert len(names) == len(set(names)), response.headers["vary"]
        assert "accept-encoding" in names
        assert not [h for h in response.headers if h.lower().startswith("ratelimit-")]
    assert browser.headers["content-encoding"] == "gzip"

    identity = get(url, **{"Accept-Encoding": "gzip;q=0"})
    assert identity.status_code == 200
    assert "content-encoding" not in identity.headers
    assert identity.content == browser.content  # httpx decoded the gzip one

    etag = first.headers["etag"]
    revalidated = get(url, **{"If-None-Match": etag, "Origin": ORIGIN})
    assert revalidated.status_code == 304
    assert revalidated.headers["access-control-allow-origin"] in ("*", ORIGIN)
    assert not [h for h in revalidated.headers if h.lower().startswith("ratelimit-")]


def test_origin_does_not_change_the_stored_answer(through_varnish: str) -> None:
    url = through_varnish + "/v1/articles?limit=2"
    browser = get(url, Origin=ORIGIN)
    plain = get(url)
    assert hit(plain)
    assert plain.headers["access-control-allow-origin"] == browser.headers[
        "access-control-allow-origin"]
