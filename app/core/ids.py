"""Opaque, time-ordered identifiers for articles (32 hex characters)."""

import secrets
import time


def new_id() -> str:
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"
