"""Redis, which holds the shared rate-limit counters, dies under live load: the API keeps
answering (never a 5xx), the limits fail open as README and SECURITY.md promise, and once a
Redis is back on the same address the limits count again, without restarting the app.

tests/core/test_ratelimit.py covers the limits themselves and a Redis unreachable from the start
(in-process); this is the live server losing the Redis it was using.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

import httpx
import pytest

from app.articles.models import Article
from tests.reliability.load import Load, server_errors
from tests.reliability.servers import live_server, private_redis, wait_until
from tests.syndication.conftest import PartnerMaker, make_partner  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow  # `make test` runs it; `make test-quick` does not

LIMIT = 5
OVER_BUDGET = [200] * LIMIT + [429] * 2
EXHAUSTED_IP = "198.51.100.1"
FAIL_FAST_SECONDS = 5.0


def forwarded(ip: str) -> dict[str, str]:
    # The live server trusts 127.0.0.1 as a proxy, so each test "client" is an X-Forwarded-For.
    return {"X-Forwarded-For": ip}


def test_limits_fail_open_while_redis_is_down_and_count_again_once_it_is_back(
        database_url: str, make_article: Callable[..., Article],
        make_partner: PartnerMaker) -> None:  # noqa: F811
    make_article("Something to read")
    _, partner = make_partner(rate_limit=f"{LIMIT}/minute")
    fresh_ips = (f"10.0.{n // 256 % 256}.{n % 256}" for n in itertools.count(1))

    with private_redis() as store, \
            live_server(database_url, REDIS_URL=store.url,
                        KHABAR_RATE_LIMIT_PUBLIC=f"{LIMIT}/minute",
                        KHABAR_RATE_LIMIT_PARTNER=f"{LIMIT}/minute",
                        KHABAR_TRUSTED_PROXIES="127.0.0.1") as server, \
            httpx.Client(base_url=server.base_url, timeout=30) as http:

        def public(ip: str) -> httpx.Response:
            return http.get("/v1/articles", headers=forwarded(ip))

        def syndication() -> httpx.Response:
            return http.get("/v1/syndication/changes", headers=partner)

        # Redis up: one client IP and the partner each spend their budget.
        assert [public(EXHAUSTED_IP).status_code for _ in OVER_BUDGET] == OVER_BUDGET
        assert [syndication().status_code for _ in OVER_BUDGET] == OVER_BUDGET

        actions = {
            "fresh client": lambda c, _n: c.get("/v1/articles", headers=forwarded(next(fresh_ips))),
            "limited client": lambda c, _n: c.get("/v1/articles", headers=forwarded(EXHAUSTED_IP)),
            "partner": lambda c, _n: c.get("/v1/syndication/changes", headers=partner),
        }
        with Load(server.base_url, actions, threads_per_action=2) as load:
            time.sleep(0.5)
            kill_at = time.monotonic()
            store.kill()
            killed_at = time.monotonic()
            time.sleep(1.5)

        assert server_errors(load.outcomes) == [], "5xx or no answer while Redis died"
        # Answered before the kill began: counted. Started once Redis was gone: not counted.
        before = [o for o in load.of("limited client", "partner") if o.ended < kill_at]
        during = load.of("limited client", "partner", after=killed_at)
        assert before, "the load sent nothing before Redis died"
        assert during, "the load sent nothing while Redis was down"
        assert {o.status for o in before} == {429}
        assert {o.status for o in load.of("fresh client")} == {200}
        for outcome in during:  # fail open: served, without limit headers, and at once
            assert outcome.status == 200, outcome.text[:200]
            assert "ratelimit-limit" not in outcome.headers
            assert outcome.seconds < FAIL_FAST_SECONDS

        store.start()  # a new, empty Redis on the same address
        # (Public answers are shareable and carry no per-client counters; a partner's do.)
        wait_until(lambda: "ratelimit-limit" in syndication().headers, 15,
                   "rate-limit headers coming back after Redis restarted")
        returning = next(fresh_ips)
        assert [public(returning).status_code for _ in OVER_BUDGET] == OVER_BUDGET
        # Counted again (the wait above spent some of the partner's budget already).
        assert 429 in [syndication().status_code for _ in OVER_BUDGET]
        log = server.log()

    # The outage is logged as a warning (with its cause); nothing is logged as an error.
    assert "rate-limit store" in log, log[-2000:]
    assert '"level":"error"' not in log, log[-4000:]
