"""Rate limits: per partner on /v1/syndication, per client IP on the Content API."""

from __future__ import annotations

import logging
import uuid

import redis
from fastapi.testclient import TestClient

REDIS = "redis://127.0.0.1:6379/{db}"



def partner_key(make_partner, rate_limit: str | None = None) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return make_partner(rate_limit=rate_limit)[1]


class TestPartnerLimit:
    def test_headers_and_429(self, configure, make_partner):
        app = configure()
        headers = partner_key(make_partner, "3/minute")
        with TestClient(app, raise_server_exceptions=False) as client:
            seen = [client.get("/v1/syndication/changes", headers=headers) for _ in range(4)]
        assert [r.status_code for r in seen] == [200, 200, 200, 429]
        assert [r.headers["ratelimit-remaining"] for r in seen] == ["2", "1", "0", "0"]
        assert all(r.headers["ratelimit-limit"] == "3" for r in seen)
        assert 0 < int(seen[0].headers["ratelimit-reset"]) <= 60
        limited = seen[-1]
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.headers["content-type"] == "application/problem+json"
        assert limited.json()["status"] == 429

    def test_default_from_settings_and_per_partner(self, configure, make_partner):
        app = configure(KHABAR_RATE_LIMIT_PARTNER="2/minute")
        a, b = partner_key(make_partner), partner_key(make_partner)
        with TestClient(app, raise_server_exceptions=False) as client:
            codes_a = [client.get("/v1/syndication/usage", headers=a).status_code for _ in range(3)]
            code_b = client.get("/v1/syndication/usage", headers=b).status_code
        assert codes_a == [200, 200, 429]
        assert code_b == 200

    def test_unauthenticated_requests_are_401_not_counted(self, configure):
        app = configure(KHABAR_RATE_LIMIT_PARTNER="1/minute")
        with TestClient(app, raise_server_exceptions=False) as client:
            assert {client.get("/v1/syndication/changes").status_code for _ in range(3)} == {401}


class TestPublicLimit:
    def test_per_ip_on_content_api_only(self, configure):
        app = configure(KHABAR_RATE_LIMIT_PUBLIC="2/minute")
        with TestClient(app, raise_server_exceptions=False) as client:
            codes = [client.get("/v1/articles").status_code for _ in range(3)]
            assert codes == [200, 200, 429]
            limited = client.get("/v1/articles")
            assert limited.headers["retry-after"]
            assert limited.headers["ratelimit-remaining"] == "0"
            assert client.get("/healthz").status_code == 200  # not under /v1/
            assert "ratelimit-limit" not in client.get("/healthz").headers

    def test_trusted_proxy_forwarded_for(self, configure):
        app = configure(KHABAR_RATE_LIMIT_PUBLIC="1/minute", KHABAR_TRUSTED_PROXIES="testclient")
        with TestClient(app, raise_server_exceptions=False) as client:
            first = client.get("/v1/articles", headers={"X-Forwarded-For": "203.0.113.1"})
            other = client.get("/v1/articles", headers={"X-Forwarded-For": "203.0.113.2"})
            again = client.get("/v1/articles", headers={"X-Forwarded-For": "203.0.113.1"})
        assert (first.status_code, other.status_code, again.status_code) == (200, 200, 429)

    def test_zero_turns_it_off(self, configure):
        app = configure(KHABAR_RATE_LIMIT_PUBLIC="0")
        with TestClient(app, raise_server_exceptions=False) as client:
            r = client.get("/v1/articles")
        assert r.status_code == 200
        assert "ratelimit-limit" not in r.headers


class TestRedis:
    def test_two_apps_share_one_partner_budget(self, configure, make_partner):
        url = REDIS.format(db=9)  # and a key prefix of its own, so nothing else collides
        redis.Redis.from_url(url).ping()
        headers = partner_key(make_partner, "4/minute")
        prefix = f"test-{uuid.uuid4().hex}"
        one = configure(REDIS_URL=url, KHABAR_RATE_LIMIT_KEY_PREFIX=prefix)
        two = configure(REDIS_URL=url, KHABAR_RATE_LIMIT_KEY_PREFIX=prefix)
        with TestClient(one, raise_server_exceptions=False) as c1, \
                TestClient(two, raise_server_exceptions=False) as c2:
            codes = [c.get("/v1/syndication/changes", headers=headers).status_code
                     for c in (c1, c2, c1, c2, c1)]
            remaining = c2.get("/v1/syndication/changes", headers=headers).headers
        assert codes == [200, 200, 200, 200, 429]
        assert remaining["ratelimit-remaining"] == "0"

    def test_unreachable_redis_fails_open(self, configure, make_partner, caplog):
        headers = partner_key(make_partner, "1/minute")
        app = configure(REDIS_URL="redis://127.0.0.1:1/0", KHABAR_RATE_LIMIT_PUBLIC="1/minute")
        with caplog.at_level(logging.WARNING, logger="khabar.ratelimit"), \
                TestClient(app, raise_server_exceptions=False) as client:
            partner = [client.get("/v1/syndication/changes", headers=headers) for _ in range(3)]
            public = [client.get("/v1/articles") for _ in range(3)]
        assert {r.status_code for r in partner + public} == {200}
        assert all("ratelimit-limit" not in r.headers for r in partner + public)
        assert any("unreachable" in rec.getMessage() for rec in caplog.records)
