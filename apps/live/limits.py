"""Per-socket and per-user limits for the websocket layer."""

from __future__ import annotations

import threading
import time

from django.conf import settings

MAX_SOCKETS_PER_USER = 10
MAX_TEXT_BYTES = 4096
MAX_SUBSCRIPTIONS = 16
RATE_PER_SECOND = 10.0
RATE_BURST = 20.0
VIOLATIONS_BEFORE_CLOSE = 3

_local: dict[int, int] = {}
_lock = threading.Lock()
_KEY = "posko:ws:sockets:user:{}"
_COUNT_TTL = 3600  # a crashed process's counts fade instead of locking a user out forever


def socket_opened(user_id: int) -> bool:
    """Count a new socket for the user; False (and not counted) over the cap."""
    if settings.EMBEDDED:
        with _lock:
            if _local.get(user_id, 0) >= MAX_SOCKETS_PER_USER:
                return False
            _local[user_id] = _local.get(user_id, 0) + 1
            return True
    from apps.cameras.leases import redis_client

    client = redis_client()
    key = _KEY.format(user_id)
    count = client.incr(key)
    client.expire(key, _COUNT_TTL)
    if count > MAX_SOCKETS_PER_USER:
        client.decr(key)
        return False
    return True


def socket_closed(user_id: int) -> None:
    if settings.EMBEDDED:
        with _lock:
            _local[user_id] = max(0, _local.get(user_id, 0) - 1)
        return
    from apps.cameras.leases import redis_client

    client = redis_client()
    if client.decr(_KEY.format(user_id)) < 0:
        client.set(_KEY.format(user_id), 0)


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
