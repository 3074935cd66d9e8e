"""Structured access logs: one JSON line per request with its id; no secret ever logged."""

from __future__ import annotations

import io
import json
import logging

import pytest

from app.core.logging import JsonFormatter

SECRETS = ("secret-token-123", "khb_0123abcd_s3cr3tPartnerKeyValue", "hunter2-Pa55word",
           "querysecret999")


@pytest.fixture
def json_log():  # type: ignore[no-untyped-def]
    """Everything logged during the test, formatted exactly as production formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


def _lines(stream: io.StringIO) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


class TestAccessLog:
    def test_one_line_per_request_with_request_id(self, client, json_log) -> None:  # type: ignore[no-untyped-def]
        response = client.get("/v1/articles/some-slug", headers={"X-Request-ID": "req-abc-123"})
        access = [e for e in _lines(json_log) if e["logger"] == "khabar.access"]
        assert len(access) == 1
        line = access[0]
        assert line["request_id"] == "req-abc-123" == response.headers["x-request-id"]
        assert line["method"] == "GET"
        assert line["route"] == "/v1/articles/{slug}"
        assert line["status"] == response.status_code
        assert isinstance(line["duration_ms"], float)
        assert line["client_ip"] == "testclient"

    def test_generated_request_id_is_logged(self, client, json_log) -> None:  # type: ignore[no-untyped-def]
        response = client.get("/healthz")
        (line,) = [e for e in _lines(json_log) if e["logger"] == "khabar.access"]
        assert line["request_id"] == response.headers["x-request-id"]


class TestNoSecretsLogged:
    def test_credentials_never_reach_the_log(self, client, json_log, caplog) -> None:  # type: ignore[no-untyped-def]
        caplog.set_level(logging.DEBUG)
        client.post("/v1/auth/token", data={"username": "ed@example.com",
                                            "password": "hunter2-Pa55word",
                                            "grant_type": "password"})
        client.get("/v1/editorial/articles",
                   headers={"Authorization": "Bearer secret-token-123"})
        client.get("/v1/syndication/articles",
                   headers={"X-API-Key": "khb_0123abcd_s3cr3tPartnerKeyValue"})
        client.get("/v1/articles?api_key=khb_0123abcd_s3cr3tPartnerKeyValue&token=querysecret999")
        # httpx's own lines come from the test's client, not the server.
        server = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
        text = json_log.getvalue() + "\n".join(
            f"{r.getMessage()} {vars(r)}" for r in server)
        assert len([e for e in _lines(json_log) if e["logger"] == "khabar.access"]) == 4
        for secret in SECRETS:
            assert secret not in text

    def test_formatter_redacts_whatever_a_logger_writes(self, json_log) -> None:  # type: ignore[no-untyped-def]
        log = logging.getLogger("khabar.test")
        log.warning("Authorization: Bearer secret-token-123 for %s", "someone")
        log.warning("login", extra={"password": "hunter2-Pa55word", "x_api_key": SECRETS[1]})
        log.warning("dsn postgresql://app:hunter2-Pa55word@db/khabar?api_key=querysecret999")
        try:
            raise ValueError("token=querysecret999")
        except ValueError:
            log.exception("failed")
        out = json_log.getvalue()
        assert out.count("[REDACTED]") >= 5
        for secret in SECRETS:
            assert secret not in out
