"""Which cameras someone is watching live right now ("smart streaming"), and what they need.

Live viewers (apps.live) renew a mark every few seconds, of one of two needs:
- PICTURES: masked snapshots. A watcher renders them at the live rate while the mark exists
  (decoding what that takes: apps.vision.decoding) and at the idle rate otherwise, so
  hundreds of unwatched cameras cost little.
- PACKETS: the camera's own video passed through (apps.vision.livemux). It costs no
  decoding: a camera watched only this way decodes as an idle one does.
What the watchers send to the viewers goes through the kernel's push module
(apps.core.push); the marks are kept in the kernel's key-value store (apps.core.keyvalue)."""

from __future__ import annotations

import enum

from apps.core.keyvalue import store

LIVE_SECONDS = 10.0


class Need(enum.StrEnum):
    PICTURES = "live"
    PACKETS = "packets"


def _key(need: Need, camera_id: int) -> str:
    return f"posko:{need.value}:camera:{int(camera_id)}"


def mark_live(camera_ids, seconds: float = LIVE_SECONDS, need: Need = Need.PICTURES) -> None:
    """Mark cameras as watched live for `seconds` (one round trip for all of them)."""
    store().set_many((_key(need, camera_id) for camera_id in camera_ids), "1", seconds=seconds)


def is_live(camera_id: int, need: Need = Need.PICTURES) -> bool:
    return store().exists(_key(need, camera_id))
