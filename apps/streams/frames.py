"""Where watchers put frames and where authorised views read them.

Files live under MEDIA_ROOT/cameras/<id>/, written through a temporary file and renamed, so a
reader never sees half a JPEG and a full disk leaves no partial file. Never served by a
static or media handler: only through views that ask the access policy.

A stored frame leaves the owner agency only as `as_served` and `latest_for` make it: with
the camera's current privacy masks burned in again (a mask drawn after the frame was stored
hides what it covers from then on), and never the latest snapshot taken while the camera was
inward."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import simplejpeg
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.http import Http404

from apps.access import policy
from apps.vision.geometry import polygons
from apps.vision.snapshot import SnapshotError, render_snapshot, write_atomic

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


class FrameUnavailable(Http404):
    """A stored frame that cannot be served masked (unreadable): refused like a missing one,
    never sent as is."""


def latest_for(user, camera) -> tuple[bytes, float] | None:
    """The newest snapshot as `user` may see it, and its modification time; None when there
    is none for them (none stored, or taken while the camera was inward and `user` is not of
    the owner agency)."""
    latest = read_latest(camera.pk)
    if latest is None:
        return None
    data, modified = latest
    if policy.is_camera_owner(user, camera):
        return latest
    if policy.frame_taken_while_inward(camera, datetime.fromtimestamp(modified, UTC)):
        return None
    try:
        return with_current_masks(camera, data), modified
    except FrameUnavailable:
        return None


def as_served(user, camera, image: File) -> File:
    """A stored frame file (evidence, timeline) as `user` may see it: as stored for the owner
    agency, with the camera's current masks burned in for everyone else. Raises
    FrameUnavailable when it cannot be masked."""
    if not camera.privacy_masks or policy.is_camera_owner(user, camera):
        return image
    with image.open("rb") as handle:
        data = handle.read()
    return ContentFile(with_current_masks(camera, data), name=Path(image.name).name)


def with_current_masks(camera, jpeg: bytes) -> bytes:
    """`jpeg` with `camera`'s privacy masks blacked out, at its own size (the mask code the
    watcher burns them in with; covering a spot twice changes nothing)."""
    if not camera.privacy_masks:
        return jpeg
    try:
        picture = simplejpeg.decode_jpeg(jpeg, colorspace="BGR")
        return render_snapshot(picture, polygons(camera.privacy_masks),
                               width=picture.shape[1], quality=90)
    except (ValueError, RuntimeError, SnapshotError) as error:  # PolygonError is a ValueError
        logger.warning("stored frame of camera %s not masked: %s", camera.pk, error)
        raise FrameUnavailable from None
