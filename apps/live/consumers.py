"""The live websocket: camera snapshots and alerts for one signed-in person.

Protocol (client → server, JSON text frames of at most 4 KiB):
  {"action": "subscribe", "cameras": [1, 2]}   {"action": "unsubscribe", "cameras": [2]}
  {"action": "subscribe", "cameras": [1], "passthrough": true}   (video where allowed)
  {"action": "passthrough", "cameras": [1]}   {"action": "snapshots", "cameras": [1]}
  {"action": "ack", "camera": 1}   (a frame was shown: the next may come)
  {"action": "ping"}
Server → client: JSON text ({"type": "subscribed" | "passthrough" | "video" | "error" |
"revoked" | "alert" | "status" | "pong", ...}) and binary messages: 4-byte camera id, 8-byte
capture time (epoch seconds, big-endian double), then either a JPEG snapshot (it starts with
FF D8) or fragmented MP4 of the camera's own video (an MP4 box: `ftyp`, the init segment
followed by a media fragment, or `moof`, a media fragment).

Passthrough (the camera's H.264 to the browser's Media Source Extensions, no decoding on the
server: apps.vision.livemux) is granted per camera only where the access policy says no
privacy mask applies to the viewer ({"type": "passthrough", "camera": 1, "granted": bool});
elsewhere the viewer keeps masked snapshots. A granted camera's video starts at its next
keyframe, announced by {"type": "video", "camera": 1, "codec": "avc1.64001F"} and sent with
the init segment; fragments are not acknowledged (each depends on the previous ones), and
one that is late by MAX_FRAME_AGE is skipped with the rest of its group of pictures. Every
re-check asks about passthrough again: a mask drawn, a share revoked or a camera turned
inward downgrades the viewer to snapshots ({"type": "passthrough", "granted": false}) before
any further fragment goes out.

Every subscription is decided by the access policy; the client never names a group. Frames
reach the socket through this process's camera hub (apps.live.hub) and are newest-wins per
camera: the next frame goes out only after the client acknowledged the
previous one (or 5 s passed), and nothing older than 2 s is ever sent. Access is re-checked
when a revocation event arrives, when a share, region grant or operation runs out (no event
announces that: the socket keeps the earliest such moment of its cameras, checks it before
every frame without a database question, and sets a timer for it), every 30 s, and the socket
closes when the session ends."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import struct
import time
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from apps.core.push import user_group
from apps.live import access, limits
from apps.live.hub import hub, read_epoch
from apps.streams.livestate import Need, mark_live

logger = logging.getLogger(__name__)

MAX_FRAME_AGE = 2.0
ACK_TIMEOUT = 5.0
# Revocations reach sockets at once (the epoch and the access.changed message) and expiries
# at their moment (`lapses_at`); the timed re-check catches what neither announces, such as
# a session that simply expired.
RECHECK_SECONDS = 30.0
# The lapse timer fires this long after the moment, so the policy's "valid until" (exclusive)
# has certainly passed when it asks.
LAPSE_MARGIN = 0.05
LIVE_RENEW_SECONDS = 5.0
FRAME_HEADER = struct.Struct(">Id")

_spread = secrets.SystemRandom()

CLOSE_UNAUTHORISED = 4401
CLOSE_BAD_MESSAGE = 4400
CLOSE_TOO_MANY = 4429


@dataclass
class _Video:
    """A camera one socket watches by passthrough."""

    init: bytes | None = None  # the init segment sent; None until its video started
    waiting: bool = True  # for a keyframe: not started yet, or a late fragment was skipped


class LiveConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.user = None
        self.counted = False
        self.allowed: set[int] = set()
        self.views: dict[int, int] = {}
        self.pending: dict[int, tuple[float, bytes]] = {}
        self.awaiting_ack: dict[int, float] = {}
        self.video: dict[int, _Video] = {}  # cameras watched by passthrough
        self.checked_at = 0.0
        self.lapses_at: float | None = None  # epoch seconds: see _set_lapse
        self.lapse_timer: asyncio.TimerHandle | None = None
        self.epoch = 0
        self.recheck_lock = asyncio.Lock()
        self.closing = False
        self.bucket = limits.TokenBucket()
        self.violations = 0
        self.background: asyncio.Task | None = None
        session = self.scope.get("session")
        self.session_key = session.session_key if session is not None else None
        user = await database_sync_to_async(access.current_user)(self.session_key)
        if user is None:
            await self.close()  # before accept: the handshake is refused (HTTP 403)
            return
        if not await database_sync_to_async(limits.socket_opened)(user.pk):
            await self.close()
            return
        self.user, self.counted = user, True
        self.epoch = await read_epoch()
        await self.channel_layer.group_add(user_group(user.pk), self.channel_name)
        await self.accept()
        self.background = asyncio.ensure_future(self._keep_alive())

    async def disconnect(self, code) -> None:
        if self.background is not None:
            self.background.cancel()
        self._set_lapse(None)
        if self.user is None:
            return
        for camera_id in list(self.allowed):
            await hub().leave(camera_id, self)
        await self.channel_layer.group_discard(user_group(self.user.pk), self.channel_name)
        if self.views:
            await database_sync_to_async(access.end_views)(list(self.views.values()))
        if self.counted:
            await database_sync_to_async(limits.socket_closed)(self.user.pk)

    # -- client messages --------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if self.user is None:
            return
        if bytes_data is not None or text_data is None:
            await self._limited(self._reject("binary_not_accepted"))
            return
        if len(text_data.encode()) > limits.MAX_TEXT_BYTES:
            await self._limited(self._reject("too_large"))
            return
        try:
            message = json.loads(text_data)
        except (ValueError, RecursionError):
            await self._limited(self._reject("malformed"))
            return
        if not isinstance(message, dict) or not isinstance(message.get("action"), str):
            await self._limited(self._reject("malformed"))
            return
        if message["action"] == "ack" and message.get("camera") in self.awaiting_ack:
            # Acks answer frames the server chose to send: they are paced by the server,
            # so they do not spend the client's message budget.
            await self._ack(message)
            return
        handler = {
            "subscribe": self._subscribe, "unsubscribe": self._unsubscribe,
            "passthrough": self._passthrough, "snapshots": self._snapshots,
            "ack": self._ack, "ping": self._ping,
        }.get(message["action"])
        if handler is None:
            await self._limited(self._error("unknown_action"))
            return
        await self._limited(handler(message))

    async def _limited(self, work) -> None:
        """Run `work` within the per-socket message budget; sustained abuse closes."""
        if self.bucket.take():
            await work
            return
        work.close()
        self.violations += 1
        await self._error("rate_limited")
        if self.violations >= limits.VIOLATIONS_BEFORE_CLOSE:
            await self.close(code=CLOSE_TOO_MANY)

    async def _reject(self, code: str) -> None:
        self.violations += 1
        await self._error(code)
        if self.violations >= limits.VIOLATIONS_BEFORE_CLOSE:
            await self.close(code=CLOSE_BAD_MESSAGE)

    @staticmethod
    def _camera_ids(message: dict) -> list[int] | None:
        ids = message.get("cameras")
        if not isinstance(ids, list) or len(ids) > limits.MAX_SUBSCRIPTIONS:
            return None
        if not all(isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2**63
                   for i in ids):
            return None
        return ids

    async def _subscribe(self, message: dict) -> None:
        ids = self._camera_ids(message)
        if ids is None:
            await self._reject("malformed")
            return
        wanted = [i for i in ids if i not in self.allowed]
        if len(self.allowed) + len(wanted) > limits.MAX_SUBSCRIPTIONS:
            await self._error("too_many_cameras")
            return
        permitted, lapses_at = await database_sync_to_async(access.viewable_until)(
            self.user, wanted)
        address = (self.scope.get("client") or [None])[0]
        agent = dict(self.scope.get("headers", [])).get(b"user-agent", b"").decode("latin-1")
        granted = [i for i in wanted if i in permitted]
        for camera_id in wanted:
            if camera_id not in permitted:
                # Same answer for "forbidden" and "does not exist": nothing to enumerate.
                logger.info("live subscription refused: user %s camera %s",
                            self.user.pk, camera_id)
                await self._send_json({"type": "error", "code": "denied", "camera": camera_id})
        video: set[int] = set()
        if granted and message.get("passthrough") is True:
            video = await database_sync_to_async(access.passthrough_allowed)(
                self.user, granted)
        if granted:
            self.views.update(await database_sync_to_async(access.start_views)(
                self.user, granted, address, agent))
            await self._mark(granted, video)
        if lapses_at is not None and (self.lapses_at is None or lapses_at < self.lapses_at):
            self._set_lapse(lapses_at)
        for camera_id in granted:
            self.allowed.add(camera_id)
            if camera_id in video:
                self.video[camera_id] = _Video()
            await hub().join(camera_id, self)
            await self._send_json({"type": "subscribed", "camera": camera_id})
            if message.get("passthrough") is True:
                await self._send_json({"type": "passthrough", "camera": camera_id,
                                       "granted": camera_id in video})
        # Walls open together (a shift change, a reconnect after a Redis restart) and would
        # re-check together: a random phase spreads those database questions over time.
        self.checked_at = time.monotonic() - _spread.uniform(0, RECHECK_SECONDS / 2)

    async def _unsubscribe(self, message: dict) -> None:
        ids = self._camera_ids(message)
        if ids is None:
            await self._reject("malformed")
            return
        await self._drop(set(ids) & self.allowed)

    async def _passthrough(self, message: dict) -> None:
        ids = self._camera_ids(message)
        if ids is None:
            await self._reject("malformed")
            return
        wanted = [i for i in ids if i in self.allowed and i not in self.video]
        video = await database_sync_to_async(access.passthrough_allowed)(self.user, wanted)
        await self._mark(video, video)
        for camera_id in wanted:
            if camera_id in video:
                self.video[camera_id] = _Video()
            await self._send_json({"type": "passthrough", "camera": camera_id,
                                   "granted": camera_id in video})

    async def _snapshots(self, message: dict) -> None:
        """Back to snapshots (the browser cannot play the camera's codec)."""
        ids = self._camera_ids(message)
        if ids is None:
            await self._reject("malformed")
            return
        await self._downgrade(set(ids) & set(self.video))

    async def _ack(self, message: dict) -> None:
        camera_id = message.get("camera")
        if isinstance(camera_id, int):
            self.awaiting_ack.pop(camera_id, None)
            await self._flush(camera_id)

    async def _ping(self, message: dict) -> None:
        await self._send_json({"type": "pong"})

    # -- from the camera hub (camera groups) and the channel layer (the user group) ---------

    async def deliver_frame(self, event: dict) -> None:
        camera_id = event.get("camera")
        if camera_id not in self.allowed:
            return  # queued before an unsubscribe or a revocation: never delivered
        video = self.video.get(camera_id)
        if video is not None and video.init is not None:
            return  # its video plays: snapshots only until it starts
        self.pending[camera_id] = (event["at"], event["jpeg"])
        await self._flush(camera_id)

    async def deliver_video(self, event: dict) -> None:
        camera_id = event.get("camera")
        video = self.video.get(camera_id)
        if camera_id not in self.allowed or video is None:
            return
        init = event.get("init")
        if time.time() - event["at"] > MAX_FRAME_AGE:
            # The rest of this group of pictures cannot play without it: on from the next.
            video.waiting = True
            return
        if video.waiting and init is None:
            return  # a viewer begins (and a late one resumes) at a keyframe
        # The same checks as a snapshot's: a revocation or a mask drawn is acted on first.
        if not await self._may_send(camera_id) or self.video.get(camera_id) is not video:
            return
        payload = event["fragment"]
        if init is not None and init != video.init:
            # A new stream configuration (first keyframe, reconnected camera): the client
            # checks the codec and starts a new source buffer with this init segment.
            await self._send_json({"type": "video", "camera": camera_id,
                                   "codec": event.get("codec") or ""})
            payload = init + payload
            video.init = init
        video.waiting = False
        await self.send(bytes_data=FRAME_HEADER.pack(camera_id, event["at"]) + payload)

    async def deliver_status(self, event: dict) -> None:
        if event.get("camera") in self.allowed:
            await self._send_json({k: v for k, v in event.items() if k != "type"}
                                  | {"type": "status"})

    async def alert_event(self, event: dict) -> None:
        await self._send_json({k: v for k, v in event.items() if k != "type"}
                              | {"type": "alert"})

    async def access_changed(self, event: dict) -> None:
        await self._recheck()

    async def session_revoked(self, event: dict) -> None:
        self.closing = True
        await self.close(code=CLOSE_UNAUTHORISED)

    # -- internals --------------------------------------------------------------------------

    def _showing_previous(self, camera_id: int) -> bool:
        sent_at = self.awaiting_ack.get(camera_id)
        return sent_at is not None and time.monotonic() - sent_at < ACK_TIMEOUT

    async def _may_send(self, camera_id: int) -> bool:
        """Before anything of a camera goes out: a revocation or an expiry since the last
        check is acted on first."""
        current_epoch = await read_epoch()
        if current_epoch != self.epoch:
            await self._recheck(current_epoch)
        if self._lapsed():
            await self._recheck(lapsed=True)
        return not self.closing and camera_id in self.allowed

    async def _flush(self, camera_id: int) -> None:
        if camera_id not in self.pending or self._showing_previous(camera_id):
            return  # the viewer is still showing the previous frame: keep only the newest
        # A frame kept while the viewer showed the previous one may predate a revocation.
        # The hub and the socket's own messages both flush: look again after any wait.
        if not await self._may_send(camera_id) or self._showing_previous(camera_id):
            return
        entry = self.pending.pop(camera_id, None)
        if entry is None:
            return
        taken_at, jpeg = entry
        if time.time() - taken_at > MAX_FRAME_AGE:
            return
        self.awaiting_ack[camera_id] = time.monotonic()
        await self.send(bytes_data=FRAME_HEADER.pack(camera_id, taken_at) + jpeg)

    def _lapsed(self) -> bool:
        return self.lapses_at is not None and time.time() >= self.lapses_at

    def _set_lapse(self, lapses_at: float | None) -> None:
        """Remember when access may next run out, and ask the policy again at that moment
        even if no frame comes (the client then hears "revoked")."""
        if self.lapse_timer is not None:
            self.lapse_timer.cancel()
            self.lapse_timer = None
        self.lapses_at = lapses_at
        if lapses_at is not None:
            delay = max(0.0, lapses_at - time.time()) + LAPSE_MARGIN
            self.lapse_timer = asyncio.get_running_loop().call_later(
                delay, lambda: asyncio.ensure_future(self._recheck(lapsed=True)))

    async def _recheck(self, current_epoch: int | None = None, lapsed: bool = False) -> None:
        """Ask the policy again. The epoch is recorded only once the answer is applied, and
        one check runs at a time: a frame flushed meanwhile waits for it instead of passing
        on an epoch that was read but not yet acted on."""
        async with self.recheck_lock:
            if self.closing:
                return
            if lapsed and not self._lapsed():
                # Another check acted on this expiry while we waited, or the timer (on the
                # loop's clock) fired a moment before the wall clock got there: keep watching.
                self._set_lapse(self.lapses_at)
                return
            if current_epoch is None:
                current_epoch = await read_epoch()
            elif current_epoch == self.epoch:
                return  # another check applied this epoch while we waited
            self.checked_at = time.monotonic()
            user = await database_sync_to_async(access.current_user)(self.session_key)
            if user is None or user.pk != self.user.pk:
                self.closing = True
                await self.close(code=CLOSE_UNAUTHORISED)
                return
            self.user = user
            still, lapses_at = await database_sync_to_async(access.viewable_until)(
                user, self.allowed)
            self._set_lapse(lapses_at)
            lost = self.allowed - still
            if lost:
                await self._drop(lost, revoked=True)
            if self.video:
                unmasked = await database_sync_to_async(access.passthrough_allowed)(
                    user, set(self.video))
                await self._downgrade(set(self.video) - unmasked)
            self.epoch = current_epoch

    async def _downgrade(self, camera_ids: set[int]) -> None:
        """From passthrough to masked snapshots, at once."""
        if not camera_ids:
            return
        for camera_id in camera_ids:
            self.video.pop(camera_id, None)
            await self._send_json({"type": "passthrough", "camera": camera_id,
                                   "granted": False})
        try:
            await self._mark(camera_ids, set())
        except Exception:  # noqa: BLE001 - the next renewal marks them
            logger.debug("live marks of %s cameras failed", len(camera_ids))

    async def _mark(self, camera_ids, video) -> None:
        """Renew the demand: pictures for the cameras watched by snapshots, packets for those
        watched by passthrough (which raise no decoding)."""
        pictures = [i for i in camera_ids if i not in video]
        mark = sync_to_async(mark_live, thread_sensitive=False)
        if pictures:
            await mark(pictures)
        if video:
            await mark(list(video), need=Need.PACKETS)

    async def _drop(self, camera_ids: set[int], revoked: bool = False) -> None:
        for camera_id in camera_ids:
            self.allowed.discard(camera_id)
            self.video.pop(camera_id, None)
            self.pending.pop(camera_id, None)
            self.awaiting_ack.pop(camera_id, None)
            await hub().leave(camera_id, self)
            if revoked:
                await self._send_json({"type": "revoked", "camera": camera_id})
        ended = [self.views.pop(c) for c in camera_ids if c in self.views]
        if ended:
            await database_sync_to_async(access.end_views)(ended)

    async def _keep_alive(self) -> None:
        """Renew the live marks (watchers send at the live rate) and re-check access even
        when no frame arrives."""
        try:
            delay = _spread.uniform(0, LIVE_RENEW_SECONDS)  # sockets opened together spread
            while True:
                await asyncio.sleep(delay)
                delay = LIVE_RENEW_SECONDS
                if time.monotonic() - self.checked_at >= RECHECK_SECONDS:
                    await self._recheck()
                if self.allowed:
                    try:
                        await self._mark(self.allowed, set(self.video))
                    except Exception:  # noqa: BLE001 - idle rate until Redis is back
                        logger.debug("live marks of %s cameras failed", len(self.allowed))
        except asyncio.CancelledError:
            pass

    async def _error(self, code: str) -> None:
        await self._send_json({"type": "error", "code": code})

    async def _send_json(self, payload: dict) -> None:
        await self.send(text_data=json.dumps(payload))
