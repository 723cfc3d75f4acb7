"""Snapshot fan-out and alert latency through channels-redis and one Daphne process.

python -m bench.live_bench [--viewers 100] [--cameras 16] [--seconds 60]

Starts a private Redis and one Daphne process (cluster mode, temporary SQLite database), opens
`viewers` authenticated websockets that each subscribe to every camera, and publishes one
~30 KiB snapshot per camera per second into the channel layer exactly as camera watchers do
(each camera at its own phase within the second, as independent watchers publish).
Viewers acknowledge each frame (as the wall page does). Then alerts are raised through the
alerts core in a separate process and timed to their arrival. Loopback only, bounded."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import statistics
import struct
import tempfile
import time
from pathlib import Path

from tests.integration.processes import (
    Processes,
    cluster_env,
    free_port,
)

SETUP = """
import json
from apps.accounts.models import User
from apps.cameras.models import Camera
from apps.cameras.services import share_grant
from bench.sessions import bench_world, signed_in_session
f, polres, official = bench_world()
cameras = []
for i in range({cameras}):
    c = Camera.objects.create(facility=f, name=f"Kamera {{i}}", source_kind="mjpeg",
        url=f"http://127.0.0.1:9/x{{i}}", orientation="outward", enabled=False)
    share_grant(camera=c, grantee=polres, basis="bench", by=official)
    cameras.append(c.pk)
keys = []
for u in range({users}):
    user = User.objects.create(username=f"op{{u}}", full_name=f"Operator {{u}}", agency=polres)
    user.set_roles({{"field_officer"}})  # no 2FA step needed for a benchmark viewer
    for s in range({per_user}):
        keys.append(signed_in_session(user))
print(json.dumps({{"facility": f.pk, "cameras": cameras, "sessions": keys}}))
"""

RAISE = """
import time
from apps.alerts.services import alert_raise
from apps.places.models import Facility
f = Facility.objects.get(pk={facility})
# A worker raises alerts from a warm process: the first one (imports, connections) is not timed.
alert_raise(kind="tamper", severity=3, facility=f, dedup_key="bench:warm-up", title="warm-up")
for i in range({count}):
    alert_raise(kind="tamper", severity=3, facility=f, dedup_key=f"bench:{{i}}",
                title=f"bench {{time.time():.6f}}")
    time.sleep({interval})
"""


class ScratchDatabase:
    """A throwaway PostgreSQL database on the local server (cluster mode's database)."""

    def __init__(self) -> None:
        self.server = os.environ.get("BENCH_POSTGRES_URL",
                                     "postgresql://postgres@127.0.0.1:5432/postgres")
        self.name = f"posko_bench_{os.getpid()}"

    def _execute(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.server, autocommit=True, connect_timeout=5) as connection:
            connection.execute(statement)

    def __enter__(self) -> str:
        self._execute(f'CREATE DATABASE "{self.name}"')
        return self.server.rsplit("/", 1)[0] + "/" + self.name

    def __exit__(self, *exc) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def report(name: str, value: float, unit: str) -> None:
    print(f"bench: {name} = {value:.4g} {unit}", flush=True)


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile: the smallest value at or above which a share `q` of the
    values lie (of 20 values, p95 is the 19th; of 10 it is the largest)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered), math.ceil(q * len(ordered))) - 1)]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Viewer:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.stale = 0
        self.alert_latencies: list[float] = []
        self.closed_unexpectedly = False
        self.subscribed = 0
        self.connect_retries = 0


async def run_viewer(url: str, cookie: str, origin: str, cameras: list[int], viewer: Viewer,
                     stop: asyncio.Event) -> None:
    import websockets

    # A wall screen that cannot open its socket tries again after a pause (static/js/live.js
    # does): when hundreds open at once, Daphne drops the handshakes it cannot finish in 5 s.
    pause = 0.5
    while True:
        try:
            socket = await websockets.connect(url, additional_headers={"Cookie": cookie},
                                              origin=origin, max_size=2**22)
            break
        except (OSError, websockets.InvalidHandshake, TimeoutError):
            viewer.connect_retries += 1
            await asyncio.sleep(pause * random.uniform(0.5, 1.0))
            pause = min(pause * 2, 8.0)
    async with socket:
        await socket.send(json.dumps({"action": "subscribe", "cameras": cameras}))
        while not stop.is_set():
            try:
                message = await asyncio.wait_for(socket.recv(), timeout=0.5)
            except TimeoutError:
                continue
            except websockets.ConnectionClosed:
                viewer.closed_unexpectedly = not stop.is_set()
                return
            now = time.time()
            if isinstance(message, bytes):
                camera_id, taken = struct.unpack(">Id", message[:12])
                viewer.latencies.append(now - taken)
                viewer.stale += now - taken > 2.0
                await socket.send(json.dumps({"action": "ack", "camera": camera_id}))
            else:
                data = json.loads(message)
                viewer.subscribed += data.get("type") == "subscribed"
                if data.get("type") == "alert" and data.get("title", "").startswith("bench "):
                    viewer.alert_latencies.append(now - float(data["title"].split()[1]))


async def publish(redis_url: str, cameras: list[int], seconds: float, stop: asyncio.Event,
                  counts: dict[str, int]) -> None:
    from channels_redis.core import RedisChannelLayer

    layer = RedisChannelLayer(hosts=[redis_url], prefix="posko:layer", capacity=100,
                              expiry=60)
    jpeg = b"\xff\xd8\xff\xe0" + random.randbytes(30 * 1024)
    # Cameras are not synchronised: each publishes once a second at its own phase, as
    # independent watchers do (a burst of all cameras at once would only measure the queue).
    start = time.monotonic()
    end = start + seconds
    step = 1.0 / len(cameras)
    tick = 0
    while (due := start + tick * step) < end:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        camera_id = cameras[tick % len(cameras)]
        await layer.group_send(f"camera.{camera_id}", {
            "type": "camera.frame", "camera": camera_id, "at": time.time(), "jpeg": jpeg})
        counts["published"] += 1
        tick += 1
    stop.set()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=100)
    parser.add_argument("--cameras", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--alerts", type=int, default=20)
    parser.add_argument("--label", default="live")
    args = parser.parse_args()

    with ScratchDatabase() as database_url:
        run(args, database_url)


def run(args, database_url: str) -> None:
    work = Path(tempfile.mkdtemp(prefix="posko-live-bench-"))
    redis_port, web_port = free_port(), free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    origin = f"http://127.0.0.1:{web_port}"
    env = cluster_env(work, database_url=database_url, redis_port=redis_port,
                      web_port=web_port, LOG_LEVEL="WARNING")
    processes = Processes(env, work)
    try:
        processes.prepare_cluster(redis_port)
        per_user = 10
        users = -(-args.viewers // per_user)
        world = json.loads(processes.manage(
            "shell", "--no-imports", "-c",
            SETUP.format(cameras=args.cameras, users=users, per_user=per_user),
        ).split("\n")[-2])
        daphne = processes.start_daphne(web_port, "--websocket-max-message-size", "65536")
        url = f"ws://127.0.0.1:{web_port}/ws/live/"
        viewers = [Viewer() for _ in range(args.viewers)]
        counts = {"published": 0}

        async def scenario() -> None:
            stop = asyncio.Event()
            sessions = world["sessions"][: args.viewers]
            tasks = [asyncio.ensure_future(run_viewer(
                url, f"sessionid={key}", origin, world["cameras"], viewer, stop))
                for key, viewer in zip(sessions, viewers, strict=True)]
            deadline = time.monotonic() + 120
            while sum(v.subscribed for v in viewers) < len(viewers) * len(world["cameras"]):
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        "the viewers did not all subscribe within 120 s: "
                        f"{sum(v.subscribed for v in viewers)} subscriptions, "
                        f"{sum(v.connect_retries for v in viewers)} handshakes retried")
                await asyncio.sleep(0.1)
            cpu_before = cpu_seconds(daphne.pid)
            await publish(redis_url, world["cameras"], args.seconds, stop, counts)
            cpu_used = cpu_seconds(daphne.pid) - cpu_before
            counts["cpu_ms"] = int(cpu_used * 1000)
            stop.clear()
            alerts = asyncio.get_running_loop().run_in_executor(None, lambda: processes.manage(
                "shell", "--no-imports", "-c",
                RAISE.format(facility=world["facility"], count=args.alerts, interval=0.5)))
            await alerts
            await asyncio.sleep(2)
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run(scenario())
    finally:
        processes.stop_all()

    latencies = [x for v in viewers for x in v.latencies]
    alert_latencies = [x for v in viewers for x in v.alert_latencies]
    offered = counts["published"] * args.viewers
    delivered = len(latencies)
    label = args.label
    report(f"{label}_viewers_x_cameras", args.viewers * args.cameras, "subscriptions")
    report(f"{label}_deliveries_per_s", delivered / args.seconds, "frames/s")
    report(f"{label}_delivered_fraction", 100 * delivered / max(1, offered), "%")
    report(f"{label}_dropped_newest_wins", offered - delivered, "frames")
    report(f"{label}_latency_p50", 1000 * statistics.median(latencies or [0]), "ms")
    report(f"{label}_latency_p95", 1000 * percentile(latencies, 0.95), "ms")
    report(f"{label}_latency_max", 1000 * max(latencies or [0]), "ms")
    report(f"{label}_frames_older_than_2s", sum(v.stale for v in viewers), "frames")
    report(f"{label}_daphne_cpu_per_delivered_frame",
           counts["cpu_ms"] / max(1, delivered), "ms")
    report(f"{label}_unexpected_closes", sum(v.closed_unexpectedly for v in viewers), "sockets")
    report(f"{label}_connect_retries", sum(v.connect_retries for v in viewers), "handshakes")
    report(f"{label}_alert_latency_p50", 1000 * statistics.median(alert_latencies or [0]), "ms")
    report(f"{label}_alert_latency_p95", 1000 * percentile(alert_latencies, 0.95), "ms")
    report(f"{label}_alerts_received", len(alert_latencies) / max(1, args.viewers), "per viewer")


if __name__ == "__main__":
    main()
