"""User use cases."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, func, select

from app.core.errors import Conflict
from app.core.security import dummy_hash, hash_password, verify_password
from app.users.models import User, UserCreate, UserUpdate


def create_user(session: Session, data: UserCreate, *, now: datetime) -> User:
    email = data.email.lower()
    if session.exec(select(User.id).where(func.lower(User.email) == email)).first():
        raise Conflict(f"A user with email {email} exists")
    user = User(email=email, name=data.name, role=data.role.value,
                password_hash=hash_password(data.password), created_at=now)
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def update_user(session: Session, user: User, data: UserUpdate, *, now: datetime) -> User:
    values = data.model_dump(exclude_unset=True)
    if values.get("role") is not None:
        user.role = values["role"].value if hasattr(values["role"], "value") else values["role"]
    if "name" in values:
        user.name = values["name"]
    if values.get("password"):
        user.password_hash = hash_password(values["password"])
        user.password_changed_at = now
    if values.get("disabled") is not None:
        user.disabled_at = now if values["disabled"] else None
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with these credentials, or None. An unknown email still costs one
    password verification, so response times do not reveal which emails exist."""
    user = session.exec(select(User).where(func.lower(User.email) == email.strip().lower())).first()
    if user is None:
        verify_password(dummy_hash(), password)
        return None
    if not verify_password(user.password_hash, password) or user.disabled_at is not None:
        return None
    return user
