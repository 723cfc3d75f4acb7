"""One camera's analysis: frames in, snapshots and events out. Plain Python, no Django.

The reader hands over the frames due for analysis; the pipeline runs motion and tamper
detection on a small grey copy, renders masked snapshots at the live or idle rate, keeps a
low-rate timeline and the ring of recent masked frames from which event clips are cut. What
happens with the results (files, database rows, alerts, websockets) is the sink's business.
Masks are applied in `render_snapshot`, so no unmasked pixel ever reaches the sink.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from apps.vision.frames import Frame
from apps.vision.geometry import Polygon
from apps.vision.motion import MotionDetector, MotionResult, Zone
from apps.vision.ringbuffer import Clip, ClipCollector
from apps.vision.snapshot import render_snapshot
from apps.vision.tamper import TamperDetector, TamperEvent


@dataclass(frozen=True)
class PipelineConfig:
    motion_zones: Sequence[Polygon] = ()
    privacy_masks: Sequence[Polygon] = ()
    live_interval: float = 1.0  # seconds between snapshots while someone watches live
    idle_interval: float = 10.0  # ... and while nobody does
    timeline_interval: float = 10.0
    evidence_interval: float = 1.0  # frames kept around events, per second of stream
    clip_before: float = 10.0
    clip_after: float = 20.0
    snapshot_width: int = 640


class PipelineSink(Protocol):
    def snapshot(self, jpeg: bytes, frame: Frame) -> None: ...

    def timeline(self, jpeg: bytes, frame: Frame) -> None: ...

    def motion(self, result: MotionResult, frame: Frame, clip_key: str | None) -> None: ...

    def tamper(self, event: TamperEvent, frame: Frame, clip_key: str | None) -> None: ...

    def clip(self, clip: Clip) -> None: ...

    def moved(self, frame: Frame) -> None:
        """Motion on a camera that raises no motion alert now: the coarse marker of its
        recording (no alert, no clip)."""


# A picture is due up to this fraction of its interval early: frames of a live stream are
# timed by their arrival, and a keyframe a second arriving 20 ms early must still make the
# live snapshot (apps.vision.decoding serves live viewers from keyframes alone when they come
# as often as the snapshots).
EARLY = 0.1


# The coarse motion marker (issue 20) for cameras raising no motion alert, on the pictures they
# decode anyway. On pictures this close together it takes the motion detector's word: its
# rules (changed since the previous picture, in consecutive pictures) hold at the analysis
# rate. On keyframes looked at seconds apart a camera's clock overlay alone differs between any
# two, so there each look is compared with the last: movement when more than MARKER_CHANGE of
# the small grey picture (outside the privacy masks) changed by more than the detector's pixel
# threshold, and not most of it (a light switched on). On the simulator's scenes, keyframes 1
# and 2 s apart: a still one, day or night, 0-0.15 % (its clock included), someone walking
# through the gate 1.1-2.8 % (at night 0.6-1.2 %), a crowd, traffic or a market 16-35 %; a
# frozen picture is the same picture, 0 %. The packet sizes were tried and left out: with the
# simulator's camera encoder (a set bitrate, no lookahead) the groups of predicted frames
# after a freeze grew past half as much again as the quietest recent group, as someone walking
# by makes them, while a walk-by at 320x180 and 640x360 mostly did not.
MARKER_GAP = 0.5
MARKER_CHANGE = 0.01


@dataclass
class _Due:
    interval: float
    last: float | None = field(default=None)

    def __call__(self, t: float, interval: float | None = None) -> bool:
        wait = self.interval if interval is None else interval
        if self.last is None or t - self.last >= wait * (1 - EARLY) or t < self.last:
            self.last = t
            return True
        return False


class CameraPipeline:
    """Feed `process(frame)` from the reader's thread. `is_live()` says whether anyone watches
    now (live snapshot rate), `is_armed(frame)` whether motion should raise an event."""

    def __init__(
        self,
        config: PipelineConfig,
        sink: PipelineSink,
        *,
        is_live: Callable[[], bool] = lambda: False,
        is_armed: Callable[[Frame], bool] = lambda frame: False,
    ) -> None:
        self.config = config
        self.sink = sink
        self._is_live = is_live
        self._is_armed = is_armed
        zones = tuple(Zone(f"zone{i + 1}", p) for i, p in enumerate(config.motion_zones))
        self.motion = MotionDetector(zones, ignore=config.privacy_masks)
        self.tamper = TamperDetector()
        self.clips = ClipCollector(config.clip_before, config.clip_after)
        self._snapshot_due = _Due(config.live_interval)
        self._timeline_due = _Due(config.timeline_interval)
        self._evidence_due = _Due(config.evidence_interval)
        self._motion_active = False
        self._last_t: float | None = None
        self._last_look: np.ndarray | None = None

    @property
    def event_open(self) -> bool:
        """An event on this camera is open: a tamper report stands, or an event's clip is
        still being collected (apps.vision.decoding decodes in full meanwhile)."""
        return bool(self.tamper.active) or self.clips.collecting

    @property
    def needs_attention(self) -> bool:
        """The tamper detector wants every keyframe (apps.vision.decoding, keyframe mode)."""
        return self.tamper.needs_attention

    def process(self, frame: Frame) -> None:
        t = frame.stream_time
        live = self._is_live()
        snapshot_interval = self.config.live_interval if live else self.config.idle_interval
        want_snapshot = self._snapshot_due(t, snapshot_interval)
        want_timeline = self._timeline_due(t)
        want_evidence = self._evidence_due(t)
        jpeg = None
        if want_snapshot or want_timeline or want_evidence:
            # Before the grey picture: the snapshot reads the whole frame, and the grey picture
            # then finds the rows it reads in the cache.
            jpeg = render_snapshot(
                frame.pixels, self.config.privacy_masks, width=self.config.snapshot_width
            )
        grey = frame.small_grey()
        motion = self.motion.update(grey)
        tamper = self.tamper.update(grey, t)

        if jpeg is not None:
            if want_evidence:
                for clip in self.clips.push(t, jpeg):
                    self.sink.clip(clip)
            if want_snapshot:
                self.sink.snapshot(jpeg, frame)
            if want_timeline:
                self.sink.timeline(jpeg, frame)

        starting = motion.motion and not self._motion_active
        self._motion_active = motion.motion
        moved = self._looks_moved(grey, t, motion)
        if moved or starting:
            armed = self._is_armed(frame)
            if moved and not armed:
                self.sink.moved(frame)
            if starting and armed:
                key = f"motion@{t:.1f}"
                self.sink.motion(motion, frame, key if self.clips.start(key, t) else None)
        for event in tamper.events:
            key = f"tamper:{event.kind}@{t:.1f}"
            started = event.active and self.clips.start(key, t)
            self.sink.tamper(event, frame, key if started else None)

    def _looks_moved(self, grey: np.ndarray, t: float, motion: MotionResult) -> bool:
        """Movement for the coarse marker (MARKER_GAP above), on every picture that shows it:
        a segment may end while it lasts."""
        steady = self._last_t is not None and 0 <= t - self._last_t <= MARKER_GAP
        last, self._last_t, self._last_look = self._last_look, t, grey
        if steady:
            return motion.motion
        if last is None or last.shape != grey.shape:
            return False
        share = self.motion.changed_share(grey, last)
        return MARKER_CHANGE < share < self.motion.config.global_change_fraction
