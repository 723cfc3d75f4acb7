"""Which of a camera's packets (or JPEG frames) are recorded, by recording mode: all of them
(continuous), none (off), or those from at least `before` seconds before an event to `after`
seconds after the last one (events). No Django, no FFmpeg: the gate passes items on to a
writer (apps.vision.recording, apps.vision.jpegrecording) and tells it when to finish.

Events mode keeps the last `before` seconds in memory, from a keyframe on (a segment must
start with one), so an event's footage begins before the event: at 2 Mbit/s with 1 s
between keyframes, about 3 MB per camera.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

T = TypeVar("T")

EVENT_BEFORE = 10.0
EVENT_AFTER = 20.0


class RecordMode(enum.StrEnum):
    """The camera's recording mode (apps.cameras.models.RecordingMode has the same values)."""

    CONTINUOUS = "continuous"
    EVENTS = "events"
    OFF = "off"


@dataclass(frozen=True)
class _Held(Generic[T]):
    item: T
    at: float
    keyframe: bool
    received: datetime


class RecordingGate(Generic[T]):
    """Offer every item with its stream time (seconds, increasing), whether it is a keyframe
    and when it arrived; `write` gets those to record, in order, and `finish` is called when
    an event's recording ends (the writer closes its segment there)."""

    def __init__(self, mode: RecordMode, write: Callable[[T, datetime], object],
                 finish: Callable[[], object], *, before: float = EVENT_BEFORE,
                 after: float = EVENT_AFTER) -> None:
        self.mode = mode
        self._write = write
        self._finish = finish
        self._before = before
        self._after = after
        self._held: deque[_Held[T]] = deque()
        self._keyframes: deque[float] = deque()  # times of the held keyframes
        self._until: float | None = None  # events mode: recording up to this stream time
        self._last: float | None = None

    @property
    def recording(self) -> bool:
        """Whether items are being written now."""
        return self.mode == RecordMode.CONTINUOUS or self._until is not None

    def offer(self, item: T, at: float, keyframe: bool, received: datetime) -> None:
        self._last = at
        if self.mode == RecordMode.OFF:
            return
        if self.mode == RecordMode.CONTINUOUS:
            self._write(item, received)
            return
        # An event's recording ends at the first keyframe after it: that keyframe starts what
        # is held for the next event, so consecutive events leave no gap between them.
        if self._until is not None and at > self._until and keyframe:
            self._until = None
            self._finish()
        if self._until is not None:
            self._write(item, received)
            return
        self._hold(_Held(item, at, keyframe, received))

    def event(self) -> None:
        """Something happened at the last offered item's time: record from `before` seconds
        earlier (what is held) to `after` seconds later; a later event extends it."""
        if self.mode != RecordMode.EVENTS or self._last is None:
            return
        self._until = self._last + self._after
        while self._held:
            held = self._held.popleft()
            self._write(held.item, held.received)
        self._keyframes.clear()

    def close(self) -> None:
        """The stream ended or the mode changes: finish what is being written."""
        if self.recording:
            self._finish()
        self._until = None
        self._held.clear()
        self._keyframes.clear()

    def _hold(self, held: _Held[T]) -> None:
        if not self._held and not held.keyframe:
            return  # nothing before a keyframe could be played back
        self._held.append(held)
        if held.keyframe:
            self._keyframes.append(held.at)
        # Drop the oldest group of pictures while the next one still starts `before` seconds
        # or more before the newest item.
        while len(self._keyframes) > 1 and held.at - self._keyframes[1] >= self._before:
            self._keyframes.popleft()
            self._held.popleft()
            while not self._held[0].keyframe:
                self._held.popleft()
