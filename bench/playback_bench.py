"""Playback start of recorded footage: python -m bench.playback_bench

Issue 19's figure: a click on a 6-day-old moment of a camera's day timeline → the video
playing at that moment, p95 over 20 clicks (goal ≤ 1 s). Builds 7 days of continuous
one-minute segments of one camera (10,080 rows of apps.recordings, each file a link to one
real fragmented MP4 written by apps.vision's writer), serves the portal with Daphne (test
settings: static files from their folders) and drives the review page in Debian's Chromium,
signed in as the camera's owner agency. The time is taken from the click to the page showing
the camera playing within a second of the clicked moment (the player's own state: the video
element ready, not seeking, not paused).

The same 20 clicks again as a Polres operator, to whom the owner shares a second camera with
privacy masks and its recordings: 7 days of one-minute 720p 25 fps 2 Mbit/s segments (the
masked rendition benchmark's), none rendered yet, so each click waits for its masked piece
to be rendered by the one rendition worker (`_masked` figures). Daphne's CPU time per click
is printed beside: on a shared machine the wall times count other people's work too.

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
    # Named after the portal's database: posko_bench → posko_playback_bench.
    name = parts.path.lstrip("/").removesuffix("_bench") + "_playback_bench"
    return urlunsplit(parts._replace(path=f"/{name}"))


def _footage(root: Path, work: Path, now: datetime):
    """The city, and its camera and masked camera, each with DAYS of one-minute segments
    ending now; the masked one shared with recordings to the city's Polres."""
    from apps.cameras import services
    from apps.cameras.models import Camera, Orientation
    from bench.rendition_bench import MASKS, recorded_segment
    from tests.cast import build_city, gate_and_inside_cameras
    from tests.recordings.footage import write_segments

    city = build_city("A", "Asia/Jakarta")
    camera = gate_and_inside_cameras(city)[0]
    [minute] = write_segments(work, now, SEGMENT.total_seconds(), fps=5.0,
                              max_seconds=SEGMENT.total_seconds())
    first = _index(root, camera, minute.path, now, minute.packets)
    masked = Camera.objects.create(
        facility=camera.facility, name="Gerbang bermasker", source_kind="rtsp",
        url="rtsp://127.0.0.1:8554/gate", orientation=Orientation.OUTWARD,
        privacy_masks=[[list(point) for point in shape] for shape in MASKS])
    (work / "masked").mkdir()
    _index(root, masked, recorded_segment(work / "masked", SEGMENT.total_seconds()), now)
    services.share_grant(camera=masked, grantee=city.agencies["polres"], basis="MoU",
                         by=city.users["kpu"], recordings=True,
                         valid_from=first - timedelta(hours=1))
    return city, camera, masked


def _index(root: Path, camera, path: Path, now: datetime, packets: int = 0) -> datetime:
    """DAYS of one-minute segment rows of `camera` ending now, each file a link to `path`;
    returns the first one's start."""
    import hashlib

    from apps.recordings.models import RecordingSegment
    from apps.recordings.services import storage_name

    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    first = (now - timedelta(days=DAYS)).replace(second=0, microsecond=0)
    rows = []
    for index in range(DAYS * 24 * 60):
        start = first + index * SEGMENT
        name = storage_name(camera.pk, start)
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        os.link(path, root / name)
        rows.append(RecordingSegment(
            camera=camera, start=start, end=start + SEGMENT, bytes=len(data), sha256=digest,
            packets=packets, storage_name=name, has_motion=index % 17 == 0))
    RecordingSegment.objects.bulk_create(rows, batch_size=2000)
    return first


class _Daphne:
    """The portal served by Daphne (as `manage.py serve` does) on a free local port, with this
    process's environment (the bench's database, settings and recordings)."""

    def __init__(self, work: Path) -> None:
        from tests.integration.processes import Processes, free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.processes = Processes(dict(os.environ), work)

    def __enter__(self) -> _Daphne:
        self.process = self.processes.start_daphne(self.port)
        return self

    def __exit__(self, *exc) -> None:
        self.processes.stop_all()

    def cpu_seconds(self) -> float:
        """The server's CPU time so far (user and system): on a shared machine, what its
        wall times cannot tell apart from other people's work."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
        "RECORDINGS_SPOOL": str(work / "spool"),
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
        city, camera, masked = _footage(work / "recordings", work / "writer", timezone.now())
        with _Daphne(work) as server:
            for suffix, user, shown in (("", city.users["kpu"], camera),
                                        ("_masked", city.users["operator"], masked)):
                cpu = server.cpu_seconds()
                figures = sorted(_clicks(server, user, shown))
                cpu = server.cpu_seconds() - cpu
                report(f"recording_playback_start{suffix}_p50", statistics.median(figures),
                       "ms")
                report(f"recording_playback_start{suffix}_p95",
                       figures[int(len(figures) * 0.95) - 1], "ms")
                report(f"recording_playback_start{suffix}_max", figures[-1], "ms")
                report(f"recording_playback_start{suffix}_server_cpu", cpu / CLICKS * 1000,
                       "ms per click (Daphne's CPU over the page and the clicks: for masked "
                       "footage the clicked pieces and the next ones rendered)")
        for conn in connections.all():
            conn.close()
    finally:
        drop_database(url)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
