"""Who is calling the Editorial API, and may they?"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session

from app.audit import service as audit
from app.core.config import get_settings
from app.core.db import LookupSessionDep, SessionDep
from app.core.errors import Forbidden, Unauthorized
from app.core.http import PRIVATE_CACHE_CONTROL
from app.core.ids import row_id
from app.core.middleware import client_ip
from app.core.security import decode_token
from app.users.models import Role, User
from app.users.throttle import LoginThrottle

# An OAuth2 password-flow scheme (not a bare HTTP bearer) so /docs can log in by itself.
bearer = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False,
                              scheme_name="OAuth2Password",
                              description="JWT access token from `POST /v1/auth/token`")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="khabar"'}
RANK = {Role.writer: 1, Role.editor: 2, Role.admin: 3}


def current_user(
    request: Request,
    session: LookupSessionDep,
    write_session: SessionDep,
    token: Annotated[str | None, Depends(bearer)],
) -> User:
    if not token:
        raise Unauthorized("Send a bearer token from POST /v1/auth/token", headers=CHALLENGE)
    claims = decode_token(token)
    user = _user(session, claims)
    # The user is read without SQLite's write lock and the read ends here: authenticating never
    # waits for, or holds up, another request's write.
    if user is not None:
        session.expunge(user)  # detached, its loaded attributes stay readable
    session.rollback()
    if user is None:
        raise Unauthorized("The token is invalid or expired", headers=CHALLENGE)
    # Every editorial route authenticates here: the one place its writes join the audit log.
    # (The route's own write session, which FastAPI gives this request's every SessionDep: the
    # audit hook waits there for a commit; attaching opens no transaction.)
    audit.attach(write_session, request, actor_id=user.id, actor_email=user.email,
                 ip=caller_ip(request))
    return user


def _user(session: Session, claims: dict[str, Any] | None) -> User | None:
    if not claims or (user_id := row_id(str(claims.get("sub", "")))) is None:
        return None
    user = session.get(User, user_id)
    if user is None or user.disabled_at is not None:
        return None
    # `iat` has whole seconds: a token from the second of the change still counts as after it,
    # so logging in right after changing the password works.
    changed = user.password_changed_at
    if changed is not None and int(claims.get("iat", 0)) < int(changed.timestamp()):
        return None
    return user


def require(role: Role) -> Callable[[User], User]:
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


def no_store(response: Response) -> None:
    """Router dependency: authenticated responses must never be cached by a browser or CDN."""
    response.headers["Cache-Control"] = PRIVATE_CACHE_CONTROL


def login_throttle(request: Request) -> LoginThrottle:
    """One throttle per app, in Redis when configured so every process shares the counts."""
    throttle = getattr(request.app.state, "login_throttle", None)
    if throttle is None:
        throttle = LoginThrottle(get_settings().redis_url or "memory://")
        request.app.state.login_throttle = throttle
    return throttle


def caller_ip(request: Request) -> str:
    return client_ip(request.scope, get_settings().trusted_proxies)


LoginThrottleDep = Annotated[LoginThrottle, Depends(login_throttle)]
CallerIp = Annotated[str, Depends(caller_ip)]
