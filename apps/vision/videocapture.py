"""Video sources (RTSP through apps.vision.rtsprelay, local files) demuxed and decoded by
FFmpeg through PyAV, and the decoded frame as the analysis reads it."""

from __future__ import annotations

import threading
import time
from collections import deque
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import av
import av.error
import cv2
import numpy as np

from apps.vision.frames import ANALYSIS_WIDTH, Pixels, luma_to_grey
from apps.vision.rtsprelay import RtspRelay
from apps.vision.source import EndOfStream, Grab, SourceConfig, SourceKind, StreamError

if TYPE_CHECKING:
    from apps.vision.decoding import DecodeSwitch
    from apps.vision.recorder import RecordingTap

# Only the protocols a camera needs may be opened, so a playlist or redirect cannot make
# FFmpeg read local files or other schemes. (PyAV keeps FFmpeg's own log, which can quote
# URLs, switched off.)
_FFMPEG_PROTOCOLS = "rtsp,rtsps,tcp,tls"
_file_sources_enabled = False


def enable_file_sources() -> None:
    """Let video captures open local files too (tests, benchmarks): off by default."""
    global _file_sources_enabled
    _file_sources_enabled = True


def ffmpeg_options(kind: SourceKind, read_timeout: float | None = None) -> dict[str, str]:
    """FFmpeg input options for a video source: RTSP over TCP (no UDP ports to open, no
    packet loss on busy links) with `read_timeout` on every socket read, video only, the
    protocol allowlist."""
    if kind == SourceKind.FILE and not _file_sources_enabled:
        raise StreamError("file sources are not enabled in this process")
    protocols = _FFMPEG_PROTOCOLS + (",file" if _file_sources_enabled else "")
    # fpsprobesize 0: do not hold the first ~20 frames back to estimate the frame rate while
    # opening (the SDP or the H.264 headers declare it); connecting takes a second less.
    options = {"allowed_media_types": "video", "fpsprobesize": "0",
               "protocol_whitelist": protocols}
    if kind == SourceKind.RTSP:
        options["rtsp_transport"] = "tcp"
        if read_timeout is not None:
            options["timeout"] = str(round(read_timeout * 1_000_000))  # microseconds
    return options


_STALLED = "no frame before the read timeout, or the stream ended"
# Demuxing and decoding failures: a stream that stalled past the read timeout (FFmpeg's
# interrupt gives ExitError), ended, reset or sent garbage.
_FFMPEG_FAILURES = (av.error.FFmpegError, OSError)


class VideoCapture:
    """RTSP(S) or a file through PyAV: every packet is decoded (or, as `decoding` says, the
    keyframes only: apps.vision.decoding), on one thread per camera (FFmpeg's default thread
    pool costs ~20 % more CPU in total, and cameras are already spread over threads); PyAV
    releases the GIL while decoding."""

    def __init__(self, target: str, source: SourceConfig, stop: threading.Event, *,
                 relay: RtspRelay | None = None, tap: RecordingTap | None = None,
                 decoding: DecodeSwitch | None = None) -> None:
        self._source = source
        self._decoding = decoding
        self._stop = stop
        self._relay = relay
        self._tap = tap
        self._is_file = source.kind == SourceKind.FILE
        options = ffmpeg_options(source.kind, source.read_timeout)
        try:
            # A stalled stream fails `read_timeout` after its last packet by FFmpeg's own
            # socket timeout, and a camera that does not start its stream in `open_timeout`
            # is given up by the relay. PyAV's `timeout` would do both with an interrupt
            # callback that FFmpeg calls around every read, each call taking the GIL: with
            # a relay and a reader thread per camera, that contention cost more than reading.
            self._container = av.open(target, options=options)
        except _FFMPEG_FAILURES:
            # FFmpeg's message quotes the URL: never pass it on.
            raise StreamError("could not open the stream (unreachable, refused, timed out "
                              "or not a video)") from None
        if not self._container.streams.video:
            self._container.close()
            raise StreamError("the stream has no video")
        self._video = self._container.streams.video[0]
        self._video.thread_type = "NONE"
        self._video.codec_context.thread_count = 1
        rate = self._video.average_rate or self._video.guessed_rate
        fps = float(rate) if rate else 0.0
        self.expected_fps: float | None = fps if 1.0 <= fps <= 120.0 else None
        self._packets = self._container.demux(self._video)
        # Packets demuxed from one stream carry its time base; a Fraction per packet cost
        # ~2 us of a reader's per-packet work.
        self._time_base = float(self._video.time_base) if self._video.time_base else None
        if tap is not None:
            tap.video_opened(self._video)
        self._decoded: deque[av.VideoFrame] = deque()
        self._frame: av.VideoFrame | None = None
        self._offset = 0.0
        self._last_position = 0.0
        self._started: float | None = None

    def grab(self) -> Grab:
        frame, nbytes, plausible, decoded = self._next_frame()
        self._frame = frame
        if not self._is_file:
            return Grab(time.monotonic(), nbytes, plausible, decoded)
        if frame is not None and frame.time is not None:
            self._last_position = frame.time
        stream_time = self._offset + self._last_position
        if self._source.realtime:
            now = time.monotonic()
            if self._started is None:
                self._started = now - stream_time
            self._stop.wait(max(0.0, self._started + stream_time - now))
        return Grab(stream_time, nbytes, plausible, decoded)

    def _next_frame(self) -> tuple[av.VideoFrame | None, int | None, bool, bool]:
        """The next decoded frame with the size of the packets read for it, plausible and
        decoded; (None, size, False, True) for a packet the decoder refused, (None, size,
        True, False) for one the decoding mode skips (it still counts as a frame received)."""
        nbytes = 0
        while not self._decoded:
            started = time.monotonic()
            try:
                packet = next(self._packets)
            except StopIteration:
                self._end_of_input()
                continue
            except _FFMPEG_FAILURES:
                raise StreamError(_STALLED) from None
            # When the read timeout fires, FFmpeg may still hand over one buffered packet; the
            # stream is stalled all the same, and waiting for the next timeout would double
            # the time to notice.
            if not self._is_file and time.monotonic() - started >= self._source.read_timeout * 0.98:
                raise StreamError(_STALLED)
            # An empty packet at the end of the input drains the frames the decoder holds.
            nbytes += packet.size
            if self._tap is not None and packet.size:
                # Recorded as received, before decoding (the writer copies, never decodes).
                self._tap.video_packet(packet, datetime.now(UTC))
            if self._decoding is not None and packet.size:
                at = (packet.pts * self._time_base
                      if packet.pts is not None and self._time_base is not None else None)
                if not self._decoding.admit(packet.is_keyframe, at, packet.size):
                    if at is not None:
                        self._last_position = at
                    return None, nbytes, True, False
            try:
                self._decoded.extend(packet.decode())
            except _FFMPEG_FAILURES:
                return None, nbytes, False, True
        return self._decoded.popleft(), nbytes, True, True

    def _end_of_input(self) -> None:
        if not self._is_file:
            raise StreamError("the stream ended")
        if not self._source.loop:
            raise EndOfStream
        self._offset += self._last_position + (1.0 / (self.expected_fps or 25.0))
        self._last_position = 0.0
        self._container.seek(0, stream=self._video)
        self._packets = self._container.demux(self._video)

    def retrieve(self) -> Pixels | None:
        return VideoPixels(self._frame) if self._frame is not None else None

    def bitrate(self) -> float | None:
        return None  # measured by the reader from the packet sizes

    def close(self) -> None:
        self._container.close()
        if self._relay is not None:
            self._relay.close()


class VideoPixels:
    """A decoded video frame: the luma plane is the grey picture (no conversion), and the
    snapshot reads the YUV planes as they are (snapshot.render_snapshot); a full-size colour
    picture is made only when asked for."""

    __slots__ = ("_colour", "_frame")

    def __init__(self, frame: av.VideoFrame) -> None:
        self._frame = frame
        self._colour: np.ndarray | None = None

    @property
    def keyframe(self) -> bool:
        return bool(self._frame.key_frame)

    def small_grey(self, width: int = ANALYSIS_WIDTH) -> np.ndarray:
        frame = self._frame
        name = frame.format.name
        if not name.startswith(("yuv", "nv", "gray")):
            return luma_to_grey(cv2.cvtColor(self.colour(), cv2.COLOR_BGR2GRAY), width, False)
        # yuvj* formats and streams flagged as full range (color_range 2) use 0-255.
        limited = not (name.startswith(("yuvj", "gray")) or frame.color_range == 2)
        return luma_to_grey(_plane(frame.planes[0], frame.width, frame.height), width, limited)

    def colour(self) -> np.ndarray:
        if self._colour is None:
            self._colour = self._frame.to_ndarray(format="bgr24")
        return self._colour

    def i420(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        frame = self._frame
        if (frame.format.name != "yuv420p" or frame.color_range == 2
                or frame.width % 2 or frame.height % 2):
            return None
        width, height = frame.width, frame.height
        luma, blue, red = frame.planes
        return (_plane(luma, width, height),
                _plane(blue, width // 2, height // 2),
                _plane(red, width // 2, height // 2))


def _plane(plane: av.video.plane.VideoPlane, width: int, height: int) -> np.ndarray:
    """A view of one plane of a decoded frame, without its row padding (no copy)."""
    return np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:height, :width]
