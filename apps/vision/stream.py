"""Reading a camera: RTSP(S), HTTP(S) MJPEG, HTTP(S) JPEG snapshots, or a local file (tests).

One StreamReader per camera, run in a worker thread. It reads at the stream's own pace,
decodes every frame (an H.264 decoder must) but hands over only the frames due for analysis
(5 fps by default), reconnects with exponential backoff, and keeps health figures.

Video (RTSP, files) is demuxed and decoded by FFmpeg through PyAV rather than OpenCV's
VideoCapture: OpenCV converts every frame it returns to full-size BGR (1 ms at 720p, as much
as all the analysis), while the luma plane PyAV hands over is already the grey picture the
detectors need; snapshots are encoded from the YUV planes as they are (see
apps.vision.snapshot). JPEG pictures (MJPEG, snapshots) are decoded by OpenCV.

Credentials never appear in logs, exceptions or reprs: they live in SourceConfig fields hidden
from repr, are put into the URL only in the call that opens the FFmpeg input, and every error
message is passed through a redactor before it is stored or logged. The URL is checked against
the caller's UrlPolicy before every connection attempt (the database row may have been edited,
DNS may have changed), and the connection goes to the address that was checked.
"""

from __future__ import annotations

import contextlib
import enum
import http.client
import logging
import re
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import quote

import av
import av.error
import cv2
import numpy as np

from apps.vision.frames import ANALYSIS_WIDTH, BgrPixels, Frame, Pixels, luma_to_grey
from apps.vision.httpauth import AuthError, Authorizer, pick_challenge
from apps.vision.rtsprelay import RelayFailed, RtspRelay
from apps.vision.urls import CheckedUrl, UrlPolicy, UrlRejected, check_url

logger = logging.getLogger(__name__)

MAX_JPEG_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 4096 * 4096
# Undecodable frames in a row before the connection is dropped and opened again.
MAX_BAD_FRAMES = 10
HEALTH_WINDOW = 5.0

# Only the protocols a camera needs may be opened, so a playlist or redirect cannot make
# FFmpeg read local files or other schemes. (PyAV keeps FFmpeg's own log, which can quote
# URLs, switched off.)
_FFMPEG_PROTOCOLS = "rtsp,rtsps,tcp,tls"
_file_sources_enabled = False


class SourceKind(enum.StrEnum):
    RTSP = "rtsp"
    MJPEG = "mjpeg"
    JPEG = "jpeg"  # a still image fetched every poll_interval seconds
    FILE = "file"


class StreamState(enum.StrEnum):
    ONLINE = "online"
    DEGRADED = "degraded"
    OFFLINE = "offline"


@dataclass(frozen=True)
class SourceConfig:
    """Where and how to read one camera. Secrets are excluded from repr and comparisons."""

    url: str
    kind: SourceKind
    username: str = field(default="", repr=False, compare=False)
    password: str = field(default="", repr=False, compare=False)
    label: str = "camera"
    analysis_fps: float = 5.0
    poll_interval: float = 1.0
    open_timeout: float = 5.0
    read_timeout: float = 5.0
    # Known frame rate of the camera; without it the reader uses what the stream declares.
    expected_fps: float | None = None
    verify_tls: bool = True
    # Files only: pace reading at the file's frame rate (as a camera would), and start again
    # at the end instead of stopping.
    realtime: bool = True
    loop: bool = False

    def __repr__(self) -> str:
        # The URL should carry no userinfo (the URL check refuses it), but a repr must not
        # leak it even when someone put it there.
        url = self.redact(re.sub(r"//.*@", "//***@", self.url))
        return f"SourceConfig(url={url!r}, kind={self.kind.value!r}, label={self.label!r})"

    def redact(self, text: str) -> str:
        """`text` with the username and password (plain or percent-encoded) replaced."""
        for secret in (self.password, self.username):
            if secret:
                for form in {secret, quote(secret, safe=""), quote(secret)}:
                    text = text.replace(form, "***")
        return text


@dataclass(frozen=True)
class StreamHealth:
    state: StreamState
    fps: float
    bitrate: float | None  # bits per second; None when the source cannot tell
    last_frame_at: float | None  # time.time() of the last frame
    last_frame_age: float | None  # seconds since the last frame
    reconnects: int
    frames: int
    corrupt_frames: int
    error: str | None  # the last failure, redacted


@dataclass(frozen=True)
class Backoff:
    """Waits between reconnection attempts: 1, 2, 4, 8, then every 10 s (Frigate's retry
    interval). A longer cap would leave a camera that came back dark for half a minute; a
    refused or silent peer costs nothing while we wait (no busy loop)."""

    first: float = 1.0
    factor: float = 2.0
    maximum: float = 10.0

    def delay(self, failures: int) -> float:
        return min(self.maximum, self.first * self.factor ** max(0, failures - 1))


class StreamError(Exception):
    """A connection or stream failure; the message is safe to log (no secrets, redacted)."""


class _EndOfStream(Exception):
    pass


@dataclass(frozen=True, slots=True)
class _Grab:
    stream_time: float
    nbytes: int | None
    plausible: bool


class _Capture(Protocol):
    expected_fps: float | None

    def grab(self) -> _Grab: ...

    def retrieve(self) -> Pixels | None: ...

    def bitrate(self) -> float | None: ...

    def close(self) -> None: ...


FrameCallback = Callable[[Frame], None]
HealthCallback = Callable[[StreamHealth], None]


class StreamReader:
    """Reads one source until `stop_event` is set; call run() from a worker thread.

    `on_frame` runs in the reader's thread for each frame due for analysis; it should return
    quickly (it delays the next read). An exception from it ends run() and propagates.
    `on_health` is called whenever the state changes.
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
    ) -> None:
        self.source = source
        self.policy = policy
        self._on_frame = on_frame
        self._on_health = on_health
        self._stop = stop_event or threading.Event()
        self._backoff = backoff or Backoff()
        self._lock = threading.Lock()
        self._capture: _Capture | None = None
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
        if isinstance(capture, _HttpCapture):
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
                except _EndOfStream:
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
        return delivered

    def _open(self, checked: CheckedUrl) -> _Capture:
        kind = self.source.kind
        if kind in (SourceKind.RTSP, SourceKind.FILE):
            if (kind == SourceKind.FILE) != (checked.scheme == "file"):
                raise StreamError("URL scheme does not match the source kind")
            if kind == SourceKind.FILE:
                return _VideoCapture(checked.path, self.source, self._stop)
            if checked.scheme not in ("rtsp", "rtsps"):
                raise StreamError("URL scheme does not match the source kind")
            return self._through_relay(checked)
        if checked.scheme not in ("http", "https"):
            raise StreamError("URL scheme does not match the source kind")
        if kind == SourceKind.MJPEG:
            return _MjpegCapture(checked, self.source)
        return _JpegPollCapture(checked, self.source, self._stop)

    def _through_relay(self, checked: CheckedUrl) -> _VideoCapture:
        """FFmpeg opens the camera through a relay that checks every redirect against the
        policy and signs the requests (see apps.vision.rtsprelay)."""
        source = self.source
        try:
            relay = RtspRelay(checked, self.policy, username=source.username,
                              password=source.password, timeout=source.open_timeout)
        except RelayFailed as exc:
            raise StreamError(str(exc)) from None
        try:
            return _VideoCapture(relay.url, source, self._stop, relay=relay)
        except StreamError as exc:
            relay.close()
            raise StreamError(relay.failure or str(exc)) from None

    def _pump(self, capture: _Capture) -> bool:
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
            pixels = capture.retrieve() if due and grabbed.plausible else None
            good = grabbed.plausible and (pixels is not None or not due)
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

    def _record_frame(self, now: float, nbytes: int | None, good: bool, capture: _Capture) -> None:
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

    def _set_connected(self, capture: _Capture | None) -> None:
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


def enable_file_sources() -> None:
    """Let video captures open local files too (tests, benchmarks): off by default."""
    global _file_sources_enabled
    _file_sources_enabled = True


def ffmpeg_options(kind: SourceKind) -> dict[str, str]:
    """FFmpeg input options for a video source: RTSP over TCP (no UDP ports to open, no
    packet loss on busy links), video only, the protocol allowlist."""
    if kind == SourceKind.FILE and not _file_sources_enabled:
        raise StreamError("file sources are not enabled in this process")
    protocols = _FFMPEG_PROTOCOLS + (",file" if _file_sources_enabled else "")
    # fpsprobesize 0: do not hold the first ~20 frames back to estimate the frame rate while
    # opening (the SDP or the H.264 headers declare it); connecting takes a second less.
    options = {"allowed_media_types": "video", "fpsprobesize": "0",
               "protocol_whitelist": protocols}
    if kind == SourceKind.RTSP:
        options["rtsp_transport"] = "tcp"
    return options


_STALLED = "no frame before the read timeout, or the stream ended"
# Demuxing and decoding failures: a stream that stalled past the read timeout (FFmpeg's
# interrupt gives ExitError), ended, reset or sent garbage.
_FFMPEG_FAILURES = (av.error.FFmpegError, OSError)


class _VideoCapture:
    """RTSP(S) or a file through PyAV: every packet is decoded, on one thread per camera
    (FFmpeg's default thread pool costs ~20 % more CPU in total, and cameras are already
    spread over threads); PyAV releases the GIL while decoding."""

    def __init__(self, target: str, source: SourceConfig, stop: threading.Event, *,
                 relay: RtspRelay | None = None) -> None:
        self._source = source
        self._stop = stop
        self._relay = relay
        self._is_file = source.kind == SourceKind.FILE
        options = ffmpeg_options(source.kind)
        try:
            # Both timeouts are given at open time: a silent peer fails after `open_timeout`,
            # a stalled stream `read_timeout` after its last packet.
            self._container = av.open(target, options=options,
                                      timeout=(source.open_timeout, source.read_timeout))
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
        self._decoded: deque[av.VideoFrame] = deque()
        self._frame: av.VideoFrame | None = None
        self._offset = 0.0
        self._last_position = 0.0
        self._started: float | None = None

    def grab(self) -> _Grab:
        frame, nbytes, plausible = self._next_frame()
        self._frame = frame
        if not self._is_file:
            return _Grab(time.monotonic(), nbytes, plausible)
        if frame is not None and frame.time is not None:
            self._last_position = frame.time
        stream_time = self._offset + self._last_position
        if self._source.realtime:
            now = time.monotonic()
            if self._started is None:
                self._started = now - stream_time
            self._stop.wait(max(0.0, self._started + stream_time - now))
        return _Grab(stream_time, nbytes, plausible)

    def _next_frame(self) -> tuple[av.VideoFrame | None, int | None, bool]:
        """The next decoded frame with the size of the packets read for it; (None, size,
        False) for a packet the decoder refused."""
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
            try:
                self._decoded.extend(packet.decode())
            except _FFMPEG_FAILURES:
                return None, nbytes, False
        return self._decoded.popleft(), nbytes, True

    def _end_of_input(self) -> None:
        if not self._is_file:
            raise StreamError("the stream ended")
        if not self._source.loop:
            raise _EndOfStream
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


class _HttpCapture:
    """Common part of the HTTP sources: connecting to the checked address, authentication."""

    def __init__(self, checked: CheckedUrl, source: SourceConfig) -> None:
        self._checked = checked
        self._source = source
        self._conn: http.client.HTTPConnection | None = None
        self._sock: socket.socket | None = None
        self._response: http.client.HTTPResponse | None = None
        self._authorizer: Authorizer | None = None
        self.expected_fps: float | None = None

    def interrupt(self) -> None:
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def bitrate(self) -> float | None:
        return None

    def close(self) -> None:
        # The response, the connection and our socket reference can each hold the socket open.
        for closable in (self._response, self._conn, self._sock):
            if closable is not None:
                closable.close()
        self._response = None
        self._conn = None
        self._sock = None

    def _connect(self) -> http.client.HTTPConnection:
        checked, source = self._checked, self._source
        address = str(checked.addresses[0])
        try:
            sock = socket.create_connection((address, checked.port), timeout=source.open_timeout)
            if checked.scheme == "https":
                context = ssl.create_default_context()
                if not source.verify_tls:
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
                sock = context.wrap_socket(sock, server_hostname=checked.host)
        except (OSError, ssl.SSLError) as exc:
            raise StreamError(f"connection failed: {_describe(exc)}") from None
        # Until the response headers arrive the open timeout applies; reads use the read timeout.
        sock.settimeout(source.open_timeout)
        conn = http.client.HTTPConnection(checked.host, checked.port)
        conn.sock = sock
        self._conn, self._sock = conn, sock
        return conn

    def _get(self) -> http.client.HTTPResponse:
        """GET the URL's path, authenticating if challenged; the response has status 200."""
        path = self._checked.path
        for _attempt in range(2):
            conn = self._conn or self._connect()
            headers = {"User-Agent": "posko-vision", "Accept": "*/*"}
            if self._authorizer is not None:
                headers["Authorization"] = self._authorizer.header("GET", path)
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise StreamError(f"request failed: {_describe(exc)}") from None
            if response.status == 401 and self._can_authenticate(response):
                self.close()
                continue
            if response.status != 200:
                self.close()
                raise StreamError(f"HTTP status {response.status}")
            # The response may own the socket now (Connection: close), so use our reference.
            if self._sock is not None:
                self._sock.settimeout(self._source.read_timeout)
            self._response = response
            return response
        raise StreamError("authentication failed")

    def _can_authenticate(self, response: http.client.HTTPResponse) -> bool:
        source = self._source
        if not (source.username or source.password):
            return False
        stale = self._authorizer is not None
        try:
            challenge = pick_challenge(response.headers.get_all("WWW-Authenticate") or [])
        except AuthError:
            return False
        if stale and challenge.params.get("stale", "").lower() != "true":
            # Credentials were sent and refused: trying again would only lock the account.
            return False
        self._authorizer = Authorizer(challenge, source.username, source.password)
        return True


class _MjpegCapture(_HttpCapture):
    def __init__(self, checked: CheckedUrl, source: SourceConfig) -> None:
        super().__init__(checked, source)
        self._stream = self._get()
        boundary = _boundary(self._stream.getheader("Content-Type", ""))
        if boundary is None:
            self.close()
            raise StreamError("not an MJPEG stream (no multipart boundary)")
        self._boundary = boundary
        self._jpeg = b""
        self._at_part = False

    def grab(self) -> _Grab:
        try:
            size, self._jpeg = self._read_part()
        except (OSError, http.client.HTTPException) as exc:
            raise StreamError(f"stream read failed: {_describe(exc)}") from None
        return _Grab(time.monotonic(), size, _jpeg_plausible(self._jpeg))

    def retrieve(self) -> Pixels | None:
        return _decode_jpeg(self._jpeg)

    def _read_part(self) -> tuple[int, bytes]:
        response, boundary = self._stream, self._boundary
        consumed = 0
        if not self._at_part:
            for _ in range(16):
                line = response.readline(1024)
                consumed += len(line)
                if not line:
                    raise StreamError("stream ended")
                if line.strip() == boundary:
                    break
            else:
                raise StreamError("MJPEG boundary not found")
        length: int | None = None
        for _ in range(32):
            line = response.readline(1024)
            consumed += len(line)
            if not line:
                raise StreamError("stream ended")
            if not line.strip():
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                try:
                    length = int(value.strip())
                except ValueError:
                    raise StreamError("bad Content-Length in MJPEG part") from None
        else:
            raise StreamError("MJPEG part headers too long")
        if length is not None:
            if not 0 < length <= MAX_JPEG_BYTES:
                raise StreamError("MJPEG part size out of range")
            data = response.read(length)
            if len(data) < length:
                raise StreamError("stream ended in the middle of a frame")
            self._at_part = False
            return consumed + length, data
        return self._read_until_boundary(consumed)

    def _read_until_boundary(self, consumed: int) -> tuple[int, bytes]:
        # No Content-Length: the part ends at the next boundary line.
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self._stream.readline(65536)
            if not line:
                raise StreamError("stream ended in the middle of a frame")
            consumed += len(line)
            if line.strip() == self._boundary:
                self._at_part = True
                data = b"".join(chunks)
                return consumed, data.removesuffix(b"\n").removesuffix(b"\r")
            chunks.append(line)
            total += len(line)
            if total > MAX_JPEG_BYTES:
                raise StreamError("MJPEG part too large")


class _JpegPollCapture(_HttpCapture):
    def __init__(self, checked: CheckedUrl, source: SourceConfig, stop: threading.Event) -> None:
        super().__init__(checked, source)
        self._stop = stop
        self._next = time.monotonic()
        self._jpeg = b""
        self.expected_fps = 1.0 / source.poll_interval
        self._fetch()  # the first image proves the source works before "connected"
        self._pending = True

    def grab(self) -> _Grab:
        if self._pending:
            self._pending = False
        else:
            self._stop.wait(max(0.0, self._next - time.monotonic()))
            if self._stop.is_set():
                raise StreamError("stopped")
            self._fetch()
        return _Grab(time.monotonic(), len(self._jpeg), _jpeg_plausible(self._jpeg))

    def retrieve(self) -> Pixels | None:
        return _decode_jpeg(self._jpeg)

    def _fetch(self) -> None:
        self._next = time.monotonic() + self._source.poll_interval
        response = self._get()
        try:
            length = int(response.getheader("Content-Length") or -1)
            if length > MAX_JPEG_BYTES:
                raise StreamError("image too large")
            data = response.read(MAX_JPEG_BYTES + 1)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            self.close()
            raise StreamError(f"image read failed: {_describe(exc)}") from None
        if len(data) > MAX_JPEG_BYTES or (length >= 0 and len(data) != length):
            self.close()
            raise StreamError("image truncated or too large")
        if response.will_close:
            self.close()
        self._jpeg = data


def _boundary(content_type: str) -> bytes | None:
    media, _, params = content_type.partition(";")
    if media.strip().lower() != "multipart/x-mixed-replace":
        return None
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.lower() == "boundary" and value:
            value = value.strip('"')
            # Some cameras put the leading dashes in the header, others only in the body.
            return b"--" + value.removeprefix("--").encode("latin-1")
    return None


def _jpeg_plausible(data: bytes) -> bool:
    """A cheap check that the bytes are a JPEG of a sane size, without decoding it."""
    size = _jpeg_size(data)
    return size is not None and 0 < size[0] * size[1] <= MAX_PIXELS


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    if not data.startswith(b"\xff\xd8"):
        return None
    index = 2
    limit = min(len(data), 65536)
    while index + 9 <= limit:
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        if marker == 0xFF:
            index += 1
            continue
        length = int.from_bytes(data[index + 2 : index + 4], "big")
        # SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC), carry the frame size.
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height = int.from_bytes(data[index + 5 : index + 7], "big")
            width = int.from_bytes(data[index + 7 : index + 9], "big")
            return width, height
        index += 2 + length
    return None


def _decode_jpeg(data: bytes) -> BgrPixels | None:
    if not _jpeg_plausible(data):
        return None
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return BgrPixels(image) if image is not None else None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    return exc.__class__.__name__ + (f": {exc}" if str(exc) else "")
