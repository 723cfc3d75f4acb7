"""Which cameras someone is watching live right now ("smart streaming").

Live viewers (apps.live) renew a mark every few seconds; a watcher renders snapshots at the
live rate while the mark exists and at the idle rate otherwise, so hundreds of unwatched
cameras cost little. What the watchers send to the viewers goes through the kernel's push
module (apps.core.push); the marks are kept in the kernel's key-value store
(apps.core.keyvalue)."""

from __future__ import annotations

from apps.core.keyvalue import store

LIVE_SECONDS = 10.0
_KEY = "posko:live:camera:{}"


def mark_live(camera_ids, seconds: float = LIVE_SECONDS) -> None:
    """Mark cameras as watched live for `seconds` (one round trip for all of them)."""
    store().set_many((_KEY.format(camera_id) for camera_id in camera_ids), "1",
                     seconds=seconds)


def is_live(camera_id: int) -> bool:
    return store().exists(_KEY.format(camera_id))
