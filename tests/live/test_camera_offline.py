"""A camera that stalls or refuses reaches the operator's wall as an offline alert: the
simulator's fault, the real watcher and reader, the alerts core and the wall's websocket.
(How soon, with the default settings, is bench.offline_bench's figure.)"""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
from asgiref.sync import sync_to_async

from apps.alerts.models import Alert
from apps.cameras.models import CameraHealth
from apps.camsim import CameraSpec, Simulator
from apps.camsim.scene import SceneState
from apps.streams.leases import DatabaseLeases
from apps.streams.watcher import Watcher
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def simulator():
    with Simulator([CameraSpec("gate", 640, 360, 10.0, 800_000, SceneState(), seed=1)]) as sim:
        yield sim


async def _until(condition, timeout: float, what: str):
    """Ask `condition` (a coroutine function) until it answers, within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (answer := await condition()):
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} not met within {timeout} s")
        await asyncio.sleep(0.1)
    return answer


@pytest.mark.parametrize("fault", ["stall", "refuse"])
@pytest.mark.parametrize("kind", ["rtsp", "mjpeg"])
def test_a_stalled_or_refusing_camera_is_an_offline_alert_on_the_operators_wall(
        live_world, connect, simulator, settings, kind, fault):
    settings.CAMERA_OFFLINE_ALERT_AFTER = 4.0  # a short grace: the test waits less
    camera = live_world.gate
    camera.source_kind, camera.url = kind, simulator.urls("gate")[kind]
    camera.save(update_fields=["source_kind", "url"])
    operator = live_world.a.users["operator"]
    watcher = Watcher(camera.pk, store=DatabaseLeases(), holder="test")

    def online() -> bool:
        return CameraHealth.objects.filter(camera=camera, state="online").exists()

    async def scenario():
        wall, connected = await connect(operator)
        assert connected
        # On an executor thread the watcher's websocket messages go through this loop's
        # in-memory channel layer, as they would through Redis from a streams worker.
        watching = asyncio.ensure_future(sync_to_async(watcher.run, thread_sensitive=False)())
        try:
            await _until(sync_to_async(online), 30, "the camera online")
            simulator.control("gate", fault)

            async def offline_alert():
                # (A receive that times out would end the socket: look first, then take.)
                if await wall.receive_nothing(timeout=0.5):
                    return None
                message = json.loads(await wall.receive_from())
                return message if message.get("kind") == "camera_offline" else None

            alert = await _until(offline_alert, 30, "the offline alert on the wall")
            assert alert["type"] == "alert" and alert["state"] == "open"
            assert alert["camera_id"] == camera.pk and alert["severity"] >= 3
        finally:
            simulator.control("gate", "restore")
            watcher.stop_event.set()
            await watching
            await wall.disconnect()

    asyncio.run(scenario())


def test_a_dropped_connection_back_within_the_grace_raises_nothing(live_world, simulator):
    """With the default grace, a camera that drops its connection and answers the reconnection
    is never alerted (the grace counts from the last frame, and the reader is back in a
    second or two)."""
    camera = live_world.gate
    camera.url = simulator.urls("gate")["mjpeg"]
    camera.save(update_fields=["url"])
    watcher = Watcher(camera.pk, store=DatabaseLeases(), holder="test")
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: CameraHealth.objects.filter(camera=camera, state="online").exists(),
                   30, what="the camera online")
        simulator.control("gate", "drop")
        wait_until(lambda: CameraHealth.objects.filter(
            camera=camera, state="online", reconnects__gte=1).exists(), 30,
            what="the camera online again after a reconnection")
        assert not Alert.objects.filter(camera=camera, kind="camera_offline").exists()
    finally:
        watcher.stop_event.set()
        thread.join(timeout=15)
