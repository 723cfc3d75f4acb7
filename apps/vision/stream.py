"""Reading a camera: RTSP(S), HTTP(S) MJPEG, HTTP(S) JPEG snapshots, or a local file (tests).

One StreamReader per camera, run in a worker thread. It reads at the stream's own pace,
decodes every frame (an H.264 decoder must) or, when its DecodeSwitch says so, keyframes only
(apps.vision.decoding), and hands over only the frames due for analysis (5 fps by default),
reconnects with exponential backoff, and keeps health figures. What it reads through:
apps.vision.videocapture (RTSP via apps.vision.rtsprelay, files; PyAV/FFmpeg) and
apps.vision.httpcapture (MJPEG, snapshots); the vocabulary is in apps.vision.source.

Video is demuxed and decoded by FFmpeg through PyAV rather than OpenCV's VideoCapture:
OpenCV converts every frame it returns to full-size BGR (1 ms at 720p, as much as all the
analysis), while the luma plane PyAV hands over is already the grey picture the detectors
need; snapshots are encoded from the YUV planes as they are (see apps.vision.snapshot). JPEG
pictures (MJPEG, snapshots) are decoded by OpenCV.

Credentials never appear in logs, exceptions or reprs: they live in SourceConfig fields hidden
from repr, FFmpeg never gets them (the RTSP relay signs its requests; HTTP sources sign their
own), and every error message is passed through a redactor before it is stored or logged. The
URL is checked against the caller's UrlPolicy before every connection attempt (the database
row may have been edited, DNS may have changed), and the connection goes to the address that
was checked.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from apps.core.netguard import CheckedUrl, UrlPolicy, UrlRejected, check_url
from apps.vision.decoding import DecodeSwitch
from apps.vision.frames import Frame
from apps.vision.httpcapture import HttpCapture, JpegPollCapture, MjpegCapture
from apps.vision.recorder import RecordingTap
from apps.vision.rtsprelay import RelayFailed, RtspRelay
from apps.vision.source import (
    Backoff,
    Capture,
    EndOfStream,
    SourceConfig,
    SourceKind,
    StreamError,
    StreamHealth,
    StreamState,
)
from apps.vision.videocapture import VideoCapture

logger = logging.getLogger(__name__)

# Undecodable frames in a row before the connection is dropped and opened again.
MAX_BAD_FRAMES = 10
HEALTH_WINDOW = 5.0


FrameCallback = Callable[[Frame], None]
HealthCallback = Callable[[StreamHealth], None]


class StreamReader:
    """Reads one source until `stop_event` is set; call run() from a worker thread.

    `on_frame` runs in the reader's thread for each frame due for analysis; it should return
    quickly (it delays the next read). An exception from it ends run() and propagates.
    `on_health` is called whenever the state changes. A `recorder` gets every video packet
    before it is decoded, or every JPEG as received, from this same connection
    (apps.vision.recorder). `decoding` chooses between full and keyframe-only decoding of
    video (RTSP, files) and may be switched while the reader runs; JPEG sources ignore it.
    """

    def __init__(
        self,
        source: SourceConfig,
        on_frame: FrameCallback,
        stop_event: threading.Event | None = None,
        *,
        policy: UrlPolicy,
        on_health: HealthCallback | None = None,
        backoff: Backoff | None = None,
        recorder: RecordingTap | None = None,
        decoding: DecodeSwitch | None = None,
    ) -> None:
        self.source = source
        self._recorder = recorder
        self.decoding = decoding or DecodeSwitch()
        self.policy = policy
        self._on_frame = on_frame
        self._on_health = on_health
        self._stop = stop_event or threading.Event()
        self._backoff = backoff or Backoff()
        self._lock = threading.Lock()
        self._capture: Capture | None = None
        self._connected_at: float | None = None
        self._expected_fps: float | None = source.expected_fps
        self._window: deque[tuple[float, int | None]] = deque()
        self._corrupt_times: deque[float] = deque()
        self._last_mono: float | None = None
        self._last_wall: float | None = None
        self._reconnects = 0
        self._frames = 0
        self._corrupt = 0
        self._error: str | None = None
        self._logged_error: str | None = None
        self._reported: StreamState | None = None

    def __repr__(self) -> str:
        return f"StreamReader({self.source!r})"

    def stop(self) -> None:
        """Ask run() to return; an HTTP read in progress is interrupted at once."""
        self._stop.set()
        capture = self._capture
        if isinstance(capture, HttpCapture):
            capture.interrupt()

    def run(self) -> None:
        failures = 0
        first = True
        try:
            while not self._stop.is_set():
                if not first:
                    with self._lock:
                        self._reconnects += 1
                first = False
                try:
                    delivered = self._session()
                except EndOfStream:
                    logger.info("%s: end of file", self.source.label)
                    return
                except StreamError as exc:
                    delivered = False
                    if not self._stop.is_set():
                        self._record_error(str(exc))
                failures = 0 if delivered else failures + 1
                if self._stop.is_set():
                    break
                self._stop.wait(self._backoff.delay(max(failures, 1)))
        finally:
            self._set_connected(None)

    def health(self) -> StreamHealth:
        with self._lock:
            return self._health_locked(time.monotonic())

    def _session(self) -> bool:
        """One connection: open, read until failure or stop. True if it delivered frames."""
        try:
            checked = check_url(self.source.url, self.policy)
        except UrlRejected as exc:
            raise StreamError(f"URL rejected: {exc.reason}") from None
        capture = self._open(checked)
        delivered = False
        try:
            self._set_connected(capture)
            logger.info("%s: connected (%s)", self.source.label, self.source.kind)
            delivered = self._pump(capture)
        finally:
            self._set_connected(None)
            capture.close()
            if self._recorder is not None:
                self._recorder.closed()  # a reconnect starts a new segment
        return delivered

    def _open(self, checked: CheckedUrl) -> Capture:
        kind = self.source.kind
        if kind in (SourceKind.RTSP, SourceKind.FILE):
            if (kind == SourceKind.FILE) != (checked.scheme == "file"):
                raise StreamError("URL scheme does not match the source kind")
            if kind == SourceKind.FILE:
                return VideoCapture(checked.path, self.source, self._stop,
                                    tap=self._recorder, decoding=self.decoding)
            if checked.scheme not in ("rtsp", "rtsps"):
                raise StreamError("URL scheme does not match the source kind")
            return self._through_relay(checked)
        if checked.scheme not in ("http", "https"):
            raise StreamError("URL scheme does not match the source kind")
        if kind == SourceKind.MJPEG:
            return MjpegCapture(checked, self.source, tap=self._recorder)
        return JpegPollCapture(checked, self.source, self._stop, tap=self._recorder)

    def _through_relay(self, checked: CheckedUrl) -> VideoCapture:
        """FFmpeg opens the camera through a relay that checks every redirect against the
        policy and signs the requests (see apps.vision.rtsprelay)."""
        source = self.source
        try:
            relay = RtspRelay(checked, self.policy, username=source.username,
                              password=source.password, timeout=source.open_timeout)
        except RelayFailed as exc:
            raise StreamError(str(exc)) from None
        try:
            return VideoCapture(relay.url, source, self._stop, relay=relay, tap=self._recorder,
                                decoding=self.decoding)
        except StreamError as exc:
            relay.close()
            raise StreamError(relay.failure or str(exc)) from None

    def _pump(self, capture: Capture) -> bool:
        interval = 1.0 / self.source.analysis_fps
        last_analysed: float | None = None
        bad_in_row = 0
        delivered = False
        seq = 0
        while not self._stop.is_set():
            grabbed = capture.grab()
            now = time.monotonic()
            seq += 1
            due = (
                last_analysed is None
                or grabbed.stream_time < last_analysed  # a looped file started again
                or grabbed.stream_time - last_analysed >= interval * 0.9
            )
            wanted = due and grabbed.plausible and grabbed.decoded
            pixels = capture.retrieve() if wanted else None
            good = grabbed.plausible and (pixels is not None or not wanted)
            self._record_frame(now, grabbed.nbytes, good, capture)
            if not good:
                bad_in_row += 1
                if bad_in_row >= MAX_BAD_FRAMES:
                    raise StreamError("too many undecodable frames")
                continue
            bad_in_row = 0
            delivered = True
            if pixels is not None:
                last_analysed = grabbed.stream_time
                self._on_frame(Frame(pixels, seq, grabbed.stream_time, time.time()))
        return delivered

    def _record_frame(self, now: float, nbytes: int | None, good: bool, capture: Capture) -> None:
        with self._lock:
            self._window.append((now, nbytes))
            while self._window and self._window[0][0] < now - HEALTH_WINDOW:
                self._window.popleft()
            if good:
                self._frames += 1
                self._last_mono = now
                self._last_wall = time.time()
                self._error = self._logged_error = None
            else:
                self._corrupt += 1
                self._corrupt_times.append(now)
            while self._corrupt_times and self._corrupt_times[0] < now - HEALTH_WINDOW:
                self._corrupt_times.popleft()
            if self._expected_fps is None:
                self._expected_fps = capture.expected_fps
        self._announce()

    def _record_error(self, message: str) -> None:
        message = self.source.redact(message)
        with self._lock:
            repeated = message == self._logged_error
            self._error = self._logged_error = message
        # A camera that stays down fails the same way on every retry: say so once, not every
        # 30 s for days.
        logger.log(logging.DEBUG if repeated else logging.WARNING, "%s: %s",
                   self.source.label, message)
        self._announce()

    def _set_connected(self, capture: Capture | None) -> None:
        with self._lock:
            self._capture = capture
            self._connected_at = time.monotonic() if capture is not None else None
            self._window.clear()
            self._corrupt_times.clear()
        self._announce()

    def _announce(self) -> None:
        if self._on_health is None:
            return
        health = self.health()
        if health.state != self._reported:
            self._reported = health.state
            self._on_health(health)

    def _health_locked(self, now: float) -> StreamHealth:
        age = None if self._last_mono is None else now - self._last_mono
        window = [t for t, _ in self._window if t >= now - HEALTH_WINDOW]
        span = window[-1] - window[0] if window else 0.0
        fps = (len(window) - 1) / span if span > 0 else 0.0
        capture = self._capture
        bitrate: float | None = None
        if capture is not None:
            bitrate = capture.bitrate()
            sizes = [n for t, n in self._window if t >= now - HEALTH_WINDOW]
            if bitrate is None and span > 0 and all(n is not None for n in sizes):
                # The first frame in the window only marks its start.
                bitrate = 8 * sum(n for n in sizes[1:] if n is not None) / span

        connected = self._connected_at is not None
        if (
            not connected
            or self._last_mono is None
            or self._last_mono < (self._connected_at or 0.0)
            or age is None
        ):
            state = StreamState.OFFLINE
        elif self._is_degraded(age, fps, span):
            state = StreamState.DEGRADED
        else:
            state = StreamState.ONLINE
        return StreamHealth(
            state=state,
            fps=fps,
            bitrate=bitrate if connected else None,
            last_frame_at=self._last_wall,
            last_frame_age=age,
            reconnects=self._reconnects,
            frames=self._frames,
            corrupt_frames=self._corrupt,
            error=self._error,
            keyframe_interval=self.decoding.keyframe_interval,
        )

    def _is_degraded(self, age: float, fps: float, span: float) -> bool:
        if self._corrupt_times:
            return True
        if self.source.kind == SourceKind.JPEG:
            return age > 2 * self.source.poll_interval + 1.0
        if age > 2.0:
            return True
        expected = self._expected_fps
        # Judge the rate only on a full window: right after connecting it is still settling.
        if expected and span >= HEALTH_WINDOW * 0.8 and self.source.kind != SourceKind.FILE:
            return not 0.5 * expected <= fps <= 3.0 * expected
        return False
