"""Per-socket and per-user limits for the websocket layer."""

from __future__ import annotations

import time

from apps.core.keyvalue import store

MAX_SOCKETS_PER_USER = 10
MAX_TEXT_BYTES = 4096
MAX_SUBSCRIPTIONS = 16
RATE_PER_SECOND = 10.0
RATE_BURST = 20.0
VIOLATIONS_BEFORE_CLOSE = 3

_KEY = "posko:ws:sockets:user:{}"
_COUNT_TTL = 3600  # a crashed process's counts fade instead of locking a user out forever


def socket_opened(user_id: int) -> bool:
    """Count a new socket for the user; False (and not counted) over the cap."""
    sockets = store()
    key = _KEY.format(user_id)
    if sockets.incr(key, seconds=_COUNT_TTL) > MAX_SOCKETS_PER_USER:
        sockets.decr(key)
        return False
    return True


def socket_closed(user_id: int) -> None:
    store().decr(_KEY.format(user_id))


class TokenBucket:
    def __init__(self, rate: float = RATE_PER_SECOND, burst: float = RATE_BURST) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False
