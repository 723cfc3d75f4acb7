"""A camera that stalls or refuses, with the default settings: how long until the offline
alert reaches an operator's wall.

python -m bench.offline_bench [--trials 2]

Cluster mode on loopback (private Redis, one Daphne, a temporary PostgreSQL database): the
camera simulator serves one RTSP/H.264 and one MJPEG camera, a separate process watches them
with the real watchers, and an operator's websocket (signed in past both steps) watches both
as the wall does. Each trial stalls both cameras at once (connections stay open, nothing is
sent), times each offline alert from the fault to its arrival on the socket, restores them and
waits until both stream again and their alerts are resolved; then the same with a refusal (503
to every request, open connections closed). The figure is the slowest arrival."""

from __future__ import annotations

import argparse
import asyncio
import json
import struct
import sys
import tempfile
import time
from pathlib import Path

from apps.camsim import CameraSpec, Simulator
from apps.camsim.scene import SceneState
from bench.live_bench import ScratchDatabase, report
from tests.integration.processes import Processes, cluster_env, free_port

KINDS = ("rtsp", "mjpeg")
FAULTS = {"stall": "camera_stall_offline_alert", "refuse": "camera_refused_offline_alert"}
# A fault not alerted within this long counts as a failure of the run, not a figure.
ALERT_DEADLINE = 60.0

SETUP = """
import json
from apps.accounts.models import User
from apps.cameras.models import Camera
from apps.cameras.services import share_grant
from bench.sessions import bench_world, signed_in_session
f, polres, official = bench_world()
cameras = {{}}
for kind, url in {urls}.items():
    c = Camera.objects.create(facility=f, name=f"Kamera {{kind}}", source_kind=kind, url=url,
                              orientation="outward")
    share_grant(camera=c, grantee=polres, basis="bench", by=official)
    cameras[kind] = c.pk
operator = User.objects.create(username="operator.bench", full_name="Operator", agency=polres)
operator.set_roles({{"operator"}})
print(json.dumps({{"cameras": cameras, "session": signed_in_session(operator)}}))
"""

WATCH = """
import threading
from apps.streams.watcher import Watcher
threads = [threading.Thread(target=Watcher(pk).run) for pk in {cameras}]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
"""


class Wall:
    """The operator's socket: when each camera last sent a frame, and the alerts that came."""

    def __init__(self, cameras: dict[str, int]) -> None:
        self.kind_of = {pk: kind for kind, pk in cameras.items()}
        self.frame_at = {kind: 0.0 for kind in cameras}
        self.alerts: list[tuple[float, dict]] = []

    def streaming(self) -> bool:
        return all(time.monotonic() - at < 2.0 for at in self.frame_at.values())

    def offline_alert(self, kind: str, since: float, state: str) -> float | None:
        """When an offline alert of `kind`'s camera in `state` arrived after `since`."""
        camera = next(pk for pk, k in self.kind_of.items() if k == kind)
        return next((at for at, alert in self.alerts
                     if at > since and alert.get("kind") == "camera_offline"
                     and alert.get("camera_id") == camera and alert.get("state") == state),
                    None)


async def watch_wall(url: str, cookie: str, origin: str, wall: Wall,
                     stop: asyncio.Event) -> None:
    import websockets

    async with websockets.connect(url, additional_headers={"Cookie": cookie}, origin=origin,
                                  max_size=2**22) as socket:
        await socket.send(json.dumps({"action": "subscribe", "cameras": list(wall.kind_of)}))
        while not stop.is_set():
            try:
                message = await asyncio.wait_for(socket.recv(), timeout=0.5)
            except TimeoutError:
                continue
            now = time.monotonic()
            if isinstance(message, bytes):
                (camera_id,) = struct.unpack(">I", message[:4])
                wall.frame_at[wall.kind_of[camera_id]] = now
                await socket.send(json.dumps({"action": "ack", "camera": camera_id}))
            elif (data := json.loads(message)).get("type") == "alert":
                wall.alerts.append((now, data))


async def until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (answer := condition()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout} s")
        await asyncio.sleep(0.05)
    return answer


async def trial(simulator: Simulator, wall: Wall, fault: str) -> dict[str, float]:
    """Seconds from the fault to each camera's offline alert on the wall; then recovery."""
    await until(wall.streaming, 60, "both cameras streaming")
    started = time.monotonic()
    for kind in KINDS:
        simulator.control(kind, fault)
    try:
        arrivals = await until(
            lambda: (found if all(found := [wall.offline_alert(k, started, "open")
                                            for k in KINDS]) else None),
            ALERT_DEADLINE, f"offline alerts after a {fault}")
    finally:
        restored = time.monotonic()
        for kind in KINDS:
            simulator.control(kind, "restore")
    await until(lambda: all(wall.offline_alert(k, restored, "resolved") for k in KINDS), 60,
                "offline alerts resolved after the restore")
    return {kind: at - started for kind, at in zip(KINDS, arrivals, strict=True)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=2)
    args = parser.parse_args()
    specs = [CameraSpec(kind, 640, 360, 10.0, 800_000, SceneState(), seed=i)
             for i, kind in enumerate(KINDS)]
    with Simulator(specs) as simulator, ScratchDatabase() as database_url:
        results = run(args.trials, simulator, database_url)
    for fault, name in FAULTS.items():
        for kind in KINDS:
            report(f"{name}_{kind}_max", max(r[kind] for r in results[fault]), "s")
        report(name, max(r[kind] for r in results[fault] for kind in KINDS), "s")


def run(trials: int, simulator: Simulator, database_url: str) -> dict[str, list]:
    work = Path(tempfile.mkdtemp(prefix="posko-offline-bench-"))
    redis_port, web_port = free_port(), free_port()
    origin = f"http://127.0.0.1:{web_port}"
    env = cluster_env(work, database_url=database_url, redis_port=redis_port,
                      web_port=web_port, LOG_LEVEL="WARNING")
    processes = Processes(env, work)
    try:
        processes.prepare_cluster(redis_port)
        urls = {kind: simulator.urls(kind)[kind] for kind in KINDS}
        world = json.loads(processes.manage(
            "shell", "--no-imports", "-c", SETUP.format(urls=urls)).split("\n")[-2])
        processes.start_daphne(web_port)
        processes.start("watchers", sys.executable, "manage.py", "shell", "--no-imports", "-c",
                        WATCH.format(cameras=list(world["cameras"].values())))
        wall = Wall(world["cameras"])

        async def scenario() -> dict[str, list]:
            stop = asyncio.Event()
            socket = asyncio.ensure_future(watch_wall(
                f"ws://127.0.0.1:{web_port}/ws/live/", f"sessionid={world['session']}",
                origin, wall, stop))
            try:
                results: dict[str, list] = {fault: [] for fault in FAULTS}
                for _ in range(trials):
                    for fault in FAULTS:
                        results[fault].append(await trial(simulator, wall, fault))
                return results
            finally:
                stop.set()
                await asyncio.gather(socket, return_exceptions=True)

        return asyncio.run(scenario())
    finally:
        processes.stop_all()


if __name__ == "__main__":
    main()
