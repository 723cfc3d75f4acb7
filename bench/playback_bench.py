"""Playback start of recorded footage: python -m bench.playback_bench

Issue 19's figure: a click on a 6-day-old moment of a camera's day timeline → the video
playing at that moment, p95 over 20 clicks (goal ≤ 1 s). Builds 7 days of continuous
one-minute segments of one camera (10,080 rows of apps.recordings, each file a link to one
real fragmented MP4 written by apps.vision's writer), serves the portal with Daphne (test
settings: static files from their folders) and drives the review page in Debian's Chromium,
signed in as the camera's owner agency. The time is taken from the click to the page showing
the camera playing within a second of the clicked moment (the player's own state: the video
element ready, not seeking, not paused).

The database: a throwaway one beside bench.coverage_bench's (created and dropped here).
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DAYS = 7
CLICKS = 20
AGE_DAYS = 6
SEGMENT = timedelta(seconds=60)
VIEWPORT = {"width": 1280, "height": 800}


def report(name: str, value: float, unit: str) -> None:
    print(f"bench: {name} = {value:.3g} {unit}", flush=True)


def _database_url() -> str:
    from bench.coverage_bench import bench_url

    parts = urlsplit(bench_url())
    return urlunsplit(parts._replace(path="/posko_playback_bench"))


def _footage(root: Path, work: Path, now: datetime):
    """The owner's user and the camera, with DAYS of one-minute segments ending now."""
    import hashlib

    from apps.recordings.models import RecordingSegment
    from apps.recordings.services import storage_name
    from tests.cast import build_city, gate_and_inside_cameras
    from tests.recordings.footage import write_segments

    city = build_city("A", "Asia/Jakarta")
    camera = gate_and_inside_cameras(city)[0]
    [minute] = write_segments(work, now, SEGMENT.total_seconds(), fps=5.0,
                              max_seconds=SEGMENT.total_seconds())
    data = minute.path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    first = (now - timedelta(days=DAYS)).replace(second=0, microsecond=0)
    rows = []
    for index in range(DAYS * 24 * 60):
        start = first + index * SEGMENT
        name = storage_name(camera.pk, start)
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        os.link(minute.path, root / name)
        rows.append(RecordingSegment(
            camera=camera, start=start, end=start + SEGMENT, bytes=len(data), sha256=digest,
            packets=minute.packets, storage_name=name, has_motion=index % 17 == 0))
    RecordingSegment.objects.bulk_create(rows, batch_size=2000)
    return city.users["kpu"], camera


class _Daphne:
    """The portal served by Daphne (as `manage.py serve` does) on a free local port, with this
    process's environment (the bench's database, settings and recordings)."""

    def __init__(self, work: Path) -> None:
        from tests.integration.processes import Processes, free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.processes = Processes(dict(os.environ), work)

    def __enter__(self) -> _Daphne:
        self.processes.start_daphne(self.port)
        return self

    def __exit__(self, *exc) -> None:
        self.processes.stop_all()


PLAYING_AT = """([wanted]) => {
  const root = document.querySelector("[data-review]");
  const player = document.querySelector("[data-player]");
  return player.dataset.state === "playing"
    && Math.abs(Number(root.dataset.clock) - wanted) <= 1000;
}"""


def _clicks(server: _Daphne, user, camera) -> list[float]:
    from django.urls import reverse
    from django.utils import timezone

    from tests.browser import signed_in_context

    zone = camera.facility.zoneinfo
    day = timezone.localtime(timezone.now(), zone).date() - timedelta(days=AGE_DAYS)
    day_start = datetime.combine(day, clock(0), zone).timestamp() * 1000
    url = f"{server.url}{reverse('review:camera', args=[camera.pk])}?tanggal={day}"
    latencies: list[float] = []
    with signed_in_context(server, user, viewport=VIEWPORT) as context:
        page = context.new_page()
        page.goto(url)
        page.wait_for_function("() => document.querySelectorAll('.review-span').length > 0",
                               timeout=30_000)
        page.locator('[data-timeline="day"]').scroll_into_view_if_needed()
        box = page.locator('[data-timeline="day"]').bounding_box()
        positions = random.Random(19).sample(range(int(box["width"] * 0.02),
                                                   int(box["width"] * 0.98)), CLICKS)
        for offset in positions:
            x = round(box["x"] + offset)
            wanted = day_start + (x - box["x"]) / box["width"] * 86_400_000
            began = time.perf_counter()
            page.mouse.click(x, box["y"] + box["height"] / 2)
            page.wait_for_function(PLAYING_AT, arg=[wanted], polling="raf", timeout=30_000)
            latencies.append((time.perf_counter() - began) * 1000)
    return latencies


def main() -> int:
    from bench.coverage_bench import create_database, drop_database

    url = _database_url()
    if not url.startswith(("postgres://", "postgresql://")):
        print("bench: playback needs PostgreSQL", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="posko-playback-bench-"))
    os.environ.update({
        "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "RECORDINGS_ROOT": str(work / "recordings"),
        # Playwright's event loop runs in this thread beside the ORM (the bench's own use).
        "DJANGO_ALLOW_ASYNC_UNSAFE": "true",
    })
    create_database(url)
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections
        from django.utils import timezone

        call_command("migrate", verbosity=0)
        user, camera = _footage(work / "recordings", work / "writer", timezone.now())
        with _Daphne(work) as server:
            latencies = sorted(_clicks(server, user, camera))
        report("recording_playback_start_p50", statistics.median(latencies), "ms")
        report("recording_playback_start_p95", latencies[int(len(latencies) * 0.95) - 1], "ms")
        report("recording_playback_start_max", latencies[-1], "ms")
        for conn in connections.all():
            conn.close()
    finally:
        drop_database(url)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
