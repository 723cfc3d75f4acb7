"""Snapshots out to live viewers through the channel layer.

Watchers publish each snapshot to the server-chosen group `camera.<id>`; the websocket
consumers (live issue) subscribe only after the access policy allowed it, and check again on
every frame. Publishing never fails the watcher: the channel layer is best-effort."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


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
