"""Two real Celery workers and Redis: SIGKILL the worker that watches a camera, and another
worker watches it within 30 s — never two at once (the simulator counts its readers)."""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest
import redis

from apps.camsim import CameraSpec, Simulator
from tests.integration.processes import Processes, cluster_env, free_port, start_redis
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e

SETUP = """
from apps.org.models import Region, Agency
from apps.places.models import Facility
from apps.cameras.models import Camera
r = Region.objects.create(name="Kota Uji", level="city", timezone="Asia/Jakarta")
kpu = Agency.objects.create(name="KPU Uji", pillar="kpu", unit_kind="kpu_kota", region=r)
f = Facility.objects.create(name="Gudang Uji", kind="kpu_warehouse", owner_agency=kpu, region=r)
c = Camera.objects.create(facility=f, name="Gerbang", source_kind="mjpeg", url="{url}",
                          orientation="outward")
print(c.pk)
"""


@pytest.fixture
def cluster(tmp_path):
    redis_port = free_port()
    env = cluster_env(tmp_path, database_url=f"sqlite:///{tmp_path / 'cluster.sqlite3'}",
                      redis_port=redis_port)
    processes = Processes(env, tmp_path)
    try:
        start_redis(processes, redis_port)
        processes.manage("migrate", "--noinput", "-v0")
        yield processes, redis.Redis(port=redis_port, socket_timeout=2)
    finally:
        processes.stop_all()


def _worker(processes: Processes, name: str):
    return processes.start(
        name, sys.executable, "-m", "celery", "-A", "portal", "worker", "--queues", "streams",
        "--pool", "threads", "--concurrency", "4", "--prefetch-multiplier", "1",
        "--hostname", f"{name}@%h", "--without-gossip", "--without-mingle",
        "--loglevel", "INFO",
    )


def test_killed_workers_camera_resumes_elsewhere_within_30_s(cluster, tmp_path):
    processes, client = cluster
    spec = CameraSpec("gate", 320, 180, 10.0, 300_000)
    with Simulator([spec]) as simulator:
        camera_id = int(processes.manage(
            "shell", "--no-imports", "-c",
            SETUP.format(url=simulator.urls("gate")["mjpeg"])).split()[-1])
        workers = {p.pid: p for p in (_worker(processes, "a"), _worker(processes, "b"))}
        processes.start("default", sys.executable, "-m", "celery", "-A", "portal", "worker",
                        "--queues", "celery", "--pool", "solo", "--hostname", "default@%h",
                        "--without-gossip", "--without-mingle", "--loglevel", "INFO")
        processes.start("beat", sys.executable, "-m", "celery", "-A", "portal", "beat",
                        "--schedule", str(tmp_path / "beat-schedule"), "--loglevel", "INFO")
        key = f"posko:lease:camera:{camera_id}"

        def holder_pid() -> int | None:
            value = client.get(key)
            return int(value.decode().split("|", 1)[1].split(":")[1]) if value else None

        first = wait_until(holder_pid, 60, what="a worker holds the camera")
        assert first in workers
        wait_until(lambda: simulator.cameras["gate"].client_count == 1, 20,
                   what="the watcher reads the stream")

        os.kill(first, signal.SIGKILL)
        killed_at = time.monotonic()
        most_readers = 0
        while True:
            most_readers = max(most_readers, simulator.cameras["gate"].client_count)
            current = holder_pid()
            if current is not None and current != first:
                break
            assert time.monotonic() - killed_at < 30, "no worker took the camera over in 30 s"
            time.sleep(0.1)
        took_over = time.monotonic() - killed_at
        wait_until(lambda: simulator.cameras["gate"].client_count == 1, 15,
                   what="the new watcher reads the stream")
        end = time.monotonic() + 5
        while time.monotonic() < end:
            most_readers = max(most_readers, simulator.cameras["gate"].client_count)
            time.sleep(0.1)
        assert most_readers <= 1, "two watchers read the camera at once"
        print(f"takeover after SIGKILL: {took_over:.1f} s")
        heartbeat = client.get(f"posko:worker:b@{os.uname().nodename}") or client.get(
            f"posko:worker:a@{os.uname().nodename}")
        assert heartbeat is not None
