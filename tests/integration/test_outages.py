"""Cluster mode through outages, with real processes on loopback: PostgreSQL restarts and
Redis restarts. Bounded in time; private servers on free ports (the machine's own PostgreSQL
and Redis are never touched)."""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request

import pytest

from apps.camsim import CameraSpec, Simulator
from tests.integration.processes import (
    PrivatePostgres,
    Processes,
    cluster_env,
    free_port,
    start_redis,
)
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e

WORLD = """
import json, datetime
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, BACKEND_SESSION_KEY
from apps.accounts.sessions import AUTHENTICATED_AT, SEEN_AT
import time
from apps.accounts.models import User
from apps.org.models import Region, Agency
from apps.places.models import Facility, Operation
from apps.cameras.models import Camera
from apps.cameras.services import share_grant
r = Region.objects.create(name="Kota Uji", level="city", timezone="Asia/Jakarta")
polres = Agency.objects.create(name="Polres Uji", pillar="polri", unit_kind="polres", region=r)
kpu = Agency.objects.create(name="KPU Uji", pillar="kpu", unit_kind="kpu_kota", region=r)
f = Facility.objects.create(name="Gudang Uji", kind="kpu_warehouse", owner_agency=kpu, region=r)
op = Operation.objects.create(name="Op", responsible_agency=polres,
    starts_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2027, 12, 31))
op.facilities.add(f)
official = User.objects.create(username="kpu.uji", full_name="KPU", agency=kpu)
official.set_roles({{"facility_official"}})
c = Camera.objects.create(facility=f, name="Gerbang", source_kind="mjpeg", url="{url}",
                          orientation="outward")
share_grant(camera=c, grantee=polres, basis="MoU", by=official)
viewer = User.objects.create(username="polisi.uji", full_name="Polisi", agency=polres)
viewer.set_roles({{"field_officer"}})
store = SessionStore()
store[SESSION_KEY] = str(viewer.pk)
store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
store[HASH_SESSION_KEY] = viewer.get_session_auth_hash()
store[AUTHENTICATED_AT] = store[SEEN_AT] = time.time()
store.create()
print(json.dumps({{"camera": c.pk, "facility": f.pk, "session": store.session_key}}))
"""


def _env(tmp_path, database_url: str, redis_port: int, web_port: int) -> dict[str, str]:
    return cluster_env(tmp_path, database_url=database_url, redis_port=redis_port,
                       web_port=web_port, DATABASE_POOL_SIZE="4")


def _start_cluster(processes: Processes, tmp_path, web_port: int) -> None:
    python = sys.executable
    processes.manage("collectstatic", "--noinput", "-v0")  # production static files
    processes.start("daphne", python, "-m", "daphne", "--bind", "127.0.0.1", "--port",
                    str(web_port), "portal.asgi:application")
    processes.start("streams", python, "-m", "celery", "-A", "portal", "worker", "--queues",
                    "streams", "--pool", "threads", "--concurrency", "4", "--hostname",
                    "streams@%h", "--without-gossip", "--without-mingle")
    processes.start("default", python, "-m", "celery", "-A", "portal", "worker", "--queues",
                    "celery", "--pool", "solo", "--hostname", "default@%h",
                    "--without-gossip", "--without-mingle")
    processes.start("beat", python, "-m", "celery", "-A", "portal", "beat", "--schedule",
                    str(tmp_path / "beat"))


def _get(url: str, session: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={session}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""


def test_postgres_restart_fails_cleanly_and_recovers(tmp_path):
    redis_port, web_port, pg_port = free_port(), free_port(), free_port()
    postgres = PrivatePostgres(pg_port).init()
    processes = Processes(_env(tmp_path, postgres.url, redis_port, web_port), tmp_path)
    try:
        start_redis(processes, redis_port)
        processes.manage("migrate", "--noinput", "-v0")
        with Simulator([CameraSpec("gate", 320, 180, 10.0, 300_000)]) as simulator:
            world = json.loads(processes.manage(
                "shell", "--no-imports", "-c",
                WORLD.format(url=simulator.urls("gate")["mjpeg"])).split("\n")[-2])
            _start_cluster(processes, tmp_path, web_port)
            page = f"http://127.0.0.1:{web_port}/objek/"
            wait_until(lambda: _get(page, world["session"])[0] == 200, 60, what="portal up")
            wait_until(lambda: simulator.cameras["gate"].client_count == 1, 60,
                       what="the camera is watched")

            postgres.stop()
            down = [_get(page, world["session"]) for _ in range(5)]
            for status, body in down:
                assert status == 503, status
                assert "Traceback" not in body and "OperationalError" not in body
            assert simulator.cameras["gate"].client_count == 1, "watching must go on"
            postgres.start()
            status, _ = _get(page, world["session"])
            assert status == 200, "the first request after the database returns succeeds"

            import psycopg

            def health_written_after(moment: float) -> bool:
                with psycopg.connect(postgres.url.replace("postgres://", "postgresql://"),
                                     connect_timeout=2) as connection:
                    row = connection.execute(
                        "SELECT extract(epoch FROM updated_at) FROM cameras_camerahealth "
                        "WHERE camera_id = %s", [world["camera"]]).fetchone()
                return bool(row and row[0] > moment)

            returned = time.time()
            wait_until(lambda: health_written_after(returned), 20,
                       what="the watcher flushes health after the database returns")
            assert simulator.cameras["gate"].client_count == 1
    finally:
        processes.stop_all()
        postgres.stop()
        postgres.remove()


def test_redis_restart_live_view_and_alerts_recover(tmp_path):
    import asyncio

    import websockets

    redis_port, web_port = free_port(), free_port()
    database = f"sqlite:///{tmp_path / 'cluster.sqlite3'}"
    processes = Processes(_env(tmp_path, database, redis_port, web_port), tmp_path)
    try:
        redis_process = start_redis(processes, redis_port)
        processes.manage("migrate", "--noinput", "-v0")
        with Simulator([CameraSpec("gate", 320, 180, 10.0, 300_000)]) as simulator:
            world = json.loads(processes.manage(
                "shell", "--no-imports", "-c",
                WORLD.format(url=simulator.urls("gate")["mjpeg"])).split("\n")[-2])
            _start_cluster(processes, tmp_path, web_port)
            base = f"http://127.0.0.1:{web_port}"
            wait_until(lambda: _get(f"{base}/healthz", "")[0] == 200, 60, what="all healthy")

            frames: list[float] = []
            closes: list[float] = []

            async def viewer(stop: asyncio.Event) -> None:
                # What live.js does: connect, subscribe, ack frames; reconnect with backoff.
                delay = 0.5
                while not stop.is_set():
                    try:
                        async with websockets.connect(
                            f"ws://127.0.0.1:{web_port}/ws/live/", origin=base,
                            additional_headers={"Cookie": f"sessionid={world['session']}"},
                        ) as socket:
                            delay = 0.5
                            await socket.send(json.dumps(
                                {"action": "subscribe", "cameras": [world["camera"]]}))
                            while not stop.is_set():
                                try:
                                    message = await asyncio.wait_for(socket.recv(), 0.5)
                                except TimeoutError:
                                    continue
                                if isinstance(message, bytes):
                                    frames.append(time.monotonic())
                                    await socket.send(json.dumps(
                                        {"action": "ack", "camera": world["camera"]}))
                    except (OSError, websockets.WebSocketException):
                        pass
                    closes.append(time.monotonic())
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 4)

            async def scenario() -> float:
                stop = asyncio.Event()
                task = asyncio.ensure_future(viewer(stop))
                await asyncio.to_thread(wait_until, lambda: len(frames) > 3, 60, 0.2,
                                        "frames flow")
                redis_process.terminate()
                redis_process.wait(timeout=10)
                await asyncio.sleep(3)
                start_redis(processes, redis_port)
                returned = time.monotonic()
                await asyncio.to_thread(wait_until, lambda: frames[-1] > returned + 0.5, 30,
                                        0.2, "frames flow again")
                recovered = frames[-1] - returned
                stop.set()
                await task
                return recovered

            recovered = asyncio.run(scenario())
            assert closes, "the socket closes when Redis goes away"
            assert recovered <= 15, f"snapshots flowed again only after {recovered:.1f} s"
    finally:
        processes.stop_all()
