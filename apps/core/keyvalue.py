"""One key-value store for short-lived state that every process must agree on: which cameras
are watched live, sockets per person, the access epoch, a queued watcher start.

Redis in cluster mode (shared by every Daphne and Celery process); a dictionary in embedded
mode, where one process is the whole portal. Callers never ask which: `store()` answers with
the same few operations either way, each atomic.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterable
from typing import Protocol

from django.conf import settings


class KeyValue(Protocol):
    def get(self, key: str) -> str | None: ...

    def exists(self, key: str) -> bool: ...

    def set(self, key: str, value: str, *, seconds: float | None = None,
            only_new: bool = False) -> bool:
        """Store `value` (for `seconds`, else for good); with `only_new`, only when the key
        is absent. True when stored."""

    def set_many(self, keys: Iterable[str], value: str, *, seconds: float) -> None: ...

    def incr(self, key: str, *, seconds: float | None = None) -> int:
        """Add one (from 0) and return the count; `seconds` renews the key's lifetime."""

    def decr(self, key: str) -> int:
        """Take one off, never below 0, and return the count."""


class LocalKeyValue:
    """The embedded process's store: a dictionary of (value, expiry) under one lock."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[str, float | None]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str) -> str | None:
        found = self._values.get(key)
        if found is None:
            return None
        value, expires = found
        if expires is not None and expires <= time.monotonic():
            del self._values[key]
            return None
        return value

    @staticmethod
    def _expiry(seconds: float | None) -> float | None:
        return None if seconds is None else time.monotonic() + seconds

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._live(key)

    def exists(self, key: str) -> bool:
        return self.get(key) is not None

    def set(self, key: str, value: str, *, seconds: float | None = None,
            only_new: bool = False) -> bool:
        with self._lock:
            if only_new and self._live(key) is not None:
                return False
            self._values[key] = (value, self._expiry(seconds))
            return True

    def set_many(self, keys: Iterable[str], value: str, *, seconds: float) -> None:
        expires = self._expiry(seconds)
        with self._lock:
            for key in keys:
                self._values[key] = (value, expires)

    def incr(self, key: str, *, seconds: float | None = None) -> int:
        with self._lock:
            count = int(self._live(key) or 0) + 1
            found = self._values.get(key)  # after _live: an expired entry is gone
            expires = self._expiry(seconds) if seconds is not None else (
                found[1] if found else None)
            self._values[key] = (str(count), expires)
            return count

    def decr(self, key: str) -> int:
        with self._lock:
            count = max(0, int(self._live(key) or 0) - 1)
            found = self._values.get(key)
            self._values[key] = (str(count), found[1] if found else None)
            return count


class RedisKeyValue:
    def __init__(self, client) -> None:
        self._client = client

    def get(self, key: str) -> str | None:
        value = self._client.get(key)
        return value.decode() if isinstance(value, bytes) else value

    def exists(self, key: str) -> bool:
        return bool(self._client.exists(key))

    def set(self, key: str, value: str, *, seconds: float | None = None,
            only_new: bool = False) -> bool:
        milliseconds = None if seconds is None else int(seconds * 1000)
        return bool(self._client.set(key, value, px=milliseconds, nx=only_new))

    def set_many(self, keys: Iterable[str], value: str, *, seconds: float) -> None:
        pipeline = self._client.pipeline(transaction=False)
        for key in keys:
            pipeline.set(key, value, px=int(seconds * 1000))
        pipeline.execute()

    def incr(self, key: str, *, seconds: float | None = None) -> int:
        if seconds is None:
            return int(self._client.incr(key))
        pipeline = self._client.pipeline(transaction=True)
        pipeline.incr(key)
        pipeline.pexpire(key, int(seconds * 1000))
        return int(pipeline.execute()[0])

    def decr(self, key: str) -> int:
        count = int(self._client.decr(key))
        if count < 0:
            self._client.set(key, 0, keepttl=True)
            return 0
        return count


@functools.cache
def redis_client():
    """One client (and connection pool) per process: it is thread-safe, and connecting per
    call would cost a TCP handshake on hot paths (the live view asks per frame)."""
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=5,
                                health_check_interval=10, retry_on_timeout=True)


_LOCAL = LocalKeyValue()


def store() -> KeyValue:
    return _LOCAL if settings.EMBEDDED else RedisKeyValue(redis_client())
