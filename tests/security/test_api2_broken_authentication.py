"""OWASP API2:2023 Broken Authentication.

Asserted:

* Over the matrix (every route; a revoked key on every object state, the tokens on each route's
  first object, as they fail before any object is loaded): a garbage token, an expired token, an
  unsigned `alg=none` token, a token signed with another key, a valid token of a disabled admin,
  a valid token of a deleted user and a revoked partner key each get exactly what no credential
  gets, on every route and object; where a credential is required that is a 401 problem with a
  `WWW-Authenticate: Bearer` challenge.
* Tokens are checked, not trusted: only HS256 with the server's key is accepted (`none` in any
  spelling, HS384/HS512 with the right key, a wrong issuer, a missing `exp` or `sub`, a `sub`
  that is no user id are 401); the role comes from the database, not the token (a writer's
  token re-signed claiming `admin` stays a writer; a demoted editor loses editor powers on the
  next request); tokens and partner keys are taken from the `Authorization`/`X-API-Key` headers
  only, never from the query string.
* Logging in: the token answer is `no-store` and carries no email or password (the JWT's
  payload included); it lives `KHABAR_ACCESS_TOKEN_MINUTES`; `KHABAR_ENV=production` refuses the
  development signing key or a short one.

Already covered elsewhere (not repeated): unknown email and wrong password answer alike, a
disabled user can neither log in nor use an earlier token (tests/users/test_auth.py
`TestLogin`); 5 failed logins per account or address in 5 minutes answer 429 even with the right
password, shared through Redis (`TestThrottle`); a key with a real prefix and a wrong secret, and
a revoked or rotated key, answer 401 (tests/partners/test_router.py `TestKeyLifecycle`).
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from jwt.warnings import InsecureKeyLengthWarning
from pydantic import ValidationError
from sqlmodel import Session

from app.core.config import DEV_SECRET, Settings, get_settings
from app.users.models import User
from tests.factories import PASSWORD
from tests.security.runner import MatrixRun
from tests.security.world import BAD_CREDENTIALS


def test_bad_credentials_are_worth_nothing_anywhere(matrix: MatrixRun) -> None:
    """Each bad credential gets, route by route and object by object, what no credential gets."""
    anonymous = {(e.key, e.target): e.status for e in matrix.exchanges if e.credential == "none"}
    wrong: dict[str, list[str]] = defaultdict(list)
    for e in matrix.exchanges:
        if e.credential in BAD_CREDENTIALS and e.status != anonymous[(e.key, e.target)]:
            wrong[e.credential].append(f"{e.key} [{e.target}]: {e.status}, "
                                       f"anonymous {anonymous[(e.key, e.target)]}")
        if e.credential in BAD_CREDENTIALS and e.status == 401 and not e.headers.get(
                "www-authenticate", "").startswith("Bearer"):
            wrong[e.credential].append(f"{e.key} [{e.target}]: 401 without a challenge")
    assert len(anonymous) > 150
    assert not wrong, dict(wrong)


# ---- tokens are checked, not trusted --------------------------------------------------------


def _claims(user: User, **changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims = {"sub": str(user.id), "role": user.role, "iat": now,
              "exp": now + timedelta(minutes=5), "iss": "khabar"}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _unsigned(claims: dict[str, Any], alg: str) -> str:
    """A token whose header names `alg` and carries no signature."""
    import base64
    import json

    def part(data: dict[str, Any]) -> str:
        raw = json.dumps(data, default=lambda d: int(d.timestamp())).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': alg, 'typ': 'JWT'})}.{part(claims)}."


@pytest.fixture
def writer(make_user: Any, session: Session) -> User:
    user = make_user("writer")
    session.commit()
    return user


@pytest.fixture
def admin(make_user: Any, session: Session) -> User:
    user = make_user("admin")
    session.commit()
    return user


def forged_tokens(admin: User) -> dict[str, str]:
    key = get_settings().secret_key
    with warnings.catch_warnings():  # PyJWT warns that the key is short for SHA-384/512
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        longer = {alg: jwt.encode(_claims(admin), key, algorithm=alg) for alg in ("HS384", "HS512")}
    return {
        **{f"alg {alg}": _unsigned(_claims(admin), alg) for alg in ("none", "None", "NONE", "")},
        "HS384 with the key": longer["HS384"],
        "HS512 with the key": longer["HS512"],
        "signature stripped": jwt.encode(_claims(admin), key, algorithm="HS256").rsplit(".", 1)[0]
        + ".",
        "another issuer": jwt.encode(_claims(admin, iss="someone-else"), key, algorithm="HS256"),
        "no exp": jwt.encode(_claims(admin, exp=None), key, algorithm="HS256"),
        "no sub": jwt.encode(_claims(admin, sub=None), key, algorithm="HS256"),
        "sub not an id": jwt.encode(_claims(admin, sub="1 OR 1=1"), key, algorithm="HS256"),
        "sub of nobody": jwt.encode(_claims(admin, sub="987654"), key, algorithm="HS256"),
        "expired a second ago": jwt.encode(
            _claims(admin, exp=datetime.now(UTC) - timedelta(seconds=1)), key, algorithm="HS256"),
        "key of another deployment": jwt.encode(_claims(admin), DEV_SECRET, algorithm="HS256"),
    }


def test_only_hs256_tokens_signed_by_this_server_are_accepted(client: TestClient,
                                                              admin: User) -> None:
    genuine = jwt.encode(_claims(admin), get_settings().secret_key, algorithm="HS256")
    assert client.get("/v1/editorial/users", headers=_bearer(genuine)).status_code == 200
    accepted = [name for name, token in forged_tokens(admin).items()
                if client.get("/v1/editorial/users", headers=_bearer(token)).status_code != 401]
    assert not accepted


def test_the_role_comes_from_the_database_not_the_token(client: TestClient, writer: User,
                                                        admin: User) -> None:
    key = get_settings().secret_key
    claiming_admin = jwt.encode(_claims(writer, role="admin"), key, algorithm="HS256")
    assert client.get("/v1/editorial/users", headers=_bearer(claiming_admin)).status_code == 403
    editor_token = jwt.encode(_claims(writer, role="editor"), key, algorithm="HS256")
    admin_headers = _bearer(jwt.encode(_claims(admin), key, algorithm="HS256"))
    promoted = client.patch(f"/v1/editorial/users/{writer.id}", json={"role": "editor"},
                            headers=admin_headers)
    assert promoted.status_code == 200
    brief = {"headline": "Editors only", "date": "2024-01-01"}
    assert client.post("/v1/editorial/briefs", json=brief,
                       headers=_bearer(editor_token)).status_code == 201
    demoted = client.patch(f"/v1/editorial/users/{writer.id}", json={"role": "writer"},
                           headers=admin_headers)
    assert demoted.status_code == 200
    assert client.post("/v1/editorial/briefs", json=brief,
                       headers=_bearer(editor_token)).status_code == 403


def test_credentials_are_never_read_from_the_query_string(client: TestClient, admin: User,
                                                          make_partner: Any) -> None:
    token = jwt.encode(_claims(admin), get_settings().secret_key, algorithm="HS256")
    _, partner = make_partner()
    key = partner["Authorization"].removeprefix("Bearer ")
    for name in ("access_token", "token", "bearer", "authorization"):
        assert client.get(f"/v1/editorial/users?{name}={token}").status_code == 401, name
    for name in ("api_key", "key", "apikey", "access_token", "x-api-key"):
        assert client.get(f"/v1/syndication/articles?{name}={key}").status_code == 401, name
    assert client.get("/v1/syndication/articles", headers={"X-API-Key": key}).status_code == 200


# ---- logging in -----------------------------------------------------------------------------


def test_the_token_answer_is_not_stored_and_reveals_nothing(client: TestClient,
                                                            writer: User) -> None:
    response = client.post("/v1/auth/token", data={
        "grant_type": "password", "username": writer.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "no-store" in response.headers["cache-control"]
    assert "set-cookie" not in response.headers
    assert writer.email not in response.text
    assert PASSWORD not in response.text
    token = response.json()["access_token"]
    payload = jwt.decode(token, options={"verify_signature": False})
    assert set(payload) == {"sub", "role", "iat", "exp", "iss"}
    assert payload["exp"] - payload["iat"] == get_settings().access_token_minutes * 60
    assert response.json()["expires_in"] == get_settings().access_token_minutes * 60


@pytest.mark.parametrize("secret", [DEV_SECRET, "short-but-not-the-default"])
def test_production_refuses_a_weak_signing_key(secret: str) -> None:
    with pytest.raises(ValidationError, match="KHABAR_SECRET_KEY"):
        Settings(KHABAR_ENV="production", KHABAR_SECRET_KEY=secret,
                 KHABAR_PASSWORD_HASH_COST="standard")
    assert Settings(KHABAR_ENV="production", KHABAR_SECRET_KEY="k" * 32,
                    KHABAR_PASSWORD_HASH_COST="standard").env == "production"
