"""How much of a video stream is decoded: every frame, every keyframe, or the keyframes
someone needs.

Decoding is nine tenths of a watcher's cost, and most cameras most of the time are neither
armed nor watched: for them the keyframes are enough (idle snapshot, timeline, tamper checks,
the coarse motion marker of apps.vision.pipeline).
A keyframe decodes on its own, so in the keyframe modes the other packets are not handed to
the decoder at all. They are still read, counted for the stream's health and recorded (the
recorder gets every packet before this gate is asked; apps.vision.videocapture).

Skipping the packets was measured against FFmpeg's own `skip_frame = NONKEY` on the 720p gate
clip: 0.49 s against 0.52 s for 30 keyframes, full decoding 0.84 s for 450 frames; skipping is
cheaper (the decoder never parses the skipped slices) and as correct on streams without
B-frames, which is what IP cameras send. (With B-frames the decoder would hold each keyframe
until the next one arrives.)

Three modes (`needed_mode` chooses, per camera, again every few seconds):
- FULL, every frame: while the camera is armed (and `ARMING_LEAD` before), while an event on
  it is open, and while someone watches it live at full rate, which means faster than its
  keyframes come. Posko's live view is a masked JPEG snapshot every `snapshot_interval`
  (1 s by default); a camera sending a keyframe at least that often (within `LIVE_SLACK`)
  serves its viewer from the keyframes alone, and decoding the predicted frames in between
  would make pictures nobody is shown.
- EVERY_KEYFRAME: such a live viewer; each keyframe is a live picture.
- KEYFRAMES, the keyframes someone needs, for a camera nobody needs more of. The keyframes
  carry most of a camera's bits (89 % on the simulator's clips with one a second, 62 % with
  one every 2 s) and decoding cost follows the bits, so the lever is how many keyframes are
  decoded. Every packet is read anyway and its size costs nothing, so the bitstream says when
  to look (`BitstreamWatch`). A keyframe is decoded when
  (a) a look is due: `look` seconds of stream time have passed since the last look due,
      less half a keyframe interval (keyframes arriving with a little jitter are looked at
      `look` apart) but no more than the pipeline takes its pictures early
      (apps.vision.pipeline.EARLY: each look is a due idle snapshot and still). `look` is
      the camera's idle snapshot or timeline interval, whichever is shorter, at most
      `KEYFRAME_LOOK` (10 s, the default of both): the idle snapshot and the timeline
      still come on time, and something is looked at whatever the bitstream says;
  (b) the bitstream says the picture changed: a keyframe a tenth larger or smaller than the
      median of the recent ones (a covered lens, a defocused one or a turned camera change
      how much detail there is to send), or the predicted frames since the previous keyframe
      at under a quarter of the quietest recent group's bytes (a frozen picture sends
      near-empty ones; a scene that merely went still after someone walked by sends what it
      sent the last time it was still) or over twice the busiest one's (the whole picture
      moving: a camera being turned; the next passer-by on a street sends what the last one
      did, and is no sign);
  (c) the analysis asks for attention (`attention`): the tamper detector is learning its
      reference, has a condition pending that is not reported yet, or a report stands.
  A sign of change holds every keyframe decoded for `CHANGE_HOLD` (4 s), so the analysis
  gets the second look its judgement needs and then holds the attention itself (c): on the
  labelled tamper clips every kind is reported within 10 s with keyframes up to 2 s apart,
  the tamper starting right after a keyframe or a look (tests/vision/test_keyframe_tamper.py,
  bench/decode_bench.py). The simulator's still, walking-by and busy scenes show no sign
  once the history is filled, so they are looked at once every `look`. A camera sending
  keyframes further apart than that has each one decoded.
  Decoding the keyframe is nine tenths of a look's cost (bench/decode_bench.py), so an idle
  camera's cost follows the number of looks: every 10 s rather than every 5 s took it from
  0.11 of full decoding's cost to 0.07 (a keyframe a second, a loaded machine). Tamper is
  found through the signs (b) and the attention (c) whatever `look` is (on the labelled
  clips, with no look at all after the first); a longer one delays what the signs miss, and
  the coarse motion marker misses more walk-bys between two looks.

Going down takes effect at once; going up to full decoding waits for the next keyframe,
because a predicted frame decoded without the frames it refers to is garbage.
"""

from __future__ import annotations

import enum
import statistics
import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

from apps.vision.pipeline import EARLY

# How long before its armed hours a camera decodes in full: long enough for the switch to
# reach a keyframe (at most a few seconds on a well-set camera) and for the motion
# background to settle on full-rate frames before the first moment that counts.
ARMING_LEAD = timedelta(seconds=30)
# The longest time between looks in keyframe mode (see above, (a)): the default idle
# snapshot and timeline interval. Longer, the coarse motion marker would miss more walk-bys
# and a tamper the bitstream shows no sign of would wait longer for its first look.
KEYFRAME_LOOK = 10.0
# The longest keyframe interval for which tamper is promised within 10 s on keyframes only;
# a camera sending them further apart should be set to a shorter GOP ("I-frame interval").
MAX_KEYFRAME_INTERVAL = 2.0
# How far a keyframe interval may exceed the live snapshot interval and still serve a live
# viewer: snapshots a tenth slower than asked are not seen, and the pipeline takes a picture
# up to a tenth early (apps.vision.pipeline) so that arrival jitter does not skip keyframes.
LIVE_SLACK = 0.1
# The lead is looked at in steps this long, so an armed period shorter than the lead is
# not jumped over (armed hours are set to the minute).
_LEAD_STEP = timedelta(seconds=10)
# The bitstream's signs of a change, calibrated on the simulator's labelled tamper clips, its
# busy scenes and the 720p gate clip (1- and 2-s GOPs, day and night): keyframes of a still,
# walking-by or busy scene stay within 6 % of their median (11 % when someone walks into
# the live simulator's noiseless 720p scene), a covered, defocused or turned camera moves
# them by 15 % and more; the predicted frames of a frozen picture carry 1-6 % of the quietest
# recent group's bytes, those of a camera turned by day 2.3 times the busiest's.
_KEYFRAME_CHANGE = 0.10
_PREDICTED_LOW = 0.25
_PREDICTED_HIGH = 2.0
# Keyframes (and groups of predicted frames) the usual sizes are taken from: 8 to 16 s, long
# enough to hold both the busy and the quiet moments of a walk-by.
_HISTORY = 8
_MIN_HISTORY = 3
# After a sign of change, every keyframe is decoded for this long (stream time): the tamper
# detector measures the scene every 2 s and tells a turned camera from passers-by by comparing
# two measurements taken after the change.
CHANGE_HOLD = 4.0


class DecodeMode(enum.StrEnum):
    FULL = "full"
    EVERY_KEYFRAME = "every_keyframe"
    KEYFRAMES = "keyframes"


class BitstreamWatch:
    """What the packet sizes say: whether the picture changed since the recent keyframes.
    Fed every video packet's size (`packet`), which answers at each keyframe."""

    def __init__(self) -> None:
        self._keyframes: deque[int] = deque(maxlen=_HISTORY)
        self._predicted: deque[int] = deque(maxlen=_HISTORY)
        self._since_keyframe: int | None = None  # None until the first keyframe

    def packet(self, keyframe: bool, size: int) -> bool:
        """Count one packet; at a keyframe, whether the bitstream shows a change."""
        if not keyframe:
            if self._since_keyframe is not None:
                self._since_keyframe += size
            return False
        predicted, self._since_keyframe = self._since_keyframe, 0
        changed = (_departs(size, self._keyframes, _KEYFRAME_CHANGE)
                   or (predicted is not None and len(self._predicted) >= _MIN_HISTORY
                       and not (min(self._predicted) * _PREDICTED_LOW <= predicted
                                <= max(self._predicted) * _PREDICTED_HIGH)))
        self._keyframes.append(size)
        if predicted is not None:
            self._predicted.append(predicted)
        return changed

    def reset(self) -> None:
        """A new stream: its sizes are not comparable with the last one's."""
        self._keyframes.clear()
        self._predicted.clear()
        self._since_keyframe = None


def _departs(value: int, history: deque[int], fraction: float) -> bool:
    """Whether `value` is more than `fraction` off the history's median."""
    if len(history) < _MIN_HISTORY:
        return False
    usual = statistics.median(history)
    return abs(value - usual) > usual * fraction


class DecodeSwitch:
    """The mode one reader decodes in. `set` may be called from any thread (the watcher's);
    `admit` is asked by the reader's thread for every video packet.

    `wake` is asked at every keyframe while not decoding in full, for a need that should
    not wait for the next `set` (a live viewer opening the camera's tile): the mode needed
    now. `attention` is asked at keyframes in keyframe mode, in the reader's thread: whether
    the analysis wants every keyframe (see the module's (c)). `look`: seconds between the
    looks of (a), `look_interval` gives it for a camera."""

    def __init__(self, mode: DecodeMode = DecodeMode.FULL, *,
                 wake: Callable[[], DecodeMode] | None = None,
                 attention: Callable[[], bool] | None = None,
                 look: float = KEYFRAME_LOOK) -> None:
        self._wake = wake
        self._attention = attention
        self._look = look
        self._lock = threading.Lock()
        self._wanted = mode
        self._effective = mode
        self._bitstream = BitstreamWatch()
        self._looked_at: float | None = None  # stream time of the last look due (a)
        self._hold_until: float | None = None  # ... and the end of a change's hold
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
            if mode != DecodeMode.FULL:
                self._effective = mode

    def admit(self, keyframe: bool, at: float | None = None, size: int = 0) -> bool:
        """Whether to decode the next packet (a keyframe or not; `at`: its stream time in
        seconds, if known; `size`: its bytes)."""
        if keyframe and self._wake is not None and self._effective != DecodeMode.FULL:
            self.set(self._wake())
        with self._lock:
            changed = self._bitstream.packet(keyframe, size)
            if keyframe:
                self._measure(at)
                self._effective = self._wanted  # up to full here, at a keyframe
            mode = self._effective
        if changed and at is not None:
            self._hold_until = at + CHANGE_HOLD
        due = keyframe and self._look_due(at)
        decode = mode == DecodeMode.FULL or (keyframe and (
            mode == DecodeMode.EVERY_KEYFRAME or changed or self._held(at) or due
            or (self._attention is not None and self._attention())))
        if due and decode:
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
            if last is not None:
                self._bitstream.reset()
        elif at > last:
            self._intervals.append(at - last)

    def _held(self, at: float | None) -> bool:
        until = self._hold_until
        return at is not None and until is not None and until - CHANGE_HOLD <= at < until

    def _look_due(self, at: float | None) -> bool:
        """Whether a look is due at this keyframe (module docstring, (a))."""
        last = self._looked_at
        # A stream time that went back (a looped file, a camera restarted) starts afresh.
        if at is None or last is None or at < last:
            return True
        early = min((self.keyframe_interval or 0.0) / 2, self._look * EARLY)
        return at - last >= self._look - early


def look_interval(idle_snapshot: float, timeline: float) -> float:
    """Seconds between the looks of keyframe mode for a camera taking idle snapshots and
    timeline stills at these intervals (module docstring, (a))."""
    return min(KEYFRAME_LOOK, idle_snapshot, timeline)


def keyframes_serve_live(keyframe_interval: float | None, live_interval: float) -> bool:
    """Whether a camera's keyframes come often enough for its live snapshots."""
    return (keyframe_interval is not None
            and keyframe_interval <= live_interval * (1 + LIVE_SLACK))


def needed_mode(now: datetime, armed_at: Callable[[datetime], bool], *, live: bool,
                event_open: bool, keyframe_interval: float | None = None,
                live_interval: float = 1.0, lead: timedelta = ARMING_LEAD) -> DecodeMode:
    """What one camera must decode at `now`: everything while it is armed or will be within
    `lead`, while an event on it is open, or while someone watches it live faster than its
    keyframes come (`keyframe_interval`, measured; None while not known yet) for its live
    snapshots every `live_interval` seconds; every keyframe for a live viewer they serve;
    the keyframes needed otherwise. `armed_at(moment)` answers from the camera's armed
    hours."""
    if event_open or _armed_within(now, armed_at, lead):
        return DecodeMode.FULL
    if live:
        return (DecodeMode.EVERY_KEYFRAME if keyframes_serve_live(keyframe_interval,
                                                                  live_interval)
                else DecodeMode.FULL)
    return DecodeMode.KEYFRAMES


def _armed_within(now: datetime, armed_at: Callable[[datetime], bool],
                  lead: timedelta) -> bool:
    moment, end = now, now + lead
    while moment < end:
        if armed_at(moment):
            return True
        moment += _LEAD_STEP
    return armed_at(end)


def keyframes_too_far_apart(interval: float | None) -> bool:
    """Whether a camera's keyframe interval breaks the tamper promise on keyframes only."""
    return interval is not None and interval > MAX_KEYFRAME_INTERVAL * 1.05
