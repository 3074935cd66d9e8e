"""Editorial API: access tokens (OAuth2 password grant) and user administration."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel
from sqlmodel import col, select

from app.audit import service as audit
from app.core.db import LookupSessionDep, SessionDep, utcnow
from app.core.editorial import PageParamsDep
from app.core.errors import problem_responses
from app.core.pagination import Page, PageLinks, PageMeta, SortKey, decode_cursor, encode_cursor
from app.core.security import issue_token
from app.users import service
from app.users.dependencies import (
    CHALLENGE,
    CallerIp,
    CurrentAdmin,
    LoginThrottleDep,
    no_store,
)
from app.users.errors import BadCredentials, UserNotFound
from app.users.models import Role, User, UserCreate, UserPublic, UserUpdate

auth_router = APIRouter(prefix="/v1/auth", tags=["Editorial"], dependencies=[Depends(no_store)])
router = APIRouter(prefix="/v1/editorial/users", tags=["Editorial"],
                   dependencies=[Depends(no_store)])
BY_ID = SortKey("id", [(col(User.id), False)])


class Token(BaseModel):
    """An OAuth2 bearer token (RFC 6749 section 5.1)."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int


class UserList(Page[UserPublic]):
    pass


def public(user: User) -> UserPublic:
    return UserPublic(id=user.id or 0, email=user.email, name=user.name, role=Role(user.role),
                      created_at=user.created_at, disabled=user.disabled_at is not None)


def get_user(user_id: Annotated[int, Path(ge=1, le=2**31 - 1)], session: SessionDep,
             _admin: CurrentAdmin) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound(f"No user with id {user_id}")
    return user


UserDep = Annotated[User, Depends(get_user)]


class LoginForm(OAuth2PasswordRequestForm):
    """The OAuth2 password form, documenting what FastAPI already enforces: an empty `username`
    or `password` counts as missing (422), so the schema says `minLength: 1`."""

    def __init__(
        self, *,
        grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
        username: Annotated[str, Form(min_length=1, max_length=320)],
        password: Annotated[str, Form(min_length=1, max_length=256,
                                      json_schema_extra={"format": "password"})],
        scope: Annotated[str, Form()] = "",
        client_id: Annotated[str | None, Form()] = None,
        client_secret: Annotated[str | None, Form(json_schema_extra={"format": "password"})] = None,
    ) -> None:
        super().__init__(grant_type=grant_type, username=username, password=password, scope=scope,
                         client_id=client_id, client_secret=client_secret)


@auth_router.post("/token", response_model=Token, operation_id="createAccessToken",
                  summary="Log in: exchange email and password for an access token",
                  responses=problem_responses(401, 422, 429))
def create_access_token(form: Annotated[LoginForm, Depends()], request: Request,
                        session: LookupSessionDep, audit_session: SessionDep,
                        throttle: LoginThrottleDep, ip: CallerIp) -> Token:
    """OAuth2 password grant, form-encoded: `grant_type=password`, `username` (the email) and
    `password`. Send the returned `access_token` as `Authorization: Bearer <token>` until
    `expires_in` seconds have passed, then log in again.

    After 5 failed attempts within 5 minutes for one account, or from one address, every attempt
    answers `429` with `Retry-After` until the window has passed, even with the right password."""
    throttle.check(form.username, ip)
    user = service.authenticate(session, form.username, form.password)
    # The password was checked without SQLite's write lock; the audit row is one short write.
    audit.record_login(audit_session, request, email=form.username,
                       user_id=user.id if user else None, ip=ip)
    if user is None:
        throttle.failed(form.username, ip)
        raise BadCredentials("The email or password is wrong, or the account is disabled",
                             headers=CHALLENGE)
    token, expires_in = issue_token(str(user.id), user.role, utcnow())
    return Token(access_token=token, expires_in=expires_in)


@router.get("", response_model=UserList, operation_id="listUsers", summary="List users",
            responses=problem_responses(400, 401, 403, 422))
def list_users(request: Request, response: Response, session: SessionDep, _admin: CurrentAdmin,
               params: PageParamsDep) -> UserList:
    """Every user (disabled ones too), oldest first. Admins only."""
    stmt = select(User).order_by(*BY_ID.order_by()).limit(params.limit + 1)
    if params.cursor:
        stmt = stmt.where(BY_ID.after(decode_cursor(params.cursor, BY_ID.name, 1)))
    users = list(session.exec(stmt).all())
    next_cursor = None
    if len(users) > params.limit:
        users = users[:params.limit]
        next_cursor = encode_cursor(BY_ID.name, [users[-1].id])
    next_url = str(request.url.include_query_params(cursor=next_cursor)) if next_cursor else None
    if next_url:
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return UserList(data=[public(u) for u in users],
                    meta=PageMeta(limit=params.limit, next_cursor=next_cursor),
                    links=PageLinks(self=str(request.url), next=next_url))


@router.post("", response_model=UserPublic, status_code=201, operation_id="createUser",
             summary="Create a user", responses=problem_responses(401, 403, 409, 422))
def create_user(data: UserCreate, request: Request, response: Response, session: SessionDep,
                _admin: CurrentAdmin) -> UserPublic:
    """A new newsroom account with a role (`writer`, `editor` or `admin`). The password (10+
    characters) is stored only as an Argon2id hash. Admins only."""
    user = service.create_user(session, data, now=utcnow())
    response.headers["Location"] = str(request.url_for("read_user", user_id=user.id))
    return public(user)


@router.get("/{user_id}", response_model=UserPublic, operation_id="getUser",
            summary="Get a user", responses=problem_responses(401, 403, 404, 422))
def read_user(user: UserDep) -> UserPublic:
    """One user. Admins only."""
    return public(user)


@router.patch("/{user_id}", response_model=UserPublic, operation_id="updateUser",
              summary="Change a user's role, name, password or disabled state",
              responses=problem_responses(401, 403, 404, 409, 422))
def update_user(user: UserDep, data: UserUpdate, session: SessionDep,
                _admin: CurrentAdmin) -> UserPublic:
    """Send only the fields to change. `disabled: true` locks the account at once: its tokens
    stop working on the next request. Admins only."""
    return public(service.update_user(session, user, data, now=utcnow()))
