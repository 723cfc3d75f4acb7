"""Which cameras someone is watching live right now ("smart streaming").

Live viewers renew a mark every few seconds; a watcher renders snapshots at the live rate
while the mark exists and at the idle rate otherwise, so hundreds of unwatched cameras cost
little. Redis in cluster mode, a dictionary in the single embedded process."""

from __future__ import annotations

import threading
import time

from django.conf import settings

LIVE_SECONDS = 10.0
_KEY = "posko:live:camera:{}"
_local: dict[int, float] = {}
_lock = threading.Lock()


def mark_live(camera_ids, seconds: float = LIVE_SECONDS) -> None:
    """Mark cameras as watched live for `seconds` (one round trip for all of them)."""
    ids = list(camera_ids)
    if settings.EMBEDDED:
        with _lock:
            for camera_id in ids:
                _local[camera_id] = time.monotonic() + seconds
        return
    from apps.cameras.leases import redis_client

    pipeline = redis_client().pipeline(transaction=False)
    for camera_id in ids:
        pipeline.set(_KEY.format(camera_id), "1", px=int(seconds * 1000))
    pipeline.execute()


def is_live(camera_id: int) -> bool:
    if settings.EMBEDDED:
        with _lock:
            return _local.get(camera_id, 0.0) > time.monotonic()
    from apps.cameras.leases import redis_client

    return bool(redis_client().exists(_KEY.format(camera_id)))
