"""HTTP(S) sources: MJPEG streams and JPEG snapshots polled at an interval, connected to the
checked address, with Basic or Digest authentication."""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import cv2
import numpy as np

from apps.core.netguard import CheckedUrl
from apps.vision.frames import BgrPixels, Pixels
from apps.vision.httpauth import AuthError, Authorizer, pick_challenge
from apps.vision.source import Grab, SourceConfig, StreamError

if TYPE_CHECKING:
    from apps.vision.recorder import RecordingTap

MAX_JPEG_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 4096 * 4096


class HttpCapture:
    """Common part of the HTTP sources: connecting to the checked address, authentication."""

    def __init__(self, checked: CheckedUrl, source: SourceConfig, *,
                 tap: RecordingTap | None = None) -> None:
        self._checked = checked
        self._source = source
        self._tap = tap
        self._conn: http.client.HTTPConnection | None = None
        self._sock: socket.socket | None = None
        self._response: http.client.HTTPResponse | None = None
        self._authorizer: Authorizer | None = None
        self.expected_fps: float | None = None

    def _recorded(self, data: bytes, plausible: bool) -> bool:
        """Hand a received JPEG to the recording, as received (it encodes them itself)."""
        if self._tap is not None and plausible:
            self._tap.jpeg(data, datetime.now(UTC))
        return plausible

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


class MjpegCapture(HttpCapture):
    def __init__(self, checked: CheckedUrl, source: SourceConfig, *,
                 tap: RecordingTap | None = None) -> None:
        super().__init__(checked, source, tap=tap)
        self._stream = self._get()
        boundary = _boundary(self._stream.getheader("Content-Type", ""))
        if boundary is None:
            self.close()
            raise StreamError("not an MJPEG stream (no multipart boundary)")
        self._boundary = boundary
        self._jpeg = b""
        self._at_part = False

    def grab(self) -> Grab:
        try:
            size, self._jpeg = self._read_part()
        except (OSError, http.client.HTTPException) as exc:
            raise StreamError(f"stream read failed: {_describe(exc)}") from None
        return Grab(time.monotonic(), size,
                    self._recorded(self._jpeg, _jpeg_plausible(self._jpeg)))

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


class JpegPollCapture(HttpCapture):
    def __init__(self, checked: CheckedUrl, source: SourceConfig, stop: threading.Event, *,
                 tap: RecordingTap | None = None) -> None:
        super().__init__(checked, source, tap=tap)
        self._stop = stop
        self._next = time.monotonic()
        self._jpeg = b""
        self.expected_fps = 1.0 / source.poll_interval
        self._fetch()  # the first image proves the source works before "connected"
        self._pending = True

    def grab(self) -> Grab:
        if self._pending:
            self._pending = False
        else:
            self._stop.wait(max(0.0, self._next - time.monotonic()))
            if self._stop.is_set():
                raise StreamError("stopped")
            self._fetch()
        return Grab(time.monotonic(), len(self._jpeg),
                    self._recorded(self._jpeg, _jpeg_plausible(self._jpeg)))

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
