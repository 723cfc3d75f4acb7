"""Masked renditions served for recorded segments (apps.recordings.renditions): made once per
segment (or piece of one) and current masks, on real segments stored like a watcher stores
them."""

from __future__ import annotations

import os
import sys
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
                   seconds: float = 1.0) -> RecordingSegment:
    start = start or datetime.now(UTC)
    return services.segment_recorded(
        camera.pk, recorded_segment(tmp_path / f"spool-{start:%H%M%S%f}", seconds, start=start))


def frames(path: Path) -> list[tuple[int, bool]]:
    """(pts in milliseconds, keyframe) of each frame of a file."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [(round(float(frame.pts * stream.time_base) * 1000), frame.key_frame)
                for frame in container.decode(stream)]


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


def test_each_piece_is_made_once_from_its_own_span_and_a_mask_change_makes_new_ones(
        tmp_path, camera, recordings_root, monkeypatch) -> None:
    renders = CountedRenders(monkeypatch)
    segment = stored_segment(tmp_path, camera, seconds=5.0)  # pieces of 2, 2 and 1 s
    assert renditions.piece(segment, 3) is None and renditions.piece(segment, -1) is None
    pieces = [renditions.piece(segment, index) for index in range(3)]
    assert [(p.start - segment.start, p.end - segment.start) for p in pieces] == [
        (timedelta(seconds=a), timedelta(seconds=b)) for a, b in ((0, 2), (2, 4), (4, 5))]
    names = [renditions.masked_piece_name(p) for p in pieces]
    assert [name.rsplit("-", 1)[1] for name in names] == ["0.mp4", "1.mp4", "2.mp4"]
    assert all(name.startswith(f"renditions/{camera.pk}/{segment.pk}-") for name in names)
    for name, count in zip(names, (20, 20, 10), strict=True):
        shown = frames(recordings_root / name)
        # Each plays from 0 with its own keyframe (its only one), 10 frames a second.
        assert shown == [(index * 100, index == 0) for index in range(count)]
        with av.open(str(recordings_root / name)) as container:
            assert len(container.streams.audio) == 0
    assert [renditions.masked_piece_name(p) for p in pieces] == names
    assert renders.calls == 3  # the second time from the cache
    assert renditions.masked_segment_name(segment) not in names  # exports: the whole file
    camera.privacy_masks = OTHER_MASK
    camera.save()
    assert renditions.masked_piece_name(pieces[0]) not in names and renders.calls == 5


def test_sweeping_waits_for_a_share_of_the_quota_to_be_rendered(
        tmp_path, camera, recordings_root, settings, monkeypatch) -> None:
    sweeps: list[str] = []
    monkeypatch.setattr(renditions, "sweep_renditions", lambda keep: sweeps.append(keep))
    monkeypatch.setattr(renditions, "_unswept", 0)
    segment = stored_segment(tmp_path, camera, seconds=5.0)
    first = renditions.masked_piece_name(renditions.piece(segment, 0))
    size = (recordings_root / first).stat().st_size
    # The next piece brings this process's renders to the share of the quota: one sweep.
    settings.RECORDINGS_RENDITIONS_QUOTA_BYTES = round(size * 1.5 / renditions.SWEEP_SHARE)
    second = renditions.masked_piece_name(renditions.piece(segment, 1))
    assert sweeps == [second]
    renditions.masked_piece_name(renditions.piece(segment, 1))  # cached: nothing rendered
    assert sweeps == [second]


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
    piece = renditions.masked_piece_name(renditions.piece(segment, 0))
    RecordingSegment.objects.filter(pk=segment.pk).delete()  # as its camera's deletion does
    tasks.retention()
    assert not (recordings_root / name).exists() and not (recordings_root / piece).exists()


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


@pytest.mark.skipif(sys.platform != "linux", reason="a thread's own priority is Linux's")
def test_the_next_piece_renders_at_a_lower_priority_than_what_someone_waits_for(
        tmp_path, camera, monkeypatch) -> None:
    renders = CountedRenders(monkeypatch)
    niceness: list[int] = []
    renders.before = lambda: niceness.append(
        os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
    segment = stored_segment(tmp_path, camera, seconds=5.0)
    renditions.masked_piece_name(renditions.piece(segment, 0))
    renditions.masked_piece_name(renditions.piece(segment, 1), ahead=True)
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert niceness == [own, min(19, own + renditions.AHEAD_NICENESS)]


def test_a_busy_process_refuses_rather_than_queueing_forever(tmp_path, camera,
                                                             monkeypatch) -> None:
    segment = stored_segment(tmp_path, camera, seconds=5.0)
    monkeypatch.setattr(renditions, "WAIT_SECONDS", 0.0)
    for ahead in (False, True):
        slots = renditions._worker_slots(ahead)
        assert slots.acquire(timeout=1)
        try:
            with pytest.raises(renditions.RenditionBusy):
                if ahead:
                    renditions.masked_piece_name(renditions.piece(segment, 1), ahead=True)
                else:
                    renditions.masked_segment_name(segment)
            # The player's next piece renders on a slot of its own, and what someone waits
            # for never waits behind it.
            other = renditions.piece(segment, 0 if ahead else 2)
            assert renditions.masked_piece_name(other, ahead=not ahead)
        finally:
            slots.release()
