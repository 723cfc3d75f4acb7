"""One simulated camera: renders frames at its frame rate and fans them out to its clients.

Frames are rendered and encoded once per camera (JPEG for MJPEG clients, H.264 for RTSP
clients) and only while someone watches; each client has a small queue, and a client that
falls behind loses frames rather than growing memory.
"""

from __future__ import annotations

import enum
import os
import queue
import threading
import time
from dataclasses import dataclass, field, fields, replace
from datetime import datetime

import cv2
import numpy as np

from apps.camsim.auth import Credentials
from apps.camsim.busy import Busy
from apps.camsim.h264 import (
    H264Encoder,
    Packetizer,
    is_keyframe,
    parameter_sets,
)
from apps.camsim.scene import SceneRenderer, SceneState

JPEG_QUALITY = 80
FLOOD_FACTOR = 10
QUEUE_SIZE = 8


class Fault(enum.StrEnum):
    NONE = "none"
    STALL = "stall"  # connections stay open, nothing is sent; new ones get no answer
    GARBAGE = "garbage"  # random bytes instead of pictures
    REFUSE = "refuse"  # 503 to every request, open connections closed
    FLOOD = "flood"  # ten times the frame rate


_SCENE_ACTIONS: dict[str, tuple[str, bool | Busy | None]] = {
    "day": ("night", False),
    "night": ("night", True),
    "person": ("person", True),
    "empty": ("person", False),
    "cover": ("covered", True),
    "uncover": ("covered", False),
    "shift": ("shifted", True),
    "unshift": ("shifted", False),
    "blur": ("blurred", True),
    "focus": ("blurred", False),
    "freeze": ("frozen", True),
    "unfreeze": ("frozen", False),
    "lights-on": ("lights", True),
    "lights-off": ("lights", False),
    **{busy.value: ("busy", busy) for busy in Busy},
    "calm": ("busy", None),
}
_FAULT_ACTIONS = {fault.value: fault for fault in Fault if fault != Fault.NONE}
_ONE_SHOT = {"drop": False, "drop-mid-frame": True}
ACTIONS = tuple(sorted([*_SCENE_ACTIONS, *_FAULT_ACTIONS, *_ONE_SHOT, "restore", "normal"]))


@dataclass(frozen=True)
class CameraSpec:
    name: str
    width: int = 1280
    height: int = 720
    fps: float = 15.0
    bitrate: int = 2_000_000
    scene: SceneState = field(default_factory=SceneState)
    username: str = field(default="", repr=False)
    password: str = field(default="", repr=False)
    auth_scheme: str = "digest"
    seed: int = 1
    keyint: int = 0  # frames from one keyframe to the next; 0: one a second


@dataclass(frozen=True)
class Drop:
    """Told to a client: close the connection now (optionally in the middle of a frame)."""

    mid_frame: bool


@dataclass(frozen=True)
class AccessUnit:
    packets: list[bytes]
    keyframe: bool


class Subscription:
    def __init__(self, kind: str) -> None:
        self.kind = kind  # "jpeg" or "h264"
        self._queue: queue.Queue[bytes | AccessUnit | Drop] = queue.Queue(QUEUE_SIZE)
        self._need_key = kind == "h264"

    def get(self, timeout: float) -> bytes | AccessUnit | Drop | None:
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def offer(self, item: bytes | AccessUnit) -> None:
        if isinstance(item, AccessUnit):
            if self._need_key and not item.keyframe:
                return  # a decoder can only start at a keyframe
            self._need_key = False
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self._clear()
            # H.264 frames depend on the ones before: after a gap, wait for a keyframe.
            self._need_key = self.kind == "h264"

    def drop(self, mid_frame: bool) -> None:
        self._clear()
        self._queue.put_nowait(Drop(mid_frame))

    def _clear(self) -> None:
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return


class SimCamera:
    def __init__(self, spec: CameraSpec) -> None:
        self.spec = spec
        self.state = replace(spec.scene)
        self.fault = Fault.NONE
        self.credentials = (
            Credentials(spec.username, spec.password, spec.auth_scheme)
            if spec.username or spec.password
            else None
        )
        self._renderer = SceneRenderer(spec.width, spec.height, spec.name, spec.seed)
        self._render_lock = threading.Lock()
        self._lock = threading.Lock()
        self._subscriptions: set[Subscription] = set()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = time.monotonic()
        self._latest: tuple[float, np.ndarray] | None = None
        self._encoder: H264Encoder | None = None
        self._packetizer = Packetizer(int.from_bytes(os.urandom(4), "big"),
                                      int.from_bytes(os.urandom(2), "big"))
        self._parameter_sets: tuple[bytes, bytes] | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"sim-{self.spec.name}",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        with self._lock:
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            subscription.drop(mid_frame=False)
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def subscribe(self, kind: str) -> Subscription:
        subscription = Subscription(kind)
        with self._lock:
            self._subscriptions.add(subscription)
        self._wake.set()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

    @property
    def client_count(self) -> int:
        """Connected readers of this camera (tests use it to prove one watcher per camera)."""
        with self._lock:
            return len(self._subscriptions)

    def control(self, action: str) -> None:
        """Apply one of ACTIONS; raises KeyError for an unknown one."""
        self._latest = None  # a snapshot taken after this call must show the change
        if action in _SCENE_ACTIONS:
            name, value = _SCENE_ACTIONS[action]
            setattr(self.state, name, value)
        elif action in _FAULT_ACTIONS:
            self.fault = _FAULT_ACTIONS[action]
            if self.fault == Fault.REFUSE:
                self._drop_all(mid_frame=False)
        elif action in _ONE_SHOT:
            self._drop_all(_ONE_SHOT[action])
        elif action == "restore":
            self.fault = Fault.NONE
        elif action == "normal":
            self.fault = Fault.NONE
            for item in fields(SceneState):
                setattr(self.state, item.name, getattr(self.spec.scene, item.name))
        else:
            raise KeyError(action)

    def status(self) -> dict[str, object]:
        scene = {item.name: getattr(self.state, item.name) for item in fields(SceneState)}
        return {"camera": self.spec.name, "fault": self.fault.value, "scene": scene}

    def snapshot_jpeg(self) -> bytes:
        if self.fault == Fault.GARBAGE:
            return os.urandom(20_000)
        latest = self._latest
        if latest is not None and time.monotonic() - latest[0] < 2.0 / self.spec.fps:
            frame = latest[1]
        else:
            frame = self._render()
        return _jpeg(frame)

    def parameter_sets(self) -> tuple[bytes, bytes]:
        """SPS and PPS for the SDP, from a throwaway encoder with the same settings."""
        with self._render_lock:
            if self._parameter_sets is None:
                spec = self.spec
                encoder = H264Encoder(spec.width, spec.height, spec.fps, spec.bitrate,
                                      keyint=spec.keyint)
                blank = np.zeros((spec.height, spec.width, 3), np.uint8)
                found = parameter_sets(encoder.encode(blank, keyframe=True))
                if found is None:
                    raise RuntimeError("encoder produced no SPS/PPS")
                self._parameter_sets = found
            return self._parameter_sets

    def _drop_all(self, mid_frame: bool) -> None:
        with self._lock:
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            subscription.drop(mid_frame)

    def _render(self) -> np.ndarray:
        with self._render_lock:
            now = time.monotonic()
            frame = self._renderer.render(self.state, now - self._started, datetime.now())
            self._latest = (now, frame)
            return frame

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            with self._lock:
                subscriptions = list(self._subscriptions)
            if not subscriptions:
                self._wake.wait(0.5)
                self._wake.clear()
                next_at = time.monotonic()
                continue
            period = 1.0 / (self.spec.fps * (FLOOD_FACTOR if self.fault == Fault.FLOOD else 1))
            delay = next_at - time.monotonic()
            if delay > 0 and self._stop.wait(delay):
                return
            # Never burst to catch up after a slow frame: a camera just sends the next one.
            next_at = max(next_at + period, time.monotonic() - period)
            frame = self._render()
            if self.fault == Fault.STALL:
                continue
            self._publish(frame, subscriptions)

    def _publish(self, frame: np.ndarray, subscriptions: list[Subscription]) -> None:
        garbage = self.fault == Fault.GARBAGE
        jpeg_clients = [s for s in subscriptions if s.kind == "jpeg"]
        h264_clients = [s for s in subscriptions if s.kind == "h264"]
        if jpeg_clients:
            data = os.urandom(20_000) if garbage else _jpeg(frame)
            for subscription in jpeg_clients:
                subscription.offer(data)
        if h264_clients:
            if self._encoder is None:
                spec = self.spec
                self._encoder = H264Encoder(spec.width, spec.height, spec.fps,
                                            spec.bitrate, keyint=spec.keyint)
            nals = self._encoder.encode(frame)
            keyframe = is_keyframe(nals)
            if garbage:
                nals = [os.urandom(len(nal)) for nal in nals]
            timestamp = round((time.monotonic() - self._started) * 90_000)
            unit = AccessUnit(self._packetizer.packets(nals, timestamp), keyframe)
            for subscription in h264_clients:
                subscription.offer(unit)


def _jpeg(frame: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return data.tobytes()
