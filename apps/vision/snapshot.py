"""Snapshots: scaled, privacy masks burned in, JPEG-encoded.

Every image that leaves the capture worker goes through render_snapshot, so a masked pixel
never reaches storage, a websocket or an alert.

The picture is scaled first and masked after, with a mask that covers every output pixel
any hidden input pixel contributed to: the box filters that scale the picture are run over the
mask itself (in floating point, so no contribution rounds away), and whatever they touch is
blacked out; the colour planes of video one sample wider. Hidden content thus never blends
into what stays visible, and masking at snapshot size costs a quarter of full size. Decoded
video is scaled while it is still YUV 4:2:0 and encoded from those planes (a JPEG holds YUV
4:2:0 itself): no conversion to colour and back, which cost 0.5 of the 1.9 ms a snapshot took
here. libjpeg-turbo encodes, through simplejpeg.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import simplejpeg

from apps.vision.frames import (
    Pixels,
    chroma_to_full_range,
    luma_to_full_range,
    scale_to_width,
)
from apps.vision.geometry import Polygon, polygon_mask

DEFAULT_WIDTH = 640
DEFAULT_QUALITY = 70
_NEUTRAL_CHROMA = 128


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
    planes = None if isinstance(picture, np.ndarray) else picture.i420()
    full_range = _masked_i420(planes, masks, width) if planes is not None else None
    try:
        if full_range is not None:
            return simplejpeg.encode_jpeg_yuv_planes(*full_range, quality=quality)
        image = picture if isinstance(picture, np.ndarray) else picture.colour()
        return simplejpeg.encode_jpeg(
            np.ascontiguousarray(_masked_bgr(image, masks, width)),
            quality=quality,
            colorspace="BGR",
            colorsubsampling="420",
        )
    except (ValueError, RuntimeError) as exc:
        raise SnapshotError("JPEG encoding failed") from exc


def _masked_bgr(image: np.ndarray, masks: tuple[Polygon, ...], width: int) -> np.ndarray:
    height, full_width = image.shape[:2]
    scaled = scale_to_width(image, width)
    if not masks:
        return scaled
    keep, _ = _keep_mask(masks, (full_width, height), scaled.shape[1], chroma=False)
    return cv2.bitwise_and(scaled, scaled, mask=keep)  # a new array: the input stays intact


def _masked_i420(
    planes: tuple[np.ndarray, np.ndarray, np.ndarray], masks: tuple[Polygon, ...], width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Full-range Y, U and V planes at snapshot size from limited-range 4:2:0 ones; None for
    sizes that 4:2:0 cannot hold (odd), which the caller converts the ordinary way."""
    luma, blue, red = planes
    height, full_width = luma.shape
    small_luma = scale_to_width(luma, width)
    out_height, out_width = small_luma.shape
    small_blue, small_red = (scale_to_width(p, out_width // 2) for p in (blue, red))
    if out_height % 2 or out_width % 2 or small_blue.shape != (out_height // 2, out_width // 2):
        return None
    # The range stretch makes new arrays: the masks below never write to the decoder's planes.
    luma_out = luma_to_full_range(small_luma)
    chroma_out = [chroma_to_full_range(p) for p in (small_blue, small_red)]
    if masks:
        source = (full_width, height)
        # Black: luma 0, chroma at its neutral value.
        keep, box = _keep_mask(masks, source, out_width, chroma=False)
        _black_out(luma_out, keep, box)
        keep, box = _keep_mask(masks, source, out_width // 2, chroma=True)
        neutral = _neutral_where_hidden(masks, source, out_width // 2)
        for plane in chroma_out:
            _black_out(plane, keep, box, neutral)
    return luma_out, chroma_out[0], chroma_out[1]


def _black_out(
    plane: np.ndarray, keep: np.ndarray, box: tuple[slice, slice], neutral: np.ndarray | None = None
) -> None:
    """Zero `plane` where `keep` is 0 (then add `neutral` there), in place; only the box
    around the hidden pixels is touched."""
    if box[0].start == box[0].stop:
        return
    region = plane[box]
    cv2.bitwise_and(region, keep[box], dst=region)
    if neutral is not None:
        cv2.bitwise_or(region, neutral[box], dst=region)


@lru_cache(maxsize=256)
def _neutral_where_hidden(
    masks: tuple[Polygon, ...], source: tuple[int, int], out_width: int
) -> np.ndarray:
    """The neutral chroma value where the colour planes are hidden, 0 elsewhere."""
    keep, _ = _keep_mask(masks, source, out_width, chroma=True)
    neutral = np.where(keep == 0, _NEUTRAL_CHROMA, 0).astype(np.uint8)
    neutral.setflags(write=False)
    return neutral


@lru_cache(maxsize=256)
def _keep_mask(
    masks: tuple[Polygon, ...], source: tuple[int, int], out_width: int, *, chroma: bool
) -> tuple[np.ndarray, tuple[slice, slice]]:
    """255 where an output pixel `out_width` wide drew on no hidden pixel of the `source`
    picture, 0 elsewhere (for `chroma`, of its half-resolution colour planes), and the box
    around the 0s, outside which there is nothing to mask. Read-only and cached: masks change
    rarely, frames arrive often."""
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
    x, y, width, height = cv2.boundingRect(hidden_out)
    return keep, (slice(y, y + height), slice(x, x + width))


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
