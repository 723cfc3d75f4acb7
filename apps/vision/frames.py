"""Frames as the reader hands them over, and the small grey copy the detectors work on.

A frame's pixels are produced on demand: analysis needs only a small grey picture, five times
a second, and colour is needed only for the snapshots (about once a second). For H.264 the
grey picture is the decoder's own luma plane, scaled down; converting every analysed frame
to colour first would cost more than all the analysis together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

# Motion and tamper detection work on pictures this wide (160x90 from 16:9): a person at the
# gate still covers dozens of pixels, and every operation costs a quarter of 320 px. Frigate
# detects motion on frames 100 px high by default for the same reason.
ANALYSIS_WIDTH = 160


class Pixels(Protocol):
    def small_grey(self, width: int) -> np.ndarray:
        """Grey, full range (0-255), scaled down to `width` pixels across."""
        ...

    def colour(self) -> np.ndarray:
        """BGR uint8 at the stream's resolution."""
        ...

    def i420(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """The decoder's own limited-range 4:2:0 planes (Y, U, V; read them, never write),
        or None when the pixels are not in that form."""
        ...


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded frame.

    `stream_time` is seconds on the source's own clock (arrival time for live sources, the
    media position for files): detectors measure durations with it so that a file read faster
    than real time behaves like the live camera it stands for. `wall_time` is time.time() at
    arrival, for records.
    """

    pixels: Pixels
    seq: int
    stream_time: float
    wall_time: float

    @property
    def image(self) -> np.ndarray:
        """BGR at the stream's resolution (converted when first asked for)."""
        return self.pixels.colour()

    def small_grey(self, width: int = ANALYSIS_WIDTH) -> np.ndarray:
        return self.pixels.small_grey(width)


class BgrPixels:
    """Pixels of a picture decoded to colour already (a JPEG)."""

    __slots__ = ("_image",)

    def __init__(self, image: np.ndarray) -> None:
        self._image = image

    def small_grey(self, width: int) -> np.ndarray:
        return small_grey(self._image, width)

    def colour(self) -> np.ndarray:
        return self._image

    def i420(self) -> None:
        return None


def small_grey(image: np.ndarray, width: int = ANALYSIS_WIDTH) -> np.ndarray:
    """The frame in grey, scaled down to `width` pixels across, keeping its aspect ratio.

    Converting to grey before resizing costs a third of the other order (one channel to
    average instead of three) at 720p.
    """
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    return scale_to_width(grey, width)


def scale_to_width(image: np.ndarray, width: int) -> np.ndarray:
    """Box-filtered (INTER_AREA) down to `width` pixels across.

    Halving first, while the size allows it, takes OpenCV's fast path for an exact factor of
    two: 720p to 320 px wide costs a quarter of the single step (0.18 instead of 0.65 ms),
    for the same average of each 4 x 4 block."""
    height, full_width = image.shape[:2]
    if full_width <= width:
        return image
    while full_width >= 2 * width and full_width % 2 == 0 and height % 2 == 0:
        full_width, height = full_width // 2, height // 2
        image = cv2.resize(image, (full_width, height), interpolation=cv2.INTER_AREA)
    if full_width == width:
        return image
    small_height = max(1, round(height * width / full_width))
    return cv2.resize(image, (width, small_height), interpolation=cv2.INTER_AREA)


# Video is usually "limited range": luma from 16 (black) to 235 (white), chroma from 16 to 240
# around 128. Stretched to 0-255 the luma matches the grey of the colour picture, which the
# detectors' thresholds are tuned on, and both are what a JPEG holds. The stretch is one
# vectorised multiply-add with rounding and saturation (cv2.addWeighted with the second
# picture weighted 0): a lookup table goes a byte at a time and costs twice as much.
_LUMA_SCALE = 255.0 / 219.0
_CHROMA_SCALE = 255.0 / 224.0


def luma_to_full_range(plane: np.ndarray) -> np.ndarray:
    """(Y - 16) * 255 / 219, rounded and clipped to 0-255, as a new array."""
    return cv2.addWeighted(plane, _LUMA_SCALE, plane, 0.0, -16.0 * _LUMA_SCALE)


def chroma_to_full_range(plane: np.ndarray) -> np.ndarray:
    """(C - 128) * 255 / 224 + 128, rounded and clipped to 0-255, as a new array."""
    return cv2.addWeighted(plane, _CHROMA_SCALE, plane, 0.0, 128.0 - 128.0 * _CHROMA_SCALE)


def luma_to_grey(luma: np.ndarray, width: int, limited_range: bool) -> np.ndarray:
    """A decoder's luma plane as the analysis picture: scaled first (cheap on one channel),
    then stretched to full range if it was limited.

    Reading the plane from memory is most of the cost, so only some of its rows are read: every
    other row of a plane at least four times as wide as the picture, every fourth of one at
    least eight times as wide (720p for 160 px). A pixel of the picture from 720p averages 8 of
    the 64 pixels it stands for, spread over its block: sensor noise is still averaged well
    below what the detectors react to, and every frame is sampled alike, so a still scene gives
    the same picture each time. (Frigate's motion detector reads 4 pixels of each block.)"""
    height, full_width = luma.shape
    step = 4 if full_width >= 8 * width else 2
    size = (width, max(1, round(height * width / full_width)))
    if full_width >= 4 * width and full_width % 2 == 0 and height % (2 * step) == 0:
        # 2 x 2 means over rows `step` apart: OpenCV's fast path for an exact halving.
        small = cv2.resize(luma[::step], (full_width // 2, height // (2 * step)),
                           interpolation=cv2.INTER_AREA)
        # At exactly a half or a quarter of the width, with the height kept, linear
        # interpolation is the mean of a pair of pixels from each group, at half the cost of
        # INTER_AREA, which has no fast path for shrinking one axis only.
        exact = small.shape[0] == size[1] and small.shape[1] in (2 * width, 4 * width)
        if small.shape[::-1] != size:
            small = cv2.resize(small, size,
                               interpolation=cv2.INTER_LINEAR if exact else cv2.INTER_AREA)
    else:
        small = scale_to_width(luma, width)
    return luma_to_full_range(small) if limited_range else small
