"""Snapshot (or passthrough video) fan-out and alert latency through channels-redis and one
Daphne process.

python -m bench.live_bench [--viewers 100] [--cameras 16] [--seconds 60] [--video]

Starts a private Redis and one Daphne process (cluster mode, temporary SQLite database), opens
`viewers` authenticated websockets that each subscribe to every camera, and publishes one
~30 KiB snapshot per camera per second into the channel layer exactly as camera watchers do
(each camera at its own phase within the second, as independent watchers publish).
Viewers acknowledge each frame (as the wall page does). With --video the viewers ask for
passthrough instead, and each camera publishes what a watcher's live tap does: a batch of
fragments every BATCH_SECONDS (apps.vision.livemux, 0.2 s) at `--kbps`, the one of each second
starting with a keyframe and carrying the init segment; the Daphne side of passthrough (the
hub, and each socket's checks and send) is then what is measured. Then alerts are raised
through the alerts core in a separate process and timed to their arrival. Loopback only,
bounded."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import random
import statistics
import struct
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from apps.vision.livemux import BATCH_SECONDS
from tests.integration.processes import (
    Processes,
    cluster_env,
    free_port,
)

BATCHES_PER_SECOND = round(1 / BATCH_SECONDS)

SETUP = """
import json
from apps.accounts.models import User
from apps.cameras.models import Camera
from apps.cameras.services import share_grant
from bench.sessions import bench_world, signed_in_session
f, polres, official = bench_world()
cameras = []
for i in range({cameras}):
    c = Camera.objects.create(facility=f, name=f"Kamera {{i}}", source_kind="{source_kind}",
        url=f"{url_scheme}://127.0.0.1:9/x{{i}}", orientation="outward", enabled=False)
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
        self.video_granted = 0
        self.stale = 0
        self.alert_latencies: list[float] = []
        self.closed_unexpectedly = False
        self.subscribed = 0
        self.connect_retries = 0


async def run_viewer(url: str, cookie: str, origin: str, cameras: list[int], viewer: Viewer,
                     stop: asyncio.Event, video: bool = False) -> None:
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
        await socket.send(json.dumps({"action": "subscribe", "cameras": cameras,
                                      "passthrough": video}))
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
                if not video:  # snapshots wait for the ack; video batches do not
                    await socket.send(json.dumps({"action": "ack", "camera": camera_id}))
            else:
                data = json.loads(message)
                viewer.subscribed += data.get("type") == "subscribed"
                viewer.video_granted += (data.get("type") == "passthrough"
                                         and data.get("granted") is True)
                if data.get("type") == "alert" and data.get("title", "").startswith("bench "):
                    viewer.alert_latencies.append(now - float(data["title"].split()[1]))


def _frame_messages() -> Iterator[dict]:
    """A camera's snapshot messages (once a second), as the watcher sends them."""
    jpeg = b"\xff\xd8\xff\xe0" + random.randbytes(30 * 1024)
    while True:
        yield {"type": "camera.frame", "at": time.time(), "jpeg": jpeg}


def _video_messages(kbps: int) -> Iterator[dict]:
    """A camera's passthrough batches (BATCH_SECONDS each), as a watcher's live tap sends
    them: the first of each second starts with a keyframe and carries the init segment."""
    batch = random.randbytes(kbps * 1000 // 8 // BATCHES_PER_SECOND)
    init = b"\x00\x00\x00\x1cftyp" + random.randbytes(700)
    for index in itertools.count():
        keyframe = index % BATCHES_PER_SECOND == 0
        yield {"type": "camera.video", "at": time.time(), "fragment": batch,
               "init": init if keyframe else None, "codec": "avc1.640028" if keyframe else None}


async def publish(redis_url: str, cameras: list[int], seconds: float, stop: asyncio.Event,
                  counts: dict[str, int], video_kbps: int | None = None) -> None:
    from channels_redis.core import RedisChannelLayer

    layer = RedisChannelLayer(hosts=[redis_url], prefix="posko:layer", capacity=100,
                              expiry=60)
    per_second = BATCHES_PER_SECOND if video_kbps else 1
    streams = {camera_id: _video_messages(video_kbps) if video_kbps else _frame_messages()
               for camera_id in cameras}
    # Cameras are not synchronised: each publishes at its own phase, as independent watchers
    # do (a burst of all cameras at once would only measure the queue).
    start = time.monotonic()
    end = start + seconds
    step = 1.0 / (len(cameras) * per_second)
    tick = 0
    while (due := start + tick * step) < end:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        camera_id = cameras[tick % len(cameras)]
        await layer.group_send(f"camera.{camera_id}",
                               next(streams[camera_id]) | {"camera": camera_id})
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
    parser.add_argument("--video", action="store_true",
                        help="passthrough video batches instead of snapshots")
    parser.add_argument("--kbps", type=int, default=2000,
                        help="the passthrough cameras' bit rate (with --video)")
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
            # Passthrough is for cameras that send video (RTSP), snapshots for any.
            SETUP.format(cameras=args.cameras, users=users, per_user=per_user,
                         source_kind="rtsp" if args.video else "mjpeg",
                         url_scheme="rtsp" if args.video else "http"),
        ).split("\n")[-2])
        daphne = processes.start_daphne(web_port, "--websocket-max-message-size", "65536")
        url = f"ws://127.0.0.1:{web_port}/ws/live/"
        viewers = [Viewer() for _ in range(args.viewers)]
        counts = {"published": 0}

        async def scenario() -> None:
            stop = asyncio.Event()
            sessions = world["sessions"][: args.viewers]
            tasks = [asyncio.ensure_future(run_viewer(
                url, f"sessionid={key}", origin, world["cameras"], viewer, stop, args.video))
                for key, viewer in zip(sessions, viewers, strict=True)]
            deadline = time.monotonic() + 120
            while sum(v.subscribed for v in viewers) < len(viewers) * len(world["cameras"]):
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        "the viewers did not all subscribe within 120 s: "
                        f"{sum(v.subscribed for v in viewers)} subscriptions, "
                        f"{sum(v.connect_retries for v in viewers)} handshakes retried")
                await asyncio.sleep(0.1)
            granted = sum(v.video_granted for v in viewers)
            if args.video and granted < len(viewers) * len(world["cameras"]):
                raise RuntimeError(f"passthrough granted {granted} times of "
                                   f"{len(viewers) * len(world['cameras'])}")
            cpu_before = cpu_seconds(daphne.pid)
            await publish(redis_url, world["cameras"], args.seconds, stop, counts,
                          args.kbps if args.video else None)
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
    unit = "batches" if args.video else "frames"
    report(f"{label}_deliveries_per_s", delivered / args.seconds, f"{unit}/s")
    report(f"{label}_delivered_fraction", 100 * delivered / max(1, offered), "%")
    report(f"{label}_dropped_newest_wins", offered - delivered, unit)
    report(f"{label}_latency_p50", 1000 * statistics.median(latencies or [0]), "ms")
    report(f"{label}_latency_p95", 1000 * percentile(latencies, 0.95), "ms")
    report(f"{label}_latency_max", 1000 * max(latencies or [0]), "ms")
    report(f"{label}_{unit}_older_than_2s", sum(v.stale for v in viewers), unit)
    report(f"{label}_daphne_cpu_per_delivered_{'batch' if args.video else 'frame'}",
           counts["cpu_ms"] / max(1, delivered), "ms")
    if args.video:
        # What one viewer watching one camera by passthrough costs Daphne, a second of video.
        report(f"{label}_daphne_cpu_per_viewer_camera_s",
               counts["cpu_ms"] / (args.viewers * args.cameras * args.seconds), "ms")
    report(f"{label}_unexpected_closes", sum(v.closed_unexpectedly for v in viewers), "sockets")
    report(f"{label}_connect_retries", sum(v.connect_retries for v in viewers), "handshakes")
    report(f"{label}_alert_latency_p50", 1000 * statistics.median(alert_latencies or [0]), "ms")
    report(f"{label}_alert_latency_p95", 1000 * percentile(alert_latencies, 0.95), "ms")
    report(f"{label}_alerts_received", len(alert_latencies) / max(1, args.viewers), "per viewer")


if __name__ == "__main__":
    main()
