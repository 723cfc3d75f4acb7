"""How much of a video stream is decoded: every frame, or keyframes only.

Decoding is nine tenths of a watcher's cost, and most cameras most of the time are neither
armed nor watched: for them the keyframes are enough (idle snapshot, timeline, tamper checks).
A keyframe decodes on its own, so in keyframe mode the other packets are not handed to the
decoder at all. They are still read, counted for the stream's health and recorded (the
recorder gets every packet before this gate is asked; apps.vision.videocapture).

Skipping the packets was measured against FFmpeg's own `skip_frame = NONKEY` on the 720p gate
clip: 0.49 s against 0.52 s for 30 keyframes, full decoding 0.84 s for 450 frames; skipping is
cheaper (the decoder never parses the skipped slices) and as correct on streams without
B-frames, which is what IP cameras send. (With B-frames the decoder would hold each keyframe
until the next one arrives.)

Going down to keyframes takes effect at once; going up to full decoding waits for the next
keyframe, because a predicted frame decoded without the frames it refers to is garbage.

In keyframe mode a keyframe is decoded only if the last one decoded is `KEYFRAME_LOOK` (2 s)
of stream time old: a camera sending a keyframe every second is looked at every other one,
which halves its cost, and tamper is still reported within 10 s (measured on keyframes 2 s
apart: bench/decode_bench.py); the keyframes of cameras sending them further apart are all
decoded.
"""

from __future__ import annotations

import enum
import statistics
import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

# How long before its armed hours a camera decodes in full: long enough for the switch to
# reach a keyframe (at most a few seconds on a well-set camera) and for the motion
# background to settle on full-rate frames before the first moment that counts.
ARMING_LEAD = timedelta(seconds=30)
# Seconds of stream time between keyframes decoded in keyframe mode (see above).
KEYFRAME_LOOK = 2.0
# The longest keyframe interval for which tamper is promised within 10 s on keyframes only;
# a camera sending them further apart should be set to a shorter GOP ("I-frame interval").
MAX_KEYFRAME_INTERVAL = 2.0
# The lead is looked at in steps this long, so an armed period shorter than the lead is
# not jumped over (armed hours are set to the minute).
_LEAD_STEP = timedelta(seconds=10)


class DecodeMode(enum.StrEnum):
    FULL = "full"
    KEYFRAMES = "keyframes"


class DecodeSwitch:
    """The mode one reader decodes in. `set` may be called from any thread (the watcher's);
    `admit` is asked by the reader's thread for every video packet."""

    def __init__(self, mode: DecodeMode = DecodeMode.FULL, *,
                 keyframe_look: float = KEYFRAME_LOOK,
                 wake: Callable[[], bool] | None = None) -> None:
        # `wake` is asked at every keyframe while decoding keyframes only: a need that should
        # not wait for the next `set` (a live viewer opening the camera's tile).
        self._wake = wake
        self._lock = threading.Lock()
        self._wanted = mode
        self._effective = mode
        self._keyframe_look = keyframe_look
        self._looked_at: float | None = None  # stream time of the last keyframe decoded
        self._keyframe_at: float | None = None  # ... and of the last keyframe received
        self._intervals: deque[float] = deque(maxlen=5)
        self.decoded = 0  # packets handed to the decoder
        self.skipped = 0  # packets read and not decoded

    def __repr__(self) -> str:
        return f"DecodeSwitch(wanted={self._wanted.value}, effective={self._effective.value})"

    @property
    def wanted(self) -> DecodeMode:
        return self._wanted

    @property
    def effective(self) -> DecodeMode:
        """The mode packets are decoded in now (full only from a keyframe on)."""
        return self._effective

    @property
    def keyframe_interval(self) -> float | None:
        """The stream's measured keyframe interval in seconds (median of the last five)."""
        with self._lock:
            return statistics.median(self._intervals) if self._intervals else None

    def set(self, mode: DecodeMode) -> None:
        with self._lock:
            self._wanted = mode
            if mode == DecodeMode.KEYFRAMES:
                self._effective = mode

    def admit(self, keyframe: bool, at: float | None = None) -> bool:
        """Whether to decode the next packet (a keyframe or not; `at`: its stream time in
        seconds, if known)."""
        woken = (keyframe and self._wake is not None
                 and self._effective == DecodeMode.KEYFRAMES and self._wake())
        with self._lock:
            if woken:
                self._wanted = DecodeMode.FULL
            if keyframe:
                self._measure(at)
            if self._effective == DecodeMode.KEYFRAMES and keyframe:
                self._effective = self._wanted  # up to full here, at a keyframe
            decode = self._effective == DecodeMode.FULL or (keyframe and self._look_due(at))
            if keyframe and decode:
                self._looked_at = at
            if decode:
                self.decoded += 1
            else:
                self.skipped += 1
            return decode

    def _measure(self, at: float | None) -> None:
        last, self._keyframe_at = self._keyframe_at, at
        if at is None or last is None or at < last:
            self._intervals.clear()  # time went back: a new stream
        elif at > last:
            self._intervals.append(at - last)

    def _look_due(self, at: float | None) -> bool:
        last = self._looked_at
        # A stream time that went back (a looped file, a camera restarted) starts afresh.
        return (at is None or last is None or at < last
                or at - last >= self._keyframe_look * 0.95)


def needed_mode(now: datetime, armed_at: Callable[[datetime], bool], *, live: bool,
                event_open: bool, lead: timedelta = ARMING_LEAD) -> DecodeMode:
    """What one camera must decode at `now`: everything while it is armed or will be within
    `lead`, while someone watches it live at full rate, or while an event on it is open;
    keyframes otherwise. `armed_at(moment)` answers from the camera's armed hours."""
    if live or event_open:
        return DecodeMode.FULL
    moment, end = now, now + lead
    while moment < end:
        if armed_at(moment):
            return DecodeMode.FULL
        moment += _LEAD_STEP
    return DecodeMode.FULL if armed_at(end) else DecodeMode.KEYFRAMES


def keyframes_too_far_apart(interval: float | None) -> bool:
    """Whether a camera's keyframe interval breaks the tamper promise on keyframes only."""
    return interval is not None and interval > MAX_KEYFRAME_INTERVAL * 1.05
