"""Snapshots: privacy masks burned in first, then scaled and JPEG-encoded.

Every image that leaves the capture worker goes through render_snapshot, so a masked pixel
never reaches storage, a websocket or an alert.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from apps.vision.geometry import Polygon, polygon_mask

DEFAULT_WIDTH = 640
DEFAULT_QUALITY = 70


class SnapshotError(RuntimeError):
    pass


def render_snapshot(
    image: np.ndarray,
    privacy_masks: Sequence[Polygon] = (),
    *,
    width: int = DEFAULT_WIDTH,
    quality: int = DEFAULT_QUALITY,
) -> bytes:
    """JPEG bytes of a BGR frame with `privacy_masks` blacked out, at most `width` pixels wide.

    The caller's array is never modified.
    """
    height, full_width = image.shape[:2]
    if privacy_masks:
        keep = cv2.bitwise_not(polygon_mask(privacy_masks, full_width, height))
        # Masked before scaling: the area filter below would otherwise blend hidden pixels
        # into their visible neighbours.
        image = cv2.bitwise_and(image, image, mask=keep)
    if full_width > width:
        out_height = max(1, round(height * width / full_width))
        image = cv2.resize(image, (width, out_height), interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise SnapshotError("JPEG encoding failed")
    return encoded.tobytes()


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder.

    Raises OSError (ENOSPC when the disk is full) and leaves no partial file behind; unlike
    cv2.imwrite, which returns False on a full disk.
    """
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
