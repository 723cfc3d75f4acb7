"""The stream runtime's side of live viewing: what watchers send out and who is watching.

Watchers publish each snapshot and status change to the server-chosen group `camera.<id>`;
the websocket consumers (apps.live) subscribe only after the access policy allowed it, and
check again on every frame. Publishing never fails the watcher: the channel layer is
best-effort.

Live viewers renew a mark every few seconds ("smart streaming"); a watcher renders snapshots
at the live rate while the mark exists and at the idle rate otherwise, so hundreds of
unwatched cameras cost little. The marks are kept in the kernel's key-value store
(apps.core.keyvalue)."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from apps.core.keyvalue import store

logger = logging.getLogger(__name__)

LIVE_SECONDS = 10.0
_LIVE_KEY = "posko:live:camera:{}"


def camera_group(camera_id: int) -> str:
    return f"camera.{int(camera_id)}"


def publish_snapshot(camera_id: int, jpeg: bytes, taken_at: float) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            camera_group(camera_id),
            {"type": "camera.frame", "camera": int(camera_id), "at": taken_at, "jpeg": jpeg},
        )
    except Exception:
        logger.debug("snapshot of camera %s not published", camera_id, exc_info=True)


def publish_status(camera_id: int, state: str, tamper: str, label: str) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            camera_group(camera_id),
            {"type": "camera.status", "camera": int(camera_id), "state": state,
             "tamper": tamper, "label": label},
        )
    except Exception:
        logger.debug("status of camera %s not published", camera_id, exc_info=True)


def mark_live(camera_ids, seconds: float = LIVE_SECONDS) -> None:
    """Mark cameras as watched live for `seconds` (one round trip for all of them)."""
    store().set_many((_LIVE_KEY.format(camera_id) for camera_id in camera_ids), "1",
                     seconds=seconds)


def is_live(camera_id: int) -> bool:
    return store().exists(_LIVE_KEY.format(camera_id))
