"""The only way anything reaches a websocket: group names, message shapes, and sending.

Groups are chosen by the server, never by a client: `user.<id>` holds one person's sockets
(alerts, "access changed", "session revoked"); `camera.<id>` holds the camera hubs of the
processes that have viewers of that camera (frames, status, "access changed";
apps.live.hub). The channel layer is at-most-once and best-effort: a failed send is logged
and never fails the work that caused it, because every receiver recovers on its own (a
reconnecting page fetches missed alerts, sockets re-check access periodically, frames are
superseded within a second).

Changes recorded in a transaction are told after it commits (`*_on_commit`): a rolled-back
change is never announced, and a socket that re-checks on the message sees the committed
state. Frames, and the status the watchers read from the stream, go at once: nothing is
recorded with them."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Literal, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


# --- groups -----------------------------------------------------------------------------------


def user_group(user_id: int) -> str:
    return f"user.{int(user_id)}"


def camera_group(camera_id: int) -> str:
    return f"camera.{int(camera_id)}"


# --- message shapes (the `type` names the consumer's or hub's handler) -------------------------


class CameraFrame(TypedDict):
    type: Literal["camera.frame"]
    camera: int
    at: float  # capture time, epoch seconds
    jpeg: bytes


class CameraVideo(TypedDict):
    """Media fragments of a camera's own video (apps.vision.livemux: a batch of consecutive
    frames), for passthrough viewers only (apps.live.consumers). A batch that starts with a
    keyframe carries the init segment and the codec: a viewer who joins late starts there."""

    type: Literal["camera.video"]
    camera: int
    at: float  # when its first packet arrived, epoch seconds
    fragment: bytes
    init: bytes | None  # on keyframe fragments only
    codec: str | None


class CameraStatus(TypedDict):
    type: Literal["camera.status"]
    camera: int
    state: str
    tamper: str
    label: str


class CameraAccessChanged(TypedDict):
    type: Literal["access.changed"]
    camera: int


class UserAccessChanged(TypedDict):
    type: Literal["access.changed"]


class SessionRevoked(TypedDict):
    type: Literal["session.revoked"]


class AlertMessage(TypedDict):
    """An alert's current state as one person may see it (apps.alerts.fanout builds it; the
    resync JSON of the alert pages has the same shape)."""

    type: Literal["alert.event"]
    seq: int
    id: int
    kind: str
    severity: int
    state: str
    title: str
    facility: str
    facility_id: int
    occurrences: int
    last_raised_at: str
    url: str
    escalated: bool
    severity_label: str
    state_label: str
    camera: str | None  # None when the alert has no camera or the viewer may not view it
    camera_id: int | None


Message = (CameraFrame | CameraVideo | CameraStatus | CameraAccessChanged | UserAccessChanged
           | SessionRevoked | AlertMessage)

# Frames and status go several times a second per camera: while the layer is down, a warning
# each would bury the log; the watcher logs the outage once in its own way.
_QUIET = frozenset({"camera.frame", "camera.video", "camera.status"})


def _send(group: str, message: Message) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # best-effort by design: see the module's docstring
        level = logging.DEBUG if message["type"] in _QUIET else logging.WARNING
        logger.log(level, "%s to %s not delivered", message["type"], group, exc_info=True)


class _StreamSender:
    """Messages sent several times a second per camera (passthrough video: a batch of
    fragments every 0.2 s), in order, from one event loop that stays (a daemon thread,
    started at the first message). `async_to_sync` runs each call on a new loop, on which
    channels-redis opens a new connection: 2 ms of CPU a message, more than decoding a
    keyframe, against 0.3-0.5 ms here (bench.decode_bench (f), on a loaded 2-core machine).
    The reader thread only queues.

    The in-process layer (embedded mode, tests) is no network client: its queues belong to
    the event loop of its receivers, which a message from this loop would not wake, so
    messages to it are sent as all others are."""

    # Messages waiting while the layer is slow or down: past this, new ones are dropped
    # (a viewer's video breaks up until a keyframe after the layer is back).
    LIMIT = 256

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[tuple[str, Message]] | None = None
        self._drainer: asyncio.Task | None = None

    def submit(self, group: str, message: Message) -> None:
        if isinstance(get_channel_layer(), InMemoryChannelLayer):
            _send(group, message)
            return
        self._started().call_soon_threadsafe(self._put, group, message)

    def _put(self, group: str, message: Message) -> None:
        if self._queue.qsize() >= self.LIMIT:
            logger.debug("%s to %s dropped: the channel layer is behind", message["type"], group)
            return
        self._queue.put_nowait((group, message))

    def _started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    self._queue = asyncio.Queue()
                    self._drainer = loop.create_task(self._drain())
                    ready.set()
                    loop.run_forever()

                threading.Thread(target=run, name="push-stream", daemon=True).start()
                ready.wait()
                self._loop = loop
            return self._loop

    async def _drain(self) -> None:
        while True:
            group, message = await self._queue.get()
            layer = get_channel_layer()
            if layer is None:
                continue
            try:
                await layer.group_send(group, message)
            except Exception:  # best-effort by design: see the module's docstring
                logger.debug("%s to %s not delivered", message["type"], group, exc_info=True)


_stream_sender = _StreamSender()


def _send_on_commit(group: str, message: Message) -> None:
    transaction.on_commit(lambda: _send(group, message))


# --- what is sent -------------------------------------------------------------------------------


def camera_frame(camera_id: int, jpeg: bytes, taken_at: float) -> None:
    _send(camera_group(camera_id), CameraFrame(
        type="camera.frame", camera=int(camera_id), at=taken_at, jpeg=jpeg))


def camera_video(camera_id: int, fragment: bytes, received: float, *,
                 init: bytes | None = None, codec: str | None = None) -> None:
    _stream_sender.submit(camera_group(camera_id), CameraVideo(
        type="camera.video", camera=int(camera_id), at=received, fragment=fragment,
        init=init, codec=codec))


def camera_status(camera_id: int, state: str, tamper: str, label: str) -> None:
    _send(camera_group(camera_id), CameraStatus(
        type="camera.status", camera=int(camera_id), state=state, tamper=tamper, label=label))


def camera_status_on_commit(camera_id: int, state: str, tamper: str, label: str) -> None:
    """A health state the watcher records (online, offline...), told once it is stored."""
    _send_on_commit(camera_group(camera_id), CameraStatus(
        type="camera.status", camera=int(camera_id), state=state, tamper=tamper, label=label))


def camera_access_changed_on_commit(camera_id: int) -> None:
    """Viewers of the camera ask the access policy again (a share, the camera or an
    operation changed)."""
    _send_on_commit(camera_group(camera_id),
                    CameraAccessChanged(type="access.changed", camera=int(camera_id)))


def user_access_changed_on_commit(user_id: int) -> None:
    """The person's sockets ask the access policy again (roles, grants, deactivation)."""
    _send_on_commit(user_group(user_id), UserAccessChanged(type="access.changed"))


def session_revoked_on_commit(user_id: int) -> None:
    """The person's sessions ended: their sockets close."""
    _send_on_commit(user_group(user_id), SessionRevoked(type="session.revoked"))


def alert_changed(user_id: int, event: AlertMessage) -> None:
    """One person's view of an alert. Called after the alert's change committed (the
    recipients and texts are read then): sent at once."""
    _send(user_group(user_id), event)
