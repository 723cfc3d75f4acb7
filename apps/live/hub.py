"""One membership per camera per Daphne process: the channel layer carries a camera's frame
once to each process that has viewers for it, and the hub hands it to the local sockets.

Without the hub every socket joined `camera.<id>` itself, so 100 viewers of 16 cameras meant
1,600 copies of a 30 KiB snapshot a second through Redis into one process, past what
channels-redis delivers before it drops messages. With it, Redis carries 16.

The hub only routes: it never decides access. A socket registers a camera after the access
policy allowed it and is dropped from the hub when it unsubscribes, loses access or
disconnects; each socket still checks the revocation epoch before it sends any frame
(`read_epoch`, without a thread hop while the value is fresh). Everything sent to a camera
group reaches the sockets: frames, passthrough video fragments, status changes and "access
changed" notices.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from typing import Protocol

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from apps.core.push import camera_group
from apps.live import epoch

logger = logging.getLogger(__name__)

# channels-redis forgets a group membership after `group_expiry` (a day by default);
# renewing well within it keeps a long-lived hub in its groups.
RENEW_SECONDS = 600.0
RETRY_SECONDS = 0.5


class Viewer(Protocol):
    async def deliver_frame(self, event: dict) -> None: ...

    async def deliver_video(self, event: dict) -> None: ...

    async def deliver_status(self, event: dict) -> None: ...

    async def access_changed(self, event: dict) -> None: ...


async def read_epoch() -> int:
    known = epoch.peek()
    if known is not None:
        return known
    try:
        return await sync_to_async(epoch.current, thread_sensitive=False)()
    except Exception:  # noqa: BLE001 - unknown epoch: viewers re-check, never assume unchanged
        return -1


class CameraHub:
    def __init__(self) -> None:
        self.layer = get_channel_layer()
        self.viewers: dict[int, set[Viewer]] = {}
        self.channel: str | None = None
        self.task: asyncio.Task | None = None
        self.renewed_at = 0.0

    async def join(self, camera_id: int, viewer: Viewer) -> None:
        viewers = self.viewers.setdefault(camera_id, set())
        viewers.add(viewer)
        if len(viewers) == 1:
            await self._group_add(camera_id)
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self._run())

    async def leave(self, camera_id: int, viewer: Viewer) -> None:
        viewers = self.viewers.get(camera_id)
        if viewers is None or viewer not in viewers:
            return
        viewers.discard(viewer)
        if viewers:
            return
        del self.viewers[camera_id]
        if self.channel is not None:
            try:
                await self.layer.group_discard(camera_group(camera_id), self.channel)
            except Exception:
                logger.debug("hub could not leave camera %s", camera_id, exc_info=True)
        if not self.viewers and self.task is not None:
            self.task.cancel()
            self.task = None

    async def _group_add(self, camera_id: int) -> None:
        if self.channel is None:
            # The default prefix: channels-redis reads all of a process's channels through one
            # list and would starve a channel named differently.
            self.channel = await self.layer.new_channel()
        await self.layer.group_add(camera_group(camera_id), self.channel)

    async def _rejoin(self) -> None:
        """After a channel-layer failure (a Redis restart forgets every group) or before the
        memberships expire: join every camera group again."""
        for camera_id in list(self.viewers):
            await self._group_add(camera_id)
        self.renewed_at = time.monotonic()

    async def _run(self) -> None:
        self.renewed_at = time.monotonic()
        failed = False
        while self.viewers:
            try:
                if failed or time.monotonic() - self.renewed_at > RENEW_SECONDS:
                    await self._rejoin()
                    if failed:
                        logger.info("live hub has the channel layer again")
                    failed = False
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - the layer comes back; retry until then
                if not failed:
                    logger.warning("live hub lost the channel layer (%s); retrying", error)
                failed = True
                await asyncio.sleep(RETRY_SECONDS)
                continue
            await self._dispatch(message)

    async def _dispatch(self, message: dict) -> None:
        viewers = list(self.viewers.get(message.get("camera"), ()))
        kind = message.get("type")
        if not viewers or kind not in ("camera.frame", "camera.video", "camera.status",
                                       "access.changed"):
            return
        for viewer in viewers:
            try:
                if kind == "camera.frame":
                    await viewer.deliver_frame(message)
                elif kind == "camera.video":
                    await viewer.deliver_video(message)
                elif kind == "camera.status":
                    await viewer.deliver_status(message)
                else:
                    await viewer.access_changed(message)
            except Exception:
                logger.warning("live hub could not deliver to a viewer", exc_info=True)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CameraHub] = (
    weakref.WeakKeyDictionary()
)


def hub() -> CameraHub:
    """This process's hub (one per event loop: Daphne has one; tests start a loop each)."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        found = _hubs[loop] = CameraHub()
    return found
