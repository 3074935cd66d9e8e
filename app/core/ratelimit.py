"""Rate limits: per client IP on the Content API, per partner on the Syndication API.

Counters are fixed windows from the `limits` library: one atomic increment and one read per
request. They live in Redis when `REDIS_URL` is set, so every process and machine shares them,
else in this process's memory. Redis is reached with an asyncio client (the check runs on the
event loop, never blocking it) and short timeouts.

Fail open: when the counter store is unreachable the request is served without limit headers and
a warning is logged (at most once a minute). Khabar's limited surfaces are read-only, so an outage
of the limiter should not become an outage of the API; the partner key still authenticates.

Every limited response carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`
(seconds until the window resets); past the limit the answer is a 429 problem with `Retry-After`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import FixedWindowRateLimiter
from limits.storage import storage_from_string
from starlette.types import Scope

from app.core.config import Settings
from app.core.errors import TooManyRequests

log = logging.getLogger("khabar.ratelimit")
STATE_KEY = "ratelimit_headers"  # scope["state"] entry EdgeMiddleware adds to the response
WARN_EVERY_SECONDS = 60.0


class RateLimited(TooManyRequests):
    title = "Too many requests"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> list[tuple[str, str]]:
        return [("RateLimit-Limit", str(self.limit)),
                ("RateLimit-Remaining", str(self.remaining)),
                ("RateLimit-Reset", str(self.reset_seconds))]

    def error(self, detail: str) -> RateLimited:
        return RateLimited(detail, headers={"Retry-After": str(max(1, self.reset_seconds)),
                                            **dict(self.headers())})


@lru_cache(maxsize=256)
def parse_limit(text: str) -> RateLimitItem | None:
    """`600/minute` (or `600 per minute`); `0` or empty means no limit."""
    if text.strip() in ("", "0"):
        return None
    return parse(text)


class RateLimiter:
    def __init__(self, storage_uri: str, *, key_prefix: str, public: str, partner: str) -> None:
        self.storage_uri = storage_uri
        self.key_prefix = key_prefix
        self.public = parse_limit(public)
        self.partner_default = parse_limit(partner)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._storage: Storage | None = None
        self._strategy: FixedWindowRateLimiter | None = None
        self._warned_at = -WARN_EVERY_SECONDS

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        return cls(settings.redis_url or "memory://", key_prefix=settings.rate_limit_key_prefix,
                   public=settings.rate_limit_public, partner=settings.rate_limit_partner)

    def _for_this_loop(self) -> tuple[Storage, FixedWindowRateLimiter]:
        # asyncio Redis connections belong to the loop that opened them.
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._storage is None or self._strategy is None:
            if self.storage_uri.startswith(("redis://", "rediss://")):
                storage = storage_from_string(
                    f"async+{self.storage_uri}", implementation="redispy",
                    key_prefix=self.key_prefix, socket_connect_timeout=0.25, socket_timeout=0.5)
            else:
                storage = storage_from_string(f"async+{self.storage_uri}")
            self._loop, self._storage = loop, cast(Storage, storage)  # an `async+` URI's
            self._strategy = FixedWindowRateLimiter(storage)
        return self._storage, self._strategy

    async def check(self, item: RateLimitItem, *identifiers: str) -> Decision | None:
        """Count one request; None when the store is unreachable (fail open)."""
        storage, strategy = self._for_this_loop()
        try:
            allowed = await strategy.hit(item, *identifiers)
            stats = await strategy.get_window_stats(item, *identifiers)
        except storage.base_exceptions:
            self._warn()
            return None
        reset = max(0, math.ceil(stats.reset_time - time.time()))
        return Decision(allowed, item.amount, max(0, stats.remaining), reset)

    def _warn(self) -> None:
        now = time.monotonic()
        if now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            log.warning("rate-limit store %s unreachable; serving without limits",
                        self.storage_uri.split("@")[-1], exc_info=True)


def add_headers(scope: Scope, decision: Decision) -> None:
    """Ask `EdgeMiddleware` to put this decision's headers on the response."""
    scope.setdefault("state", {})[STATE_KEY] = decision.headers()
