"""Where watchers put frames and where authorised views read them.

Files live under MEDIA_ROOT/cameras/<id>/, written through a temporary file and renamed, so a
reader never sees half a JPEG and a full disk leaves no partial file. Never served by a
static or media handler: only through views that ask the access policy."""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings

from apps.vision.snapshot import write_atomic

logger = logging.getLogger(__name__)


def camera_dir(camera_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "cameras" / str(int(camera_id))


def latest_path(camera_id: int) -> Path:
    return camera_dir(camera_id) / "latest.jpg"


def write_latest(camera_id: int, jpeg: bytes) -> bool:
    """False when the frame could not be stored (disk full, read-only, gone)."""
    path = latest_path(camera_id)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, jpeg)
    except OSError as error:
        logger.warning("snapshot of camera %s not written: %s", camera_id, error.strerror)
        return False
    return True


def read_latest(camera_id: int) -> tuple[bytes, float] | None:
    """The newest snapshot and its modification time (epoch seconds), if any."""
    path = latest_path(camera_id)
    try:
        return path.read_bytes(), path.stat().st_mtime
    except FileNotFoundError:
        return None
