"""Motion inside zones, on the small grey frame.

A running-average background absorbs slow light changes (clouds, dusk); a shift of the whole
frame's brightness is subtracted before comparing, and a change over most of the frame at once
(lightning, headlights, the camera switching to infrared) re-learns the background instead of
being reported as motion.

A blob that differs from the background counts only while it also changed since the previous
frame, and a zone reports motion only when that happens in consecutive frames. The timestamp
a camera burns into its picture changes once a second and then stands still: without these two
rules every tick of its clock would be "motion". (Masking the overlay is still best.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from apps.vision.geometry import Polygon, box_to_normalised, polygon_mask, whole_frame

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Zone:
    name: str
    polygon: Polygon


@dataclass(frozen=True)
class MotionConfig:
    pixel_threshold: float = 25.0
    # Per analysed frame: at 5 fps the background follows a change within a few seconds.
    background_alpha: float = 0.05
    # Smallest blob worth reporting, as a fraction of the frame: at 320x180 about 90 pixels,
    # larger than the digits of a changing timestamp overlay.
    min_box_fraction: float = 0.0015
    # Fraction of a zone's pixels that must move before the zone reports motion.
    zone_trigger_fraction: float = 0.002
    # Part of a blob that must have changed since the previous frame for it to be moving.
    fresh_fraction: float = 0.05
    # Consecutive analysed frames with motion before a zone reports it.
    consecutive_frames: int = 2
    global_change_fraction: float = 0.6
    global_mean_jump: float = 30.0
    # Frames after a (re)start during which the background is learnt quickly and nothing is
    # reported.
    settle_frames: int = 4
    settle_alpha: float = 0.5


@dataclass(frozen=True)
class ZoneMotion:
    name: str
    fraction: float
    boxes: tuple[Box, ...]

    @property
    def moving(self) -> bool:
        return bool(self.boxes)


@dataclass(frozen=True)
class MotionResult:
    zones: tuple[ZoneMotion, ...]
    changed_fraction: float
    rebaselined: bool

    @property
    def motion(self) -> bool:
        return any(zone.moving for zone in self.zones)


class MotionDetector:
    """Feed it small grey frames (see frames.small_grey) in order; one instance per camera."""

    def __init__(
        self,
        zones: Sequence[Zone] = (),
        ignore: Sequence[Polygon] = (),
        config: MotionConfig | None = None,
    ) -> None:
        self.zones = tuple(zones) or (Zone("frame", whole_frame()),)
        self.ignore = tuple(ignore)
        self.config = config or MotionConfig()
        self._background: np.ndarray | None = None
        self._previous: np.ndarray | None = None
        self._streaks = {zone.name: 0 for zone in self.zones}
        self._settle = 0
        self._kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))

    def reset(self) -> None:
        self._background = None
        self._previous = None

    def update(self, grey: np.ndarray) -> MotionResult:
        cfg = self.config
        height, width = grey.shape
        blurred = cv2.GaussianBlur(grey, (5, 5), 0)
        valid = cv2.bitwise_not(polygon_mask(self.ignore, width, height))
        previous, self._previous = self._previous, blurred
        if self._background is None or self._background.shape != grey.shape:
            return self._rebaseline(blurred, 0.0)
        if previous is None or previous.shape != blurred.shape:
            previous = blurred

        background = self._background
        offset = cv2.mean(blurred, mask=valid)[0] - cv2.mean(background, mask=valid)[0]
        diff = cv2.absdiff(blurred.astype(np.float32) - np.float32(offset), background)
        _, moving = cv2.threshold(diff, cfg.pixel_threshold, 255, cv2.THRESH_BINARY)
        moving = cv2.bitwise_and(moving.astype(np.uint8), valid)
        valid_count = max(1, cv2.countNonZero(valid))
        changed = cv2.countNonZero(moving) / valid_count

        if abs(offset) > cfg.global_mean_jump or changed > cfg.global_change_fraction:
            return self._rebaseline(blurred, changed)
        if self._settle > 0:
            self._settle -= 1
            cv2.accumulateWeighted(blurred, background, cfg.settle_alpha)
            return self._empty(changed, rebaselined=False)
        cv2.accumulateWeighted(blurred, background, cfg.background_alpha)

        _, fresh = cv2.threshold(
            cv2.absdiff(blurred, previous), cfg.pixel_threshold, 255, cv2.THRESH_BINARY
        )
        moving = cv2.dilate(moving, self._kernel, iterations=2)
        min_area = cfg.min_box_fraction * width * height
        rects = [
            (x, y, w, h)
            for x, y, w, h in (cv2.boundingRect(c) for c in _contours(moving))
            if w * h >= min_area
            and cv2.countNonZero(fresh[y : y + h, x : x + w]) >= cfg.fresh_fraction * w * h
        ]
        zones = tuple(self._zone_motion(zone, moving, rects, width, height) for zone in self.zones)
        return MotionResult(zones, changed, rebaselined=False)

    def _zone_motion(
        self,
        zone: Zone,
        moving: np.ndarray,
        rects: list[tuple[int, int, int, int]],
        width: int,
        height: int,
    ) -> ZoneMotion:
        inside = polygon_mask((zone.polygon,), width, height)
        in_zone = cv2.bitwise_and(moving, inside)
        fraction = cv2.countNonZero(in_zone) / max(1, cv2.countNonZero(inside))
        boxes: tuple[Box, ...] = ()
        if fraction >= self.config.zone_trigger_fraction:
            boxes = tuple(
                box_to_normalised(x, y, w, h, width, height)
                for x, y, w, h in rects
                if cv2.countNonZero(in_zone[y : y + h, x : x + w])
            )
        self._streaks[zone.name] = self._streaks[zone.name] + 1 if boxes else 0
        if self._streaks[zone.name] < self.config.consecutive_frames:
            return ZoneMotion(zone.name, fraction, ())
        return ZoneMotion(zone.name, fraction, boxes)

    def _rebaseline(self, blurred: np.ndarray, changed: float) -> MotionResult:
        self._background = blurred.astype(np.float32)
        self._settle = self.config.settle_frames
        return self._empty(changed, rebaselined=True)

    def _empty(self, changed: float, *, rebaselined: bool) -> MotionResult:
        self._streaks = dict.fromkeys(self._streaks, 0)
        zones = tuple(ZoneMotion(zone.name, 0.0, ()) for zone in self.zones)
        return MotionResult(zones, changed, rebaselined)


def _contours(binary: np.ndarray) -> Sequence[np.ndarray]:
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return contours
