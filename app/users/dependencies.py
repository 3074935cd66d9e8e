"""Who is calling the Editorial API, and may they?"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from app.core.db import SessionDep
from app.core.errors import Forbidden, Unauthorized
from app.core.security import decode_token
from app.users.models import Role, User

bearer = HTTPBearer(auto_error=False, scheme_name="bearerAuth",
                    description="JWT access token from `POST /v1/auth/token`")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="khabar"'}
RANK = {Role.writer: 1, Role.editor: 2, Role.admin: 3}


def current_user(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Send a bearer token from POST /v1/auth/token", headers=CHALLENGE)
    claims = decode_token(credentials.credentials)
    user = _user(session, claims)
    if user is None:
        raise Unauthorized("The token is invalid or expired", headers=CHALLENGE)
    return user


def _user(session: Session, claims: dict | None) -> User | None:  # type: ignore[type-arg]
    if not claims or not str(claims.get("sub", "")).isdigit():
        return None
    user = session.get(User, int(claims["sub"]))
    if user is None or user.disabled_at is not None:
        return None
    return user


def require(role: Role):  # type: ignore[no-untyped-def]
    """A dependency admitting `role` and the roles above it."""

    def guard(user: Annotated[User, Depends(current_user)]) -> User:
        if RANK[Role(user.role)] < RANK[role]:
            raise Forbidden(f"This needs the {role.value} role")
        return user

    return guard


CurrentUser = Annotated[User, Depends(current_user)]
CurrentWriter = Annotated[User, Depends(require(Role.writer))]
CurrentEditor = Annotated[User, Depends(require(Role.editor))]
CurrentAdmin = Annotated[User, Depends(require(Role.admin))]


def no_store(request: Request) -> None:
    """Marker dependency: authenticated responses are `private, no-store` (set by routers)."""
