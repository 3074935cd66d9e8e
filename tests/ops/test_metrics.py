"""`/metrics`: Prometheus text that parses, labelled by route template."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families


def _samples(client, name: str) -> list:  # type: ignore[no-untyped-def]
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    return families[name].samples if name in families else []


def _count(client, route: str, status: str = "200", method: str = "GET") -> float:  # type: ignore[no-untyped-def]
    return sum(s.value for s in _samples(client, "khabar_http_requests")
               if s.name == "khabar_http_requests_total" and s.labels == {
                   "method": method, "route": route, "status": status})


class TestMetrics:
    def test_counts_requests_under_the_route_template(self, client, session, make_article) -> None:  # type: ignore[no-untyped-def]
        slug = make_article("Metrics are counted").slug
        session.rollback()  # end the factory's read transaction (a write lock on SQLite)
        before = _count(client, "/v1/articles/{slug}")
        assert client.get(f"/v1/articles/{slug}").status_code == 200
        assert client.get(f"/v1/articles/{slug}").status_code == 200
        assert _count(client, "/v1/articles/{slug}") == before + 2
        raw = client.get("/metrics").text
        assert slug not in raw

    def test_latency_histogram_and_404s_are_bounded(self, client) -> None:  # type: ignore[no-untyped-def]
        client.get("/no/such/path/12345")
        client.get("/v1/articles/nope-not-here")
        assert _count(client, "<unmatched>", status="404") >= 1
        assert _count(client, "/v1/articles/{slug}", status="404") >= 1
        buckets = [s for s in _samples(client, "khabar_http_request_duration_seconds")
                   if s.name.endswith("_bucket") and s.labels["route"] == "/v1/articles/{slug}"]
        assert buckets
        assert {s.labels["le"] for s in buckets} >= {"0.1", "+Inf"}
        assert "/no/such/path/12345" not in client.get("/metrics").text

    def test_pool_gauge_reports_both_engines(self, client) -> None:  # type: ignore[no-untyped-def]
        client.get("/readyz")
        engines = {s.labels["engine"]: s.value
                   for s in _samples(client, "khabar_db_pool_connections_in_use")}
        assert set(engines) == {"write", "read"}
        assert all(v >= 0 for v in engines.values())


class TestMetricsToken:
    """With KHABAR_METRICS_TOKEN set, only the operator's scraper reads /metrics."""

    @pytest.mark.usefixtures("engine")
    def test_requires_the_bearer_token(self, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        from fastapi.testclient import TestClient

        from app.core.config import get_settings
        from app.main import create_app

        monkeypatch.setenv("KHABAR_METRICS_TOKEN", "scrape-secret-0123456789")
        get_settings.cache_clear()
        try:
            with TestClient(create_app()) as c:
                for headers in ({}, {"Authorization": "Bearer wrong"},
                                {"Authorization": "scrape-secret-0123456789"}):
                    denied = c.get("/metrics", headers=headers)
                    assert denied.status_code == 401, headers
                    assert denied.headers["content-type"] == "application/problem+json"
                    assert "khabar_http_requests" not in denied.text
                ok = c.get("/metrics", headers={"Authorization": "Bearer scrape-secret-0123456789"})
                assert ok.status_code == 200
                assert "khabar_http_requests_total" in ok.text
        finally:
            monkeypatch.delenv("KHABAR_METRICS_TOKEN")
            get_settings.cache_clear()
