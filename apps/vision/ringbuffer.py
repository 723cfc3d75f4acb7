"""Recent snapshots kept in memory, so an event can show what happened before it.

Frames stored here are already masked JPEGs (snapshot.render_snapshot): nothing raw is kept.
Memory is bounded both by age and by total bytes.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class StoredFrame:
    at: float  # stream time, seconds
    jpeg: bytes


class FrameRing:
    """The last `seconds` of frames, at most `max_bytes` in total (oldest dropped first)."""

    def __init__(self, seconds: float = 10.0, max_bytes: int = 4 * 1024 * 1024) -> None:
        self.seconds = seconds
        self.max_bytes = max_bytes
        self._frames: deque[StoredFrame] = deque()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._frames)

    @property
    def nbytes(self) -> int:
        return self._bytes

    def push(self, at: float, jpeg: bytes) -> None:
        self._frames.append(StoredFrame(at, jpeg))
        self._bytes += len(jpeg)
        while self._frames and (
            self._bytes > self.max_bytes or self._frames[0].at < at - self.seconds
        ):
            self._bytes -= len(self._frames.popleft().jpeg)

    def since(self, at: float) -> list[StoredFrame]:
        return [frame for frame in self._frames if frame.at >= at]


@dataclass
class Clip:
    """Frames around one event: those before it from the ring, then those after it."""

    key: str
    event_at: float
    until: float
    frames: list[StoredFrame] = field(default_factory=list)


class ClipCollector:
    """Builds clips of `before` seconds before an event and `after` seconds after it.

    Push every stored frame through `push`; it returns the clips that are complete. At most
    `max_open` clips are collected at once (a flapping alarm must not multiply memory).
    """

    def __init__(
        self,
        before: float = 10.0,
        after: float = 20.0,
        *,
        max_open: int = 4,
        max_bytes: int = 4 * 1024 * 1024,
    ) -> None:
        self.after = after
        self.max_open = max_open
        self.ring = FrameRing(before, max_bytes)
        self._open: list[Clip] = []

    def start(self, key: str, event_at: float) -> bool:
        """Begin a clip for the event `key`; False when too many clips are already open."""
        if len(self._open) >= self.max_open or any(c.key == key for c in self._open):
            return False
        before = self.ring.since(event_at - self.ring.seconds)
        self._open.append(Clip(key, event_at, event_at + self.after, before))
        return True

    @property
    def collecting(self) -> bool:
        """Whether a clip is still being collected (an event less than `after` ago)."""
        return bool(self._open)

    def push(self, at: float, jpeg: bytes) -> list[Clip]:
        self.ring.push(at, jpeg)
        done: list[Clip] = []
        still_open: list[Clip] = []
        for clip in self._open:
            if at > clip.until:
                done.append(clip)
                continue
            if not clip.frames or clip.frames[-1].at < at:
                clip.frames.append(StoredFrame(at, jpeg))
            still_open.append(clip)
        self._open = still_open
        return done
