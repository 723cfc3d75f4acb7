"""Recording H.264/H.265 by stream copy: the packets a camera sends, as received (no decoding,
no re-encoding), cut into fragmented MP4 segments of at most `max_seconds`, each starting at
a keyframe. No Django: the stream runtime hands each finished `Segment` to the index.

A segment survives its writer being killed: the MP4 header is written empty up front
(`empty_moov`), every keyframe starts a fragment (`frag_keyframe`) that is self-contained
(`default_base_moof`), and FFmpeg's buffer is flushed after each write (`flush_packets`), so
a killed process loses only the fragment (group of pictures) it was collecting.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import av
import av.error

MP4_OPTIONS = {"movflags": "frag_keyframe+empty_moov+default_base_moof", "flush_packets": "1"}
DEFAULT_MAX_SECONDS = 60.0
# A jump of the camera's timestamps larger than this (or any step backwards) is a
# discontinuity (the camera restarted, its clock was set): the segment ends there, because a
# muxer given such timestamps writes a file whose times no longer match the wall clock.
MAX_TIMESTAMP_GAP = 5.0


@dataclass(frozen=True)
class Segment:
    """A finished segment file: wall-clock span (UTC), size, SHA-256 and packet count."""

    path: Path
    start: datetime
    end: datetime
    bytes: int
    sha256: str
    packets: int

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def utc_now() -> datetime:
    return datetime.now(UTC)


def finish_file(path: Path, start: datetime, seconds: float, packets: int) -> Segment:
    """The `Segment` of a closed file. The SHA-256 is read back from the file (FFmpeg writes
    it, not Python; a minute at 2 Mbit/s is 15 MB, read from the page cache)."""
    with path.open("rb") as handle:
        # Into one reused buffer: a new bytes object per read made the kernel fault in and
        # zero fresh pages (about 480 faults and a tenth of the time for 15 MB).
        digest = hashlib.file_digest(handle, "sha256")
        size = handle.tell()
    return Segment(path, start, start + timedelta(seconds=seconds), size, digest.hexdigest(),
                   packets)


def probe_segment(path: Path) -> Segment | None:
    """The `Segment` of a file left behind by a writer that was killed (or whose segment
    was never stored): the start from its name, the span from the fragments that were
    complete. None for a file with no playable packet or a name this module did not give."""
    try:
        start = datetime.strptime(path.stem.split("-")[0], "%Y%m%dT%H%M%S%fZ").replace(
            tzinfo=UTC)
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            time_base = stream.time_base
            # A packet cut short by the kill is flagged corrupt: it is not playable.
            packets = [p for p in container.demux(stream)
                       if p.size and p.pts is not None and not p.is_corrupt]
    except (ValueError, IndexError, av.error.FFmpegError, OSError):
        return None
    if not packets or time_base is None:
        return None
    first = min(p.pts for p in packets)
    end = max(p.pts + (p.duration or 0) for p in packets)
    return finish_file(path, start, float((end - first) * time_base), len(packets))


def segment_path(directory: Path, start: datetime) -> Path:
    """A file name from the start time (UTC, microseconds); a second file for the same
    instant (a clock set back) gets a counter rather than overwriting the first."""
    stem = start.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = directory / f"{stem}.mp4"
    counter = 1
    while path.exists():
        path = directory / f"{stem}-{counter}.mp4"
        counter += 1
    return path


def mux_copy(container: av.container.OutputContainer, stream: av.video.stream.VideoStream,
             packet: av.Packet, dts: int, pts: int) -> None:
    """Mux a packet of the reader's stream into `stream` (made from it as a template) at the
    timestamps given, by stream copy; shared by the recording and the live muxer
    (apps.vision.livemux)."""
    original = (packet.stream, packet.pts, packet.dts)
    packet.stream = stream
    packet.dts, packet.pts = dts, pts
    try:
        container.mux_one(packet)
    finally:
        # The caller may still decode this packet: give it back as it came.
        packet.stream, packet.pts, packet.dts = original


class _OpenSegment:
    """One MP4 file being written; timestamps rebased so the file starts at 0."""

    def __init__(self, template: av.video.stream.VideoStream, path: Path, start: datetime,
                 first_dts: int) -> None:
        self.path = path
        self.start = start
        self.first_dts = first_dts
        # The earliest wall-clock start its packets imply (arrival minus the time into the
        # segment): see `SegmentWriter.write`.
        self.earliest = start
        self.last_dts = first_dts - 1
        self.end_ticks = 0
        self.packets = 0
        self.container = av.open(str(path), "w", format="mp4", options=dict(MP4_OPTIONS))
        self.stream = self.container.add_stream_from_template(template)

    def mux(self, packet: av.Packet, dts: int, pts: int) -> None:
        mux_copy(self.container, self.stream, packet, dts - self.first_dts,
                 pts - self.first_dts)
        self.last_dts = dts
        self.end_ticks = max(self.end_ticks, pts - self.first_dts + (packet.duration or 0),
                             dts - self.first_dts)
        self.packets += 1

    def close(self, time_base: Fraction) -> Segment:
        # On an error the fragments already written stay playable: still index the file.
        with contextlib.suppress(av.error.FFmpegError, OSError):
            self.container.close()
        return finish_file(self.path, self.earliest, float(self.end_ticks * time_base),
                           self.packets)

    def abandon(self) -> None:
        """Close and remove a file nothing could be written to."""
        with contextlib.suppress(av.error.FFmpegError, OSError):
            self.container.close()
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)


class SegmentWriter:
    """Writes the packets of one video stream (one connection: a reconnect makes a new writer,
    so its segment starts at the new connection's first keyframe) into `directory`.

    `write` returns the segment a packet finished, if any. A segment is cut at a keyframe when
    the next keyframe, at the stream's own keyframe interval, would take it past `max_seconds`
    (so segments stay within the limit, give or take the camera's timestamp jitter, for a
    steady interval), and at the latest at the first keyframe at or after `max_seconds` (the
    first segment, before the interval is known; a stream with no keyframe for longer).
    """

    def __init__(self, template: av.video.stream.VideoStream, directory: Path, *,
                 max_seconds: float = DEFAULT_MAX_SECONDS,
                 clock: Callable[[], datetime] = utc_now) -> None:
        if template.time_base is None:
            raise ValueError("the stream has no time base")
        self._template = template
        self._time_base = Fraction(template.time_base)
        self._seconds_per_tick = float(self._time_base)  # for each packet: a Fraction costs µs
        self._directory = directory
        self._max_ticks = int(max_seconds / self._time_base)
        self._gap_ticks = int(MAX_TIMESTAMP_GAP / self._time_base)
        self._clock = clock
        self._open: _OpenSegment | None = None
        # The stream's keyframe interval, kept across segments: it predicts the next cut.
        self._last_keyframe: int | None = None
        self._keyframe_interval = 0
        self.dropped = 0  # packets not written: before the first keyframe, after an error
        self.errors = 0  # packets or files the muxer failed to write

    def write(self, packet: av.Packet, received: datetime | None = None) -> Segment | None:
        """Add one packet of the template's stream; the segment it finished, if any.
        `received` is when the packet arrived (default: now); a packet held back before an
        event (apps.vision.recordgate) gives its own, so the segment starts when it did."""
        dts = packet.dts if packet.dts is not None else packet.pts
        if dts is None or packet.size == 0:
            self.dropped += 1
            return None
        pts = packet.pts if packet.pts is not None else dts
        finished: Segment | None = None
        current = self._open
        if current is not None and (dts <= current.last_dts
                                    or dts - current.last_dts > self._gap_ticks):
            finished = self._close()
            current = None
        if current is not None and packet.is_keyframe and self._should_cut(current, dts):
            finished = self._close()
            current = None
        now = received or self._clock()
        if current is None:
            if not packet.is_keyframe:
                self.dropped += 1
                return finished
            current = self._open = _OpenSegment(
                self._template, segment_path(self._directory, now), now, dts)
        else:
            # A new connection hands over what FFmpeg read while it probed the stream (about
            # two seconds of it) all at once: the first segment's keyframe arrives late by
            # that much, and the segment would be indexed later than what it shows. Packets
            # that came on time say when the segment really began.
            began = now - timedelta(seconds=(dts - current.first_dts) * self._seconds_per_tick)
            current.earliest = min(current.earliest, began)
        if packet.is_keyframe:
            if self._last_keyframe is not None and dts > self._last_keyframe:
                self._keyframe_interval = dts - self._last_keyframe
            self._last_keyframe = dts
        try:
            current.mux(packet, dts, pts)
        except (av.error.FFmpegError, OSError, ValueError):
            # A packet the muxer refuses, or a file that cannot be written (a full disk),
            # ends the segment; the next keyframe starts a new one. What was written stays
            # playable and is reported; `errors` tells the caller something went wrong.
            self.dropped += 1
            self.errors += 1
            if current.packets:
                return self._close()
            self._open = None
            current.abandon()
        return finished

    def _should_cut(self, current: _OpenSegment, dts: int) -> bool:
        elapsed = dts - current.first_dts
        # A tenth of an interval of slack: a live camera's keyframes come a few milliseconds
        # late or early, and without it a 60 s limit with 1 s groups would cut at 59 s.
        interval = self._keyframe_interval
        return elapsed >= self._max_ticks or elapsed + interval > self._max_ticks + interval // 10

    def close(self) -> Segment | None:
        """Finish the open segment (the connection ended, or the recording stops)."""
        return self._close()

    def _close(self) -> Segment | None:
        current, self._open = self._open, None
        if current is None:
            return None
        try:
            return current.close(self._time_base)
        except OSError:
            return None  # the file is gone (disk removed): nothing to index
