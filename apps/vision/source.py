"""What a stream reader reads and reports: the source, its health, the capture interface
every kind of source implements (apps.vision.videocapture, apps.vision.httpcapture)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import quote

from apps.vision.frames import Pixels


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
    keyframe_interval: float | None = None  # seconds, measured on video streams


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


class EndOfStream(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Grab:
    stream_time: float
    nbytes: int | None
    plausible: bool
    # False for a frame received and left undecoded (keyframe-only decoding): nothing to
    # retrieve, but the stream is alive.
    decoded: bool = True


class Capture(Protocol):
    expected_fps: float | None

    def grab(self) -> Grab: ...

    def retrieve(self) -> Pixels | None: ...

    def bitrate(self) -> float | None: ...

    def close(self) -> None: ...
