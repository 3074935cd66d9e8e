"""OWASP API6:2023 Unrestricted Access to Sensitive Business Flows.

The flows worth automating against Khabar are guessing passwords, scraping the newsroom's
content, and enumerating what exists (accounts, articles, partners' entitlements). Asserted:

* Password guessing: the login throttle counts per client address as the server sees it; a
  client that is not a trusted proxy cannot reset it by rotating `X-Forwarded-For`, while behind
  a trusted proxy each real client is counted apart.
* Scraping and enumeration of the Content API: failed lookups (404 slugs) count against the
  per-address limit like any read, and a forged `X-Forwarded-For` buys no fresh budget.
* Enumeration through the Syndication API: a partner's probes for article ids it may not see
  (404s) count against its key's limit, so a partner cannot map the newsroom's ids faster than it
  may read; rotating the key does not reset that budget.

Already covered elsewhere (not repeated): 5 failed logins per account or address in 5 minutes
answer 429 even with the right password, shared through Redis (tests/users/test_auth.py
`TestThrottle`); unknown emails and wrong passwords answer alike (`TestLogin`); the per-partner
limit with its headers and 429, and per-IP limits on the Content API only
(tests/core/test_ratelimit.py); page sizes are capped (test_api4_resource_consumption.py); a
writer cannot tell another writer's article from a missing one, nor publish through import or a
`status` field (test_api1_bola.py, test_api3_bopla.py, tests/articles/test_editorial.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.articles.models import Article
from tests.factories import PASSWORD
from tests.syndication.conftest import PartnerMaker

Configure = Callable[..., FastAPI]



def _login(client: TestClient, email: str, password: str, **headers: str) -> int:
    return client.post("/v1/auth/token", headers=headers, data={
        "grant_type": "password", "username": email, "password": password}).status_code


def test_a_forged_forwarded_for_does_not_reset_the_login_throttle(
        configure: Configure, make_user: Callable[..., Any]) -> None:
    user = make_user("writer", email="target@example.com")
    with TestClient(configure(), raise_server_exceptions=False) as client:
        # Five accounts guessed from one address, each "from" another address.
        codes = [_login(client, f"guess{i}@example.com", "wrong password",
                        **{"X-Forwarded-For": f"203.0.113.{i}"}) for i in range(5)]
        assert codes == [401] * 5
        assert _login(client, user.email, PASSWORD,
                      **{"X-Forwarded-For": "198.51.100.77"}) == 429


def test_behind_a_trusted_proxy_each_client_is_counted_apart(
        configure: Configure, make_user: Callable[..., Any]) -> None:
    user = make_user("writer", email="colleague@example.com")
    app = configure(KHABAR_TRUSTED_PROXIES="testclient")
    with TestClient(app, raise_server_exceptions=False) as client:
        guesser = {"X-Forwarded-For": "203.0.113.50"}
        assert [_login(client, f"g{i}@example.com", "nope", **guesser) for i in range(5)] \
            == [401] * 5
        assert _login(client, user.email, PASSWORD, **guesser) == 429
        assert _login(client, user.email, PASSWORD, **{"X-Forwarded-For": "203.0.113.51"}) == 200


def test_content_enumeration_counts_against_the_address_limit(
        configure: Configure, make_article: Callable[..., Article]) -> None:
    article = make_article("A real story")
    app = configure(KHABAR_RATE_LIMIT_PUBLIC="5/minute")
    with TestClient(app, raise_server_exceptions=False) as client:
        probes = [client.get(f"/v1/articles/guess-{i}",
                             headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
                  for i in range(5)]
        assert probes == [404] * 5
        assert client.get(f"/v1/articles/{article.slug}").status_code == 429


def test_partner_id_probes_count_against_its_key(configure: Configure,
                                                 make_partner: PartnerMaker,
                                                 make_article: Callable[..., Article]) -> None:
    visible = make_article("Syndicated")
    _, headers = make_partner(rate_limit="5/minute")
    with TestClient(configure(), raise_server_exceptions=False) as client:
        probes = [client.get(f"/v1/syndication/articles/{i:032x}", headers=headers).status_code
                  for i in range(5)]
        assert probes == [404] * 5
        limited = client.get(f"/v1/syndication/articles/{visible.id}", headers=headers)
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1


def test_rotating_a_key_does_not_reset_its_budget(configure: Configure, make_partner: PartnerMaker,
                                                  auth_headers: Callable[..., dict[str, str]],
                                                  session: Any) -> None:
    partner, headers = make_partner(rate_limit="3/minute")
    admin = auth_headers("admin")
    session.commit()
    with TestClient(configure(), raise_server_exceptions=False) as client:
        assert [client.get("/v1/syndication/usage", headers=headers).status_code
                for _ in range(3)] == [200] * 3
        rotated = client.post(f"/v1/editorial/partners/{partner.id}/rotate", headers=admin)
        assert rotated.status_code == 200
        fresh = {"Authorization": f"Bearer {rotated.json()['api_key']}"}
        assert client.get("/v1/syndication/usage", headers=fresh).status_code == 429
        assert client.get("/v1/syndication/usage", headers=headers).status_code == 401
