"""One camera's recording, fed from the connection its reader already has (never a second
session to the camera): the reader hands over each video packet before decoding it, or each
JPEG as received (apps.vision.stream.StreamReader's `recorder`); the recording mode's gate
(apps.vision.recordgate) picks what is kept; the writers make the segment files; each
finished segment goes to `on_segment` with what happened in it. No Django: the stream
runtime's callback stores and indexes the file (apps.recordings.services.segment_recorded).

Recording never stops the reader: a writer that fails (a full disk, a packet the muxer
refuses) drops what it cannot write and starts again at the next keyframe, so recording
resumes by itself when space returns.

Video packets are queued as they arrive and recorded a keyframe's group at a time, when the
next keyframe comes (or `MAX_QUEUED` packets wait). Recorded one by one, each packet ran
between two frames' decoding and a wait for the camera, its code and data evicted from the
CPU's caches: on the 720p gate clip read in real time, 95 µs a packet, three times its cost
in a loop and most of the recording's overhead; queued, 33 µs. The files are the same and
reach the disk at the same moments: the MP4 muxer holds a fragment in memory until the next
keyframe anyway (apps.vision.recording), so a killed writer loses no more than before.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

import av
import av.error

from apps.vision.jpegrecording import JpegSegmentWriter
from apps.vision.recordgate import EVENT_AFTER, EVENT_BEFORE, RecordingGate, RecordMode
from apps.vision.recording import DEFAULT_MAX_SECONDS, Segment, SegmentWriter

logger = logging.getLogger(__name__)


class RecordingTap(Protocol):
    """What a reader tells a recorder (apps.vision.stream)."""

    def video_opened(self, stream: av.video.stream.VideoStream) -> None: ...

    def video_packet(self, packet: av.Packet, received: datetime) -> None: ...

    def jpeg(self, data: bytes, received: datetime) -> None: ...

    def closed(self) -> None: ...


class Taps:
    """Several taps on one reader's packet path, told in order (the recorder, then the live
    muxer of apps.vision.livemux): each gets every packet of the one connection."""

    def __init__(self, *taps: RecordingTap | None) -> None:
        self._taps = [tap for tap in taps if tap is not None]

    def video_opened(self, stream: av.video.stream.VideoStream) -> None:
        for tap in self._taps:
            tap.video_opened(stream)

    def video_packet(self, packet: av.Packet, received: datetime) -> None:
        for tap in self._taps:
            tap.video_packet(packet, received)

    def jpeg(self, data: bytes, received: datetime) -> None:
        for tap in self._taps:
            tap.jpeg(data, received)

    def closed(self) -> None:
        for tap in self._taps:
            tap.closed()


@dataclass(frozen=True)
class SegmentFlags:
    """What happened while a segment was written (for the index and the timeline)."""

    motion: bool = False
    tamper: bool = False


SegmentCallback = Callable[[Segment, SegmentFlags], object]
_WRITE_FAILURES = (OSError, av.error.FFmpegError, ValueError)
# Packets queued at most before they are offered without waiting for a keyframe: a stream
# that sends none for long (or never flags them) does not grow the queue without end.
MAX_QUEUED = 64


class Recorder:
    """Implements RecordingTap for one camera. `event` (from the analysis: motion, tamper)
    marks the open segment and, in events mode, starts or extends the recording;
    `mark_motion` only marks it."""

    def __init__(self, directory: Path, mode: RecordMode, on_segment: SegmentCallback, *,
                 max_seconds: float = DEFAULT_MAX_SECONDS, before: float = EVENT_BEFORE,
                 after: float = EVENT_AFTER, label: str = "camera") -> None:
        self._directory = directory
        self._mode = mode
        self._on_segment = on_segment
        self._max_seconds = max_seconds
        self._before, self._after = before, after
        self._label = label
        # The reader thread feeds packets; events may come from the analysis thread.
        self._lock = threading.Lock()
        self._video: SegmentWriter | None = None
        self._seconds_per_tick = 0.0  # the stream's time base (a Fraction costs µs a packet)
        self._queued: list[tuple[av.Packet, datetime]] = []
        self._jpegs: JpegSegmentWriter | None = None
        self._gate: RecordingGate | None = None
        self._flags = SegmentFlags()
        self._last_end: datetime | None = None  # of the last segment reported
        self._failures = 0  # of finished connections' writers and of handing items over
        self._logged = 0

    @property
    def mode(self) -> RecordMode:
        return self._mode

    @property
    def failures(self) -> int:
        """Packets, frames or files that could not be written so far."""
        writer = self._video or self._jpegs
        return self._failures + (writer.errors if writer is not None else 0)

    def set_mode(self, mode: RecordMode) -> None:
        """A new mode from the next item on; what was being written is finished."""
        with self._lock:
            if mode == self._mode:
                return
            self._offer_queued()  # what arrived before the change, in the old mode
            self._mode = mode
            if self._gate is not None:
                self._gate.close()
                self._gate = self._new_gate()

    def event(self, *, motion: bool = False, tamper: bool = False) -> None:
        with self._lock:
            # The event happened after what is queued: the gate times it from the last packet.
            self._offer_queued()
            self._flags = SegmentFlags(self._flags.motion or motion,
                                       self._flags.tamper or tamper)
            if self._gate is not None:
                self._gate.event()

    def mark_motion(self) -> None:
        """Movement seen on a camera that raises no motion alert (the coarse motion marker,
        apps.vision.pipeline): marks the segment being written, and starts no recording."""
        with self._lock:
            if self._gate is not None and self._gate.recording:
                self._flags = dataclasses.replace(self._flags, motion=True)

    # --- the reader's side (RecordingTap) ---------------------------------------------------

    def video_opened(self, stream: av.video.stream.VideoStream) -> None:
        with self._lock:
            self._end_session()
            if stream.time_base is None:
                return  # nothing to time segments by: this connection is not recorded
            self._make_directory()
            self._seconds_per_tick = float(stream.time_base)
            self._video = SegmentWriter(stream, self._directory,
                                        max_seconds=self._max_seconds)
            self._gate = self._new_gate()

    def video_packet(self, packet: av.Packet, received: datetime) -> None:
        with self._lock:
            self._queued.append((packet, received))
            if packet.is_keyframe or len(self._queued) >= MAX_QUEUED:
                self._offer_queued()

    def jpeg(self, data: bytes, received: datetime) -> None:
        with self._lock:
            if self._gate is None:
                self._make_directory()
                self._jpegs = JpegSegmentWriter(self._directory,
                                                max_seconds=self._max_seconds)
                self._gate = self._new_gate()
            # Every JPEG stands alone: each one may start a segment.
            self._gate.offer(data, time.monotonic(), True, received)

    def closed(self) -> None:
        """The connection ended: finish the open segment (a reconnect starts a new one)."""
        with self._lock:
            self._end_session()

    # --- inside ------------------------------------------------------------------------------

    def _offer_queued(self) -> None:
        queued, self._queued = self._queued, []
        for packet, received in queued:
            self._offer_video(packet, received)

    def _offer_video(self, packet: av.Packet, received: datetime) -> None:
        dts = packet.dts if packet.dts is not None else packet.pts
        if self._gate is not None and dts is not None:
            self._gate.offer(packet, dts * self._seconds_per_tick, packet.is_keyframe,
                             received)

    def _make_directory(self) -> None:
        # Failing here is a failing recording, never a failing reader: writing retries.
        with contextlib.suppress(OSError):
            self._directory.mkdir(parents=True, exist_ok=True)

    def _new_gate(self) -> RecordingGate:
        return RecordingGate(self._mode, self._write, self._finish, before=self._before,
                             after=self._after)

    def _write(self, item: av.Packet | bytes, received: datetime) -> None:
        try:
            if isinstance(item, bytes):
                finished = self._jpegs.write(item, received) if self._jpegs else None
            else:
                finished = self._video.write(item, received) if self._video else None
        except _WRITE_FAILURES:
            self._failures += 1
            finished = None
        if self.failures > self._logged:
            # Typically a full disk: the next keyframe (or JPEG) tries again.
            self._make_directory()
            if self._logged == 0 or self.failures // 1000 > self._logged // 1000:
                logger.warning("%s: recording failed (%d so far)", self._label, self.failures)
            self._logged = self.failures
        if finished is not None:
            self._report(finished)

    def _finish(self) -> None:
        writer = self._video or self._jpegs
        if writer is not None:
            finished = writer.close()
            if finished is not None:
                self._report(finished)

    def _report(self, segment: Segment) -> None:
        if self._last_end is not None and segment.start < self._last_end:
            # The wall clock was set back (a segment starts at the clock's time, lasts as
            # long as its stream says): place it right after the last one, so this camera's
            # segments follow each other in the order they were recorded.
            segment = dataclasses.replace(segment, start=self._last_end,
                                          end=self._last_end + (segment.end - segment.start))
        self._last_end = segment.end
        flags, self._flags = self._flags, SegmentFlags()
        try:
            self._on_segment(segment, flags)
        except Exception:  # the index failing must not stop the reader
            logger.exception("%s: a finished segment could not be handed over", self._label)

    def _end_session(self) -> None:
        self._offer_queued()
        if self._gate is not None:
            self._gate.close()
        writer = self._video or self._jpegs
        if writer is not None:
            self._failures += writer.errors
        self._gate = None
        self._video = None
        self._jpegs = None
