"""Frames as the reader hands them over, and the small grey copy the detectors work on."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

ANALYSIS_WIDTH = 320


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded frame. `image` is BGR uint8 at the stream's resolution.

    `stream_time` is seconds on the source's own clock (arrival time for live sources, the
    media position for files): detectors measure durations with it so that a file read faster
    than real time behaves like the live camera it stands for. `wall_time` is time.time() at
    arrival, for records.
    """

    image: np.ndarray
    seq: int
    stream_time: float
    wall_time: float


def small_grey(image: np.ndarray, width: int = ANALYSIS_WIDTH) -> np.ndarray:
    """The frame in grey, scaled down to `width` pixels across, keeping its aspect ratio.

    Converting to grey before resizing costs a third of the other order (one channel to
    average instead of three) at 720p.
    """
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    height, full_width = grey.shape
    if full_width <= width:
        return grey
    small_height = max(1, round(height * width / full_width))
    return cv2.resize(grey, (width, small_height), interpolation=cv2.INTER_AREA)
