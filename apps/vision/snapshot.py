"""Snapshots: scaled, privacy masks burned in, JPEG-encoded.

Every image that leaves the capture worker goes through render_snapshot, so a masked pixel
never reaches storage, a websocket or an alert.

The picture is scaled first and masked after, with a mask that covers every output pixel
any hidden input pixel contributed to: the box filters that scale the picture are run over the
mask itself (in floating point, so no contribution rounds away), and whatever they touch is
blacked out; the colour planes of video one sample wider. Hidden content thus never blends
into what stays visible, and masking at snapshot size costs a quarter of full size. Decoded
video is scaled while it is still YUV 4:2:0 and turned into colour at snapshot size, which
costs a third of converting the full frame first.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from apps.vision.frames import Pixels, scale_to_width
from apps.vision.geometry import Polygon, polygon_mask

DEFAULT_WIDTH = 640
DEFAULT_QUALITY = 70
# Black in limited-range video: luma 16, chroma at its neutral 128.
_VIDEO_BLACK_LUMA, _VIDEO_NEUTRAL_CHROMA = 16, 128


class SnapshotError(RuntimeError):
    pass


def render_snapshot(
    picture: np.ndarray | Pixels,
    privacy_masks: Sequence[Polygon] = (),
    *,
    width: int = DEFAULT_WIDTH,
    quality: int = DEFAULT_QUALITY,
) -> bytes:
    """JPEG bytes of `picture` (a BGR array or a frame's pixels) with `privacy_masks` blacked
    out, at most `width` pixels wide. The caller's pixels are never modified."""
    masks = tuple(tuple(p) for p in privacy_masks)
    if isinstance(picture, np.ndarray):
        image = _masked_bgr(picture, masks, width)
    else:
        planes = picture.i420()
        image = _masked_i420(planes, masks, width) if planes is not None else None
        if image is None:
            image = _masked_bgr(picture.colour(), masks, width)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise SnapshotError("JPEG encoding failed")
    return encoded.tobytes()


def _masked_bgr(image: np.ndarray, masks: tuple[Polygon, ...], width: int) -> np.ndarray:
    height, full_width = image.shape[:2]
    scaled = scale_to_width(image, width)
    if not masks:
        return scaled
    keep = _keep_mask(masks, (full_width, height), scaled.shape[1], chroma=False)
    return cv2.bitwise_and(scaled, scaled, mask=keep)  # a new array: the input stays intact


def _masked_i420(
    planes: tuple[np.ndarray, np.ndarray, np.ndarray], masks: tuple[Polygon, ...], width: int
) -> np.ndarray | None:
    """BGR at snapshot size from limited-range 4:2:0 planes; None for sizes that 4:2:0
    cannot hold (odd), which the caller converts the ordinary way."""
    luma, blue, red = planes
    height, full_width = luma.shape
    small_luma = scale_to_width(luma, width)
    out_height, out_width = small_luma.shape
    small_blue, small_red = (scale_to_width(p, out_width // 2) for p in (blue, red))
    if out_height % 2 or out_width % 2 or small_blue.shape != (out_height // 2, out_width // 2):
        return None
    # One buffer in the layout the converter reads (Y, U, V), a copy the masks may write to.
    i420 = np.concatenate([small_luma.ravel(), small_blue.ravel(), small_red.ravel()])
    if masks:
        luma_part = i420[: out_width * out_height].reshape(out_height, out_width)
        chroma_part = i420[out_width * out_height:].reshape(2, *small_blue.shape)
        source = (full_width, height)
        hidden_luma = _keep_mask(masks, source, out_width, chroma=False) == 0
        hidden_chroma = _keep_mask(masks, source, out_width // 2, chroma=True) == 0
        np.copyto(luma_part, _VIDEO_BLACK_LUMA, where=hidden_luma)
        np.copyto(chroma_part, _VIDEO_NEUTRAL_CHROMA, where=hidden_chroma)
    return cv2.cvtColor(i420.reshape(out_height * 3 // 2, out_width), cv2.COLOR_YUV2BGR_I420)


@lru_cache(maxsize=256)
def _keep_mask(
    masks: tuple[Polygon, ...], source: tuple[int, int], out_width: int, *, chroma: bool
) -> np.ndarray:
    """255 where an output pixel `out_width` wide drew on no hidden pixel of the `source`
    picture, 0 elsewhere; for `chroma`, of its half-resolution colour planes. Read-only and
    cached: masks change rarely, frames arrive often."""
    hidden = polygon_mask(masks, *source).astype(np.float32)
    if chroma:
        # A chroma sample stands for its 2 x 2 block of pixels: hidden if any of them is.
        hidden = cv2.resize(hidden, (source[0] // 2, source[1] // 2),
                            interpolation=cv2.INTER_AREA)
    # The very filter chain the picture goes through, so the mask reaches wherever it does.
    hidden_out = (scale_to_width(hidden, out_width) > 0).astype(np.uint8)
    if chroma:
        # The camera may have filtered colour across neighbouring pixels before subsampling
        # it: one more sample of margin on every side.
        hidden_out = cv2.dilate(hidden_out, np.ones((3, 3), np.uint8))
    keep = np.where(hidden_out > 0, 0, 255).astype(np.uint8)
    keep.setflags(write=False)
    return keep


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
