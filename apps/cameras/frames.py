"""Where watchers put frames and where authorised views read them.

Files live under MEDIA_ROOT/cameras/<id>/, written to a temporary name and renamed, so a
reader never sees half a JPEG and a full disk leaves no partial file. Never served by a
static or media handler: only through views that ask the access policy."""

from __future__ import annotations

import errno
import logging
import os
import tempfile
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)


def camera_dir(camera_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "cameras" / str(int(camera_id))


def latest_path(camera_id: int) -> Path:
    return camera_dir(camera_id) / "latest.jpg"


def write_atomic(path: Path, data: bytes) -> bool:
    """Write `data` to `path` atomically. False when the disk is full (or not writable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".jpg")
    except OSError as exc:
        logger.warning("cannot create frame file in %s: %s", path.parent, exc.strerror)
        return False
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
        return True
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES):
            raise
        logger.warning("frame not written to %s: %s", path, exc.strerror)
        return False
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_latest(camera_id: int, jpeg: bytes) -> bool:
    return write_atomic(latest_path(camera_id), jpeg)


def read_latest(camera_id: int) -> tuple[bytes, float] | None:
    """The newest snapshot and its modification time (epoch seconds), if any."""
    path = latest_path(camera_id)
    try:
        stat = path.stat()
        return path.read_bytes(), stat.st_mtime
    except FileNotFoundError:
        return None
