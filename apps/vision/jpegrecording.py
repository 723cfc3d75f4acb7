"""Recording MJPEG and JPEG-snapshot cameras in a form the browser plays.

Browsers do not play Motion JPEG in a <video> element, and a JPEG per frame is 5-10 times
the bytes of H.264 for the same picture. So the frames as received are encoded to H.264
(libx264, which FFmpeg in PyAV's wheels carries) at their own, variable, rate: each frame's
time is its arrival time (a millisecond time base), so a snapshot camera polled every 2 s
is recorded at 0.5 frames a second and plays at the right speed. Segments are fragmented MP4
like the stream-copy recording (apps.vision.recording), each one a new encoder so it starts
with a keyframe.

This is the one place recording decodes and encodes; video cameras are never re-encoded.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import av
import av.error

from apps.vision.recording import (
    DEFAULT_MAX_SECONDS,
    MAX_TIMESTAMP_GAP,
    MP4_OPTIONS,
    Segment,
    finish_file,
    segment_path,
    utc_now,
)

MILLISECOND = Fraction(1, 1000)
# x264: fast enough for several cameras per core at VGA; zerolatency keeps no frames back
# (a killed writer loses less) and makes no B-frames (simple, fragment-friendly output).
X264_OPTIONS = {"preset": "veryfast", "tune": "zerolatency", "crf": "26"}
KEYFRAME_SECONDS = 2.0  # a fragment (what a killed writer can lose) every ~2 s of frames


class _Encoder:
    """One segment: an H.264 encoder into one fragmented MP4 file."""

    def __init__(self, path: Path, start: datetime, width: int, height: int,
                 fps_hint: float) -> None:
        self.path = path
        self.start = start
        self.size = (width, height)
        self.frames = 0
        self.last_ms = -1
        self.container = av.open(str(path), "w", format="mp4", options=dict(MP4_OPTIONS))
        stream = self.container.add_stream("libx264", rate=max(1, round(fps_hint)))
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.time_base = MILLISECOND
        stream.codec_context.time_base = MILLISECOND
        stream.options = {**X264_OPTIONS,
                          "g": str(max(1, round(fps_hint * KEYFRAME_SECONDS)))}
        self.stream = stream
        self.packets = 0

    def encode(self, frame: av.VideoFrame, at_ms: int, duration_ms: int) -> None:
        frame = frame.reformat(width=self.size[0], height=self.size[1], format="yuv420p")
        frame.pts = at_ms
        frame.time_base = MILLISECOND
        packets = self.stream.encode(frame)
        # The frame lasts until the next one, unknown yet: the last interval is the best
        # guess, and the one a fragment's last sample keeps (the muxer's own is 0.2 s).
        for packet in packets:
            packet.duration = duration_ms
        self._mux(packets)
        self.frames += 1
        self.last_ms = at_ms

    def _mux(self, packets: list[av.Packet]) -> None:
        self.container.mux(packets)
        self.packets += len(packets)

    def abandon(self) -> None:
        """Close and remove a file nothing could be written to."""
        with contextlib.suppress(av.error.FFmpegError, OSError):
            self.container.close()
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)

    def close(self, end_ms: int) -> Segment:
        try:
            self._mux(self.stream.encode(None))
            self.container.close()
        except (av.error.FFmpegError, OSError):
            pass  # what reached the file stays playable: still index it
        return finish_file(self.path, self.start, end_ms / 1000, self.packets)


class JpegSegmentWriter:
    """JPEG frames (MJPEG parts or polled snapshots) into H.264 fMP4 segments of at most
    `max_seconds`. `write` takes the JPEG bytes as received and its arrival time; it returns
    the segment that frame finished, if any. A frame that does not decode is skipped; a change
    of picture size starts a new segment (an encoder has one size)."""

    def __init__(self, directory: Path, *, max_seconds: float = DEFAULT_MAX_SECONDS,
                 fps_hint: float = 5.0, clock: Callable[[], datetime] = utc_now) -> None:
        self._directory = directory
        self._max_ms = round(max_seconds * 1000)
        self._fps_hint = fps_hint
        self._clock = clock
        self._decoder = av.CodecContext.create("mjpeg", "r")
        self._decoder.thread_count = 1  # frame threads would hold a frame back
        self._open: _Encoder | None = None
        self._interval_ms = 0
        self.dropped = 0
        self.errors = 0  # frames the encoder or the file failed to take

    def write(self, jpeg: bytes, received: datetime | None = None) -> Segment | None:
        received = received or self._clock()
        frame = self._decode(jpeg)
        if frame is None:
            self.dropped += 1
            return None
        # H.264 in 4:2:0 needs even dimensions: drop the odd last row/column.
        width, height = frame.width & ~1, frame.height & ~1
        finished: Segment | None = None
        current = self._open
        if current is not None:
            at_ms = round((received - current.start).total_seconds() * 1000)
            gap_ms = max(MAX_TIMESTAMP_GAP * 1000, 3 * self._interval_ms)
            if (at_ms <= current.last_ms or at_ms - current.last_ms > gap_ms
                    or current.size != (width, height)):
                # The clock stepped back or jumped ahead (or the frames stopped for a
                # while), or the picture changed size: a new segment, so no frame is given
                # a length the camera never showed it for.
                finished = self._close(current.last_ms + max(self._interval_ms, 1))
                current = None
            else:
                self._interval_ms = at_ms - current.last_ms
                # Cut when this frame, lasting as long as the last one, would pass the limit:
                # the segment then ends where this frame starts.
                if at_ms + self._interval_ms > self._max_ms:
                    finished = self._close(at_ms)
                    current = None
        if current is None:
            current = self._open = _Encoder(segment_path(self._directory, received), received,
                                            width, height, self._fps_hint)
        try:
            current.encode(frame, round((received - current.start).total_seconds() * 1000),
                           max(self._interval_ms, 1))
        except (av.error.FFmpegError, OSError, ValueError):
            # A file that cannot be written (a full disk): what was written is reported, and
            # the next frame starts a new segment.
            self.dropped += 1
            self.errors += 1
            if current.frames:
                return self._close(current.last_ms + max(self._interval_ms, 1))
            self._open = None
            current.abandon()
        return finished

    def _decode(self, jpeg: bytes) -> av.VideoFrame | None:
        try:
            frames = self._decoder.decode(av.Packet(jpeg))
        except (av.error.FFmpegError, ValueError):
            return None
        if not frames or frames[0].width < 2 or frames[0].height < 2:
            return None
        return frames[0]

    def close(self) -> Segment | None:
        current = self._open
        if current is None:
            return None
        return self._close(current.last_ms + max(self._interval_ms, 1))

    def _close(self, end_ms: int) -> Segment | None:
        current, self._open = self._open, None
        if current is None:
            return None
        try:
            return current.close(end_ms)
        except OSError:
            return None
