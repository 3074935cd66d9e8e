"""Login throttling: after 5 failed logins within 5 minutes, for one account or from one client
address, every further attempt (even with the right password) answers 429 until the window
passes.

Counting per account stops password guessing spread over many addresses; counting per address
stops one client trying many accounts. A successful login does not reset either counter, or an
attacker holding one valid account could use it to clear the address counter between guesses.
Counters live in Redis when `REDIS_URL` is set (shared by every app process), else in memory.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from typing import cast

from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.core.errors import TooManyRequests

log = logging.getLogger("khabar.auth")
LOGIN_FAILURES = "5 per 5 minutes"


class LoginThrottled(TooManyRequests):
    title = "Too many failed logins"


class LoginThrottle:
    def __init__(self, storage_uri: str = "memory://", limit: str = LOGIN_FAILURES) -> None:
        # a synchronous URI (no `async+`) makes a synchronous storage
        self.storage = cast(Storage, storage_from_string(storage_uri))
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.item: RateLimitItem = parse(limit)

    @staticmethod
    def _keys(email: str, ip: str) -> list[tuple[str, str]]:
        # Hashed, so the shared store never holds email addresses.
        account = hashlib.sha256(email.strip().casefold().encode()).hexdigest()[:32]
        return [("login-account", account), ("login-ip", ip)]

    def check(self, email: str, ip: str) -> None:
        """Raise 429 (with `Retry-After`) while the account or the address is throttled."""
        try:
            blocked = [k for k in self._keys(email, ip) if not self.limiter.test(self.item, *k)]
            if not blocked:
                return
            reset = max(self.limiter.get_window_stats(self.item, *k).reset_time for k in blocked)
        except self.storage.base_exceptions:
            # A store outage must not lock the whole newsroom out; argon2 still slows guessing.
            log.warning("login throttle store unavailable; not throttling", exc_info=True)
            return
        retry_after = max(1, math.ceil(reset - time.time()))
        raise LoginThrottled("Too many failed logins for this account or from this address; "
                             f"try again in {retry_after} seconds",
                             headers={"Retry-After": str(retry_after)})

    def failed(self, email: str, ip: str) -> None:
        try:
            for key in self._keys(email, ip):
                self.limiter.hit(self.item, *key)
        except self.storage.base_exceptions:
            log.warning("login throttle store unavailable; failure not counted", exc_info=True)
