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
    # Smallest blob worth reporting, as a fraction of the frame: at 160x90 about 22 pixels,
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


@dataclass(frozen=True)
class _Layout:
    """The masks of one frame size: drawn once, not for every frame."""

    valid: np.ndarray  # 255 where motion counts (outside the ignored areas)
    valid_count: int
    zones: tuple[np.ndarray, ...]  # per zone: its mask


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
        # The mean of the background over the valid pixels, kept up to date alongside it
        # (a running average of frames has the running average of their means): measuring it
        # again on the float background would cost as much as the rest of the comparison.
        self._background_mean = 0.0
        self._previous: np.ndarray | None = None
        self._streaks = {zone.name: 0 for zone in self.zones}
        self._settle = 0
        self._layout: _Layout | None = None
        self._kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))

    def reset(self) -> None:
        self._background = None
        self._previous = None

    def update(self, grey: np.ndarray) -> MotionResult:
        cfg = self.config
        height, width = grey.shape
        layout = self._layout_for(width, height)
        # No blur first: the analysis picture is a box average of the camera's pixels (8 x 8
        # of them at 720p), which has taken the sensor noise out already.
        mean = cv2.mean(grey, mask=layout.valid)[0]
        previous, self._previous = self._previous, grey
        if self._background is None or self._background.shape != grey.shape:
            return self._rebaseline(grey, mean, 0.0)
        if previous is None or previous.shape != grey.shape:
            previous = grey

        background = self._background
        offset = mean - self._background_mean
        # Moving: differs from the background by more than the threshold once the shift of
        # the whole frame's brightness is taken out, and outside the ignored areas.
        difference = cv2.subtract(grey, background, dtype=cv2.CV_32F)
        unchanged = cv2.inRange(
            difference, offset - cfg.pixel_threshold, offset + cfg.pixel_threshold
        )
        moving = cv2.subtract(layout.valid, unchanged)
        moving_count = cv2.countNonZero(moving)
        changed = moving_count / layout.valid_count

        if abs(offset) > cfg.global_mean_jump or changed > cfg.global_change_fraction:
            return self._rebaseline(grey, mean, changed)
        alpha = cfg.settle_alpha if self._settle > 0 else cfg.background_alpha
        cv2.accumulateWeighted(grey, background, alpha)
        self._background_mean += alpha * (mean - self._background_mean)
        if self._settle > 0:
            self._settle -= 1
            return self._empty(changed, rebaselined=False)
        if not moving_count:
            # A still scene, most of the time: no blob to look for.
            return self._empty(changed, rebaselined=False)

        moving = cv2.dilate(moving, self._kernel)
        min_area = cfg.min_box_fraction * width * height
        candidates = [
            rect
            for rect in (cv2.boundingRect(c) for c in _contours(moving))
            if rect[2] * rect[3] >= min_area
        ]
        rects = []
        if candidates:
            _, fresh = cv2.threshold(
                cv2.absdiff(grey, previous), cfg.pixel_threshold, 255, cv2.THRESH_BINARY
            )
            rects = [
                (x, y, w, h)
                for x, y, w, h in candidates
                if cv2.countNonZero(fresh[y : y + h, x : x + w]) >= cfg.fresh_fraction * w * h
            ]
        zones = tuple(
            self._zone_motion(zone, inside, moving, rects, width, height)
            for zone, inside in zip(self.zones, layout.zones, strict=True)
        )
        return MotionResult(zones, changed, rebaselined=False)

    def changed_share(self, grey: np.ndarray, earlier: np.ndarray) -> float:
        """The share of the pixels where motion counts (outside the ignored areas) that differ
        by more than the pixel threshold between two small grey pictures of the same size: a
        coarse measure for pictures too far apart for `update`'s rules (apps.vision.pipeline)."""
        height, width = grey.shape
        layout = self._layout_for(width, height)
        _, changed = cv2.threshold(cv2.absdiff(grey, earlier), self.config.pixel_threshold, 255,
                                   cv2.THRESH_BINARY)
        return cv2.countNonZero(cv2.bitwise_and(changed, layout.valid)) / layout.valid_count

    def _layout_for(self, width: int, height: int) -> _Layout:
        layout = self._layout
        if layout is None or layout.valid.shape != (height, width):
            valid = cv2.bitwise_not(polygon_mask(self.ignore, width, height))
            zones = tuple(polygon_mask((zone.polygon,), width, height) for zone in self.zones)
            layout = self._layout = _Layout(valid, max(1, cv2.countNonZero(valid)), zones)
        return layout

    def _zone_motion(
        self,
        zone: Zone,
        inside: np.ndarray,
        moving: np.ndarray,
        rects: list[tuple[int, int, int, int]],
        width: int,
        height: int,
    ) -> ZoneMotion:
        # The mean of a 0/255 picture over the zone is 255 times the zone's moving fraction.
        fraction = cv2.mean(moving, mask=inside)[0] / 255.0
        boxes: tuple[Box, ...] = ()
        if rects and fraction >= self.config.zone_trigger_fraction:
            in_zone = cv2.bitwise_and(moving, inside)
            boxes = tuple(
                box_to_normalised(x, y, w, h, width, height)
                for x, y, w, h in rects
                if cv2.countNonZero(in_zone[y : y + h, x : x + w])
            )
        self._streaks[zone.name] = self._streaks[zone.name] + 1 if boxes else 0
        if self._streaks[zone.name] < self.config.consecutive_frames:
            return ZoneMotion(zone.name, fraction, ())
        return ZoneMotion(zone.name, fraction, boxes)

    def _rebaseline(self, grey: np.ndarray, mean: float, changed: float) -> MotionResult:
        self._background = grey.astype(np.float32)
        self._background_mean = mean
        self._settle = self.config.settle_frames
        return self._empty(changed, rebaselined=True)

    def _empty(self, changed: float, *, rebaselined: bool) -> MotionResult:
        self._streaks = dict.fromkeys(self._streaks, 0)
        zones = tuple(ZoneMotion(zone.name, 0.0, ()) for zone in self.zones)
        return MotionResult(zones, changed, rebaselined)


def _contours(binary: np.ndarray) -> Sequence[np.ndarray]:
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return contours
