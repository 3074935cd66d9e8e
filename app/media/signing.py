"""Signatures for renditions outside the free set: HMAC-SHA256 of the URL path (without the
query), keyed by a key derived from `KHABAR_SECRET_KEY`, as imgproxy signs its URLs."""

from __future__ import annotations

import base64
import hashlib
import hmac

from app.core.config import get_settings


def _key() -> bytes:
    return hashlib.sha256(b"khabar-media-sig:" + get_settings().secret_key.encode()).digest()


def sign(path: str) -> str:
    """The `sig` for `path`, e.g. `/media/<id>/750x500.webp`."""
    digest = hmac.new(_key(), path.encode(), hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode()


def valid(path: str, sig: str | None) -> bool:
    return sig is not None and hmac.compare_digest(sign(path), sig)
