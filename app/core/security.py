"""Passwords (Argon2id), access tokens (JWT, HS256) and API keys (random, stored as SHA-256)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import jwt
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from app.core.config import get_settings

JWT_ALGORITHM = "HS256"
KEY_PREFIX = "khb"


@cache
def _hasher_for(cost: str) -> PasswordHasher:
    # `standard` is argon2-cffi's default, RFC 9106's low-memory profile (argon2id, 64 MiB, t=3).
    return PasswordHasher.from_parameters(
        profiles.RFC_9106_LOW_MEMORY if cost == "standard" else profiles.CHEAPEST)


def _hasher() -> PasswordHasher:
    return _hasher_for(get_settings().password_hash_cost)


@cache
def _dummy_hash(cost: str) -> str:
    return _hasher_for(cost).hash("khabar-dummy-password")


def dummy_hash() -> str:
    """Verified when the email is unknown, so a failed login costs the same either way."""
    return _dummy_hash(get_settings().password_hash_cost)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def issue_token(subject: str, role: str, now: datetime) -> tuple[str, int]:
    minutes = get_settings().access_token_minutes
    claims = {"sub": subject, "role": role, "iat": now, "exp": now + timedelta(minutes=minutes),
              "iss": "khabar"}
    return jwt.encode(claims, get_settings().secret_key, algorithm=JWT_ALGORITHM), minutes * 60


def decode_token(token: str) -> dict[str, Any] | None:
    try:
        return jwt.decode(token, get_settings().secret_key, algorithms=[JWT_ALGORITHM],
                          issuer="khabar", options={"require": ["exp", "sub", "iat"]})
    except jwt.PyJWTError:
        return None


def new_api_key() -> tuple[str, str, str]:
    """(key, prefix, hash): `khb_<8 hex>_<43 chars>`; 256 bits of secret, prefix for lookup."""
    prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, hash_api_key(key)


def hash_api_key(key: str) -> str:
    # The key is random and long, so a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(key.encode()).hexdigest()


def key_prefix_of(key: str) -> str | None:
    parts = key.split("_", 2)  # the secret itself may contain "_"
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != 8:
        return None
    return parts[1]


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
