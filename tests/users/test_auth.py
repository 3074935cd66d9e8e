"""Logging in (OAuth2 password grant), login throttling, and user administration."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.security import decode_token
from app.users.models import User
from app.users.throttle import LoginThrottle
from tests.factories import PASSWORD

TOKEN_URL = "/v1/auth/token"


@pytest.fixture
def make_user(session: Session, make_user: Callable[..., User]) -> Callable[..., User]:
    """The shared factory, then the transaction its refresh() opened is ended: on SQLite the
    write engine begins IMMEDIATE, so an open test transaction would block the app."""

    def make(*args: object, **kwargs: object) -> User:
        user = make_user(*args, **kwargs)
        session.commit()
        return user

    return make


@pytest.fixture
def auth_headers(session: Session,
                 auth_headers: Callable[..., dict[str, str]]) -> Callable[..., dict[str, str]]:
    def make(*args: object, **kwargs: object) -> dict[str, str]:
        headers = auth_headers(*args, **kwargs)
        session.commit()
        return headers

    return make


def login(client: TestClient, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(TOKEN_URL, data={"grant_type": "password", "username": email,
                                        "password": password})


def client_from(app: FastAPI, ip: str) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, client=(ip, 50000))


class TestLogin:
    def test_right_password_returns_a_bearer_token(
            self, client: TestClient, make_user: Callable[..., User]) -> None:
        user = make_user("editor", email="Editor@Example.com")
        response = login(client, "editor@example.com")
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"access_token", "token_type", "expires_in"}
        assert body["token_type"] == "bearer"
        assert body["expires_in"] > 0
        assert decode_token(body["access_token"])["sub"] == str(user.id)  # type: ignore[index]
        assert response.headers["cache-control"] == "private, no-store"
        me = client.get("/v1/editorial/articles",
                        headers={"Authorization": f"Bearer {body['access_token']}"})
        assert me.status_code == 200

    def test_unknown_email_and_wrong_password_answer_alike(
            self, client: TestClient, make_user: Callable[..., User]) -> None:
        make_user("editor", email="known@example.com")
        wrong = login(client, "known@example.com", "not the password")
        unknown = login(client, "nobody@example.com")
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.headers["content-type"] == "application/problem+json"
        assert wrong.json()["detail"] == unknown.json()["detail"]
        assert wrong.headers["www-authenticate"].startswith("Bearer")

    def test_disabled_user_cannot_log_in(self, client: TestClient,
                                         make_user: Callable[..., User],
                                         auth_headers: Callable[..., dict[str, str]]) -> None:
        user = make_user("writer", email="gone@example.com")
        headers = auth_headers(user=user)
        admin = auth_headers("admin")
        patched = client.patch(f"/v1/editorial/users/{user.id}", json={"disabled": True},
                               headers=admin)
        assert patched.status_code == 200
        assert patched.json()["disabled"] is True
        assert login(client, "gone@example.com").status_code == 401
        assert client.get("/v1/editorial/articles", headers=headers).status_code == 401

    @pytest.mark.parametrize("data", [
        {},
        {"username": "a@example.com"},
        {"password": "x"},
        {"grant_type": "client_credentials", "username": "a@example.com", "password": "x"},
    ])
    def test_malformed_requests_are_422(self, client: TestClient, data: dict[str, str]) -> None:
        response = client.post(TOKEN_URL, data=data)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"

    def test_openapi_declares_the_password_flow(self, app: FastAPI) -> None:
        spec = app.openapi()
        schemes = spec["components"]["securitySchemes"]
        assert schemes["OAuth2Password"]["flows"]["password"]["tokenUrl"] == TOKEN_URL
        security = spec["paths"]["/v1/editorial/articles"]["get"]["security"]
        assert {"OAuth2Password": []} in security


class TestThrottle:
    def test_five_failures_for_an_account_then_429_even_with_the_right_password(
            self, app: FastAPI, make_user: Callable[..., User]) -> None:
        make_user("editor", email="target@example.com")
        make_user("editor", email="bystander@example.com")
        # Each guess from a different address: only the account counter can stop them.
        for i in range(5):
            with client_from(app, f"10.0.0.{i + 1}") as c:
                assert login(c, "target@example.com", "guess").status_code == 401
        with client_from(app, "10.0.1.1") as c:
            blocked = login(c, "target@example.com")
            assert blocked.status_code == 429
            assert 1 <= int(blocked.headers["retry-after"]) <= 300
            assert blocked.headers["content-type"] == "application/problem+json"
            assert login(c, "TARGET@example.com").status_code == 429  # same account
            assert login(c, "bystander@example.com").status_code == 200

    def test_five_failures_from_an_address_then_429_for_every_account(
            self, app: FastAPI, make_user: Callable[..., User]) -> None:
        make_user("editor", email="real@example.com")
        with client_from(app, "192.0.2.7") as attacker:
            for i in range(5):
                assert login(attacker, f"guess{i}@example.com", "guess").status_code == 401
            blocked = login(attacker, "real@example.com")
            assert blocked.status_code == 429
            assert int(blocked.headers["retry-after"]) >= 1
        with client_from(app, "192.0.2.8") as other:
            assert login(other, "real@example.com").status_code == 200

    def test_a_success_does_not_reset_the_count(
            self, app: FastAPI, make_user: Callable[..., User]) -> None:
        make_user("editor", email="me@example.com")
        with client_from(app, "198.51.100.1") as c:
            for _ in range(4):
                assert login(c, "me@example.com", "typo").status_code == 401
            assert login(c, "me@example.com").status_code == 200
            assert login(c, "me@example.com", "typo").status_code == 401
            assert login(c, "me@example.com").status_code == 429

    def test_the_window_passes(self) -> None:
        throttle = LoginThrottle("memory://", "2 per 1 second")
        throttle.failed("a@example.com", "1.2.3.4")
        throttle.failed("a@example.com", "1.2.3.4")
        with pytest.raises(Exception, match="Too many") as info:
            throttle.check("a@example.com", "1.2.3.4")
        assert info.value.headers["Retry-After"] == "1"  # type: ignore[attr-defined]
        import time

        time.sleep(1.1)
        throttle.check("a@example.com", "1.2.3.4")

    def test_redis_storage_is_shared(self) -> None:
        import uuid

        first = LoginThrottle("redis://127.0.0.1:6379/15")
        second = LoginThrottle("redis://127.0.0.1:6379/15")
        email = f"{uuid.uuid4().hex}@example.com"
        ip = f"test-{uuid.uuid4().hex}"
        for _ in range(5):
            first.failed(email, ip)
        with pytest.raises(Exception, match="Too many"):
            second.check(email, ip)


ROLES = ["anon", "bad", "writer", "editor", "admin"]


class TestUserAdministration:
    @pytest.fixture
    def headers(self, auth_headers: Callable[..., dict[str, str]]) -> dict[str, dict[str, str]]:
        return {"anon": {}, "bad": {"Authorization": "Bearer nope"},
                **{role: auth_headers(role) for role in ("writer", "editor", "admin")}}

    @pytest.mark.parametrize(("role", "expected"), zip(ROLES, [401, 401, 403, 403, 200],
                                                       strict=True))
    def test_only_admins_manage_users(self, client: TestClient, make_user: Callable[..., User],
                                      headers: dict[str, dict[str, str]], role: str,
                                      expected: int) -> None:
        target = make_user("writer")
        h = headers[role]
        created = expected if expected != 200 else 201
        assert client.get("/v1/editorial/users", headers=h).status_code == expected
        assert client.get(f"/v1/editorial/users/{target.id}", headers=h).status_code == expected
        assert client.patch(f"/v1/editorial/users/{target.id}", json={"name": "X"},
                            headers=h).status_code == expected
        assert client.post("/v1/editorial/users", headers=h, json={
            "email": f"new-{role}@example.com", "password": "long enough password",
            "role": "writer"}).status_code == created

    def test_create_get_update_and_never_the_hash(
            self, client: TestClient, headers: dict[str, dict[str, str]]) -> None:
        admin = headers["admin"]
        created = client.post("/v1/editorial/users", headers=admin, json={
            "email": "New.Writer@example.com", "password": "long enough password",
            "role": "writer", "name": "New Writer"})
        assert created.status_code == 201
        user = created.json()
        assert set(user) == {"id", "email", "name", "role", "created_at", "disabled"}
        assert user["email"] == "new.writer@example.com"
        assert created.headers["location"].endswith(f"/v1/editorial/users/{user['id']}")
        assert created.headers["cache-control"] == "private, no-store"
        assert client.post("/v1/editorial/users", headers=admin, json={
            "email": "new.writer@example.com", "password": "long enough password",
            "role": "editor"}).status_code == 409
        changed = client.patch(f"/v1/editorial/users/{user['id']}", headers=admin, json={
            "role": "editor", "password": "another long password"})
        assert changed.status_code == 200
        assert changed.json()["role"] == "editor"
        assert login(client, "new.writer@example.com", "another long password").status_code == 200
        listed = client.get("/v1/editorial/users", headers=admin, params={"limit": 1})
        assert listed.status_code == 200
        assert listed.json()["meta"]["next_cursor"]
        assert all("password" not in str(u) for u in listed.json()["data"])
        assert client.get("/v1/editorial/users/999999", headers=admin).status_code == 404

    @pytest.mark.parametrize("body", [
        {"email": "x@example.com", "password": "short", "role": "writer"},
        {"email": "not-an-email", "password": "long enough password", "role": "writer"},
        {"email": "x@example.com", "password": "long enough password", "role": "owner"},
        {"email": "x@example.com", "password": "long enough password", "role": "writer",
         "password_hash": "x"},
    ])
    def test_invalid_user_bodies_are_422(self, client: TestClient,
                                         headers: dict[str, dict[str, str]],
                                         body: dict[str, str]) -> None:
        response = client.post("/v1/editorial/users", headers=headers["admin"], json=body)
        assert response.status_code == 422
