"""Masked renditions served for recorded segments (apps.recordings.renditions): made once per
segment and current masks, on real segments stored like a watcher stores them."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import pytest
from django.core.cache import cache
from django.db import connection

from apps.cameras.models import Camera
from apps.recordings import renditions, services, tasks
from apps.recordings.models import RecordingSegment
from apps.vision import rendition as vision_rendition
from tests.vision.recorded import recorded_segment
from tests.waiting import wait_until

MASK = [[[0.0, 0.0], [0.55, 0.0], [0.55, 0.3], [0.0, 0.3]]]
OTHER_MASK = [[[0.5, 0.5], [1.0, 0.5], [1.0, 1.0], [0.5, 1.0]]]


@pytest.fixture(autouse=True)
def spool(settings, tmp_path) -> Path:
    settings.RECORDINGS_SPOOL = str(tmp_path / "spool")
    cache.clear()
    return tmp_path / "spool"


@pytest.fixture
def camera(world) -> Camera:
    return Camera.objects.create(facility=world.a.facilities["warehouse"], name="Gerbang",
                                 source_kind="rtsp", url="rtsp://192.168.60.20/1",
                                 privacy_masks=MASK)


class CountedRenders:
    """mask_video as the renditions module calls it, counted."""

    def __init__(self, monkeypatch) -> None:
        self.calls = 0
        self.before = lambda: None
        monkeypatch.setattr(renditions, "mask_video", self)

    def __call__(self, *args, **kwargs):
        self.calls += 1
        self.before()
        return vision_rendition.mask_video(*args, **kwargs)


def stored_segment(tmp_path: Path, camera: Camera, start: datetime | None = None,
                   ) -> RecordingSegment:
    start = start or datetime.now(UTC)
    return services.segment_recorded(
        camera.pk, recorded_segment(tmp_path / f"spool-{start:%H%M%S%f}", 1.0, start=start))


def test_a_camera_without_masks_is_served_as_stored(tmp_path, camera, monkeypatch) -> None:
    renders = CountedRenders(monkeypatch)
    Camera.objects.filter(pk=camera.pk).update(privacy_masks=[])
    segment = stored_segment(tmp_path, camera)
    assert renditions.masked_segment_name(segment) == segment.storage_name
    assert renders.calls == 0


def test_a_rendition_is_made_once_and_a_mask_change_makes_a_new_one(
        tmp_path, camera, recordings_root, monkeypatch) -> None:
    renders = CountedRenders(monkeypatch)
    segment = stored_segment(tmp_path, camera)
    name = renditions.masked_segment_name(segment)
    assert name.startswith(f"renditions/{camera.pk}/{segment.pk}-") and name.endswith(".mp4")
    with av.open(str(recordings_root / name)) as container:
        assert len(container.streams.audio) == 0
        assert sum(1 for _ in container.decode(video=0)) == 10
    assert renditions.masked_segment_name(segment) == name
    assert renders.calls == 1  # the second time from the cache
    # New masks: a new rendition; the old one is never served for them.
    camera.privacy_masks = OTHER_MASK
    camera.save()
    changed = renditions.masked_segment_name(segment)
    assert changed != name and renders.calls == 2
    assert (recordings_root / changed).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_render_once(tmp_path, camera, monkeypatch) -> None:
    renders = CountedRenders(monkeypatch)
    segment = stored_segment(tmp_path, camera)
    refused: list[str] = []

    class WatchedCache:
        """The cache as the renditions module uses it, noting every lock found taken."""

        def get(self, key):
            return cache.get(key)

        def delete(self, key):
            return cache.delete(key)

        def add(self, key, value, timeout):
            taken = cache.add(key, value, timeout)
            if not taken:
                refused.append(key)
            return taken

    monkeypatch.setattr(renditions, "cache", WatchedCache())
    # The render goes on only once every other request has found the lock taken.
    renders.before = lambda: wait_until(lambda: len(refused) >= 3, 30, what="waiters")
    names: list[str] = []

    def request() -> None:
        try:
            names.append(renditions.masked_segment_name(segment))
        finally:
            connection.close()  # each thread's own connection, not left to the teardown

    threads = [threading.Thread(target=request) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(names) == 4 and len(set(names)) == 1
    assert renders.calls == 1


def test_the_quota_evicts_the_oldest_renditions(tmp_path, camera, recordings_root,
                                                settings) -> None:
    segments = [stored_segment(tmp_path, camera, datetime.now(UTC) - timedelta(minutes=m))
                for m in (3, 2, 1)]
    first = renditions.masked_segment_name(segments[0])
    size = (recordings_root / first).stat().st_size
    past = (datetime.now(UTC) - timedelta(hours=1)).timestamp()
    os.utime(recordings_root / first, (past, past))
    settings.RECORDINGS_RENDITIONS_QUOTA_BYTES = 2 * size + size // 2
    second = renditions.masked_segment_name(segments[1])
    assert (recordings_root / first).exists()  # two fit
    third = renditions.masked_segment_name(segments[2])
    assert not (recordings_root / first).exists()  # the oldest went for the third
    assert (recordings_root / second).exists() and (recordings_root / third).exists()
    # Asked again, the evicted one is made again.
    assert renditions.masked_segment_name(segments[0]) == first


def test_retention_deletes_a_segments_renditions_and_the_orphan_sweep_keeps_them(
        tmp_path, camera, recordings_root, settings) -> None:
    settings.RECORDINGS_QUOTA_BYTES = 0
    camera.recording_days = 2
    camera.save()
    now = datetime.now(UTC)
    old = stored_segment(tmp_path, camera, now - timedelta(days=3))
    recent = stored_segment(tmp_path, camera, now - timedelta(hours=1))
    old_name, recent_name = (renditions.masked_segment_name(s) for s in (old, recent))
    past = (now - timedelta(hours=3)).timestamp()
    os.utime(recordings_root / recent_name, (past, past))
    assert services.sweep_orphans(now - timedelta(hours=1)) == []
    assert services.apply_retention(now).delete == [old.pk]
    assert not (recordings_root / old_name).exists()
    assert (recordings_root / recent_name).exists()


def test_the_retention_task_sweeps_renditions_of_segments_deleted_otherwise(
        tmp_path, camera, recordings_root) -> None:
    segment = stored_segment(tmp_path, camera)
    name = renditions.masked_segment_name(segment)
    RecordingSegment.objects.filter(pk=segment.pk).delete()  # as its camera's deletion does
    tasks.retention()
    assert not (recordings_root / name).exists()


def test_a_segment_over_the_bounds_is_refused_and_nothing_is_kept(
        tmp_path, camera, recordings_root, settings) -> None:
    segment = stored_segment(tmp_path, camera)
    settings.RECORDINGS_SEGMENT_SECONDS = 0.25  # renditions cover twice that at most
    with pytest.raises(renditions.RenditionError, match=r"longer than the 0\.5 s"):
        renditions.masked_segment_name(segment)
    assert not (recordings_root / "renditions").exists() or not any(
        path.is_file() for path in (recordings_root / "renditions").rglob("*"))
    settings.RECORDINGS_SEGMENT_SECONDS = 60.0
    assert renditions.masked_segment_name(segment)  # the lock was given back


def test_a_busy_process_refuses_rather_than_queueing_forever(tmp_path, camera,
                                                             monkeypatch) -> None:
    segment = stored_segment(tmp_path, camera)
    monkeypatch.setattr(renditions, "WAIT_SECONDS", 0.0)
    slots = renditions._worker_slots()
    assert slots.acquire(timeout=1)
    try:
        with pytest.raises(renditions.RenditionBusy):
            renditions.masked_segment_name(segment)
    finally:
        slots.release()
