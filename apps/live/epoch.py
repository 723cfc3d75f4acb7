"""A counter that grows whenever access may have shrunk anywhere (a share revoked, a camera
turned inward, a person deactivated or logged out).

The consumer reads it before sending every frame and re-asks the access policy when it
moved, so a frame that was already queued when access was revoked is never delivered.
Kept in the kernel's key-value store (apps.core.keyvalue), shared by every Daphne process."""

from __future__ import annotations

import time

from django.conf import settings

from apps.core.keyvalue import store

_KEY = "posko:access-epoch"


def bump() -> None:
    store().incr(_KEY)


# Every frame of every socket asks; within one process the answer is shared for this long,
# which bounds how late a revocation can catch a frame that was already queued.
SHARED_FOR = 0.2
_cached: tuple[float, int] = (0.0, 0)


def peek() -> int | None:
    """The epoch when it is known without I/O (always in embedded mode, where the store is
    this process's; in cluster mode when read within SHARED_FOR), so the event loop can ask
    before every frame; None when only `current()` can tell."""
    if settings.EMBEDDED:
        return int(store().get(_KEY) or 0)
    if time.monotonic() - _cached[0] < SHARED_FOR:
        return _cached[1]
    return None


def current() -> int:
    global _cached
    known = peek()
    if known is not None:
        return known
    now = time.monotonic()
    value = store().get(_KEY)
    _cached = (now, int(value) if value else 0)
    return _cached[1]
