"""A watcher's recording on a full disk and a worker's spool at its start (apps.streams
.recording): a full disk never stops live view or alerts, raises the storage alert, and
recording resumes by itself when space returns; a starting worker stores what its spool
holds for cameras not recorded on its host."""

from __future__ import annotations

import errno
import hashlib
import threading
from collections import namedtuple
from pathlib import Path

import av
import pytest

from apps.alerts.models import Alert
from apps.cameras.models import Camera, CameraHealth, Orientation, RecordingMode
from apps.camsim import CameraSpec, Simulator
from apps.camsim.clip import write_clip
from apps.camsim.scene import SceneState
from apps.recordings import capacity, tasks
from apps.recordings.models import RecordingSegment
from apps.streams.leases import DatabaseLeases
from apps.streams.recording import spool_folder, store_spool
from apps.streams.watcher import Watcher
from apps.vision import recording
from apps.vision.recording import SegmentWriter
from tests.vision.helpers import scene_frames
from tests.waiting import wait_until

Usage = namedtuple("Usage", "total used free")


@pytest.fixture(scope="module")
def simulator():
    with Simulator([CameraSpec("gate", 320, 180, 10.0, 400_000, SceneState(), seed=1)]) as sim:
        yield sim


@pytest.fixture(autouse=True)
def recordings(settings, tmp_path, monkeypatch) -> Path:
    root = tmp_path / "recordings"
    settings.STORAGES = {**settings.STORAGES, "recordings": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(root)}}}
    settings.RECORDINGS_SPOOL = str(tmp_path / "spool")
    settings.RECORDINGS_SEGMENT_SECONDS = 2.0
    # The disks as roomy as the test says (this machine's real ones are whatever they are).
    monkeypatch.setattr(capacity.shutil, "disk_usage", lambda path: Usage(100, 30, 70))
    return root


@pytest.fixture
def full_disk(monkeypatch) -> threading.Event:
    """While set, every write of a segment fails as on a full disk."""
    full = threading.Event()
    mux = recording._OpenSegment.mux

    def failing(self, packet, dts, pts) -> None:
        if full.is_set():
            raise OSError(errno.ENOSPC, "No space left on device")
        mux(self, packet, dts, pts)

    monkeypatch.setattr(recording._OpenSegment, "mux", failing)
    return full


def _camera(world, url: str, mode: str = RecordingMode.CONTINUOUS) -> Camera:
    return Camera.objects.create(
        facility=world.a.facilities["warehouse"], name="Gerbang", source_kind="rtsp", url=url,
        orientation=Orientation.OUTWARD, recording_mode=mode)


@pytest.mark.django_db(transaction=True)
def test_a_full_disk_never_stops_live_view_or_alerts_and_recording_resumes(
        world, simulator, full_disk) -> None:
    camera = _camera(world, simulator.urls("gate")["rtsp"])
    full_disk.set()
    watcher = Watcher(camera.pk, store=DatabaseLeases(), holder="test")
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        storage_alert = wait_until(
            lambda: Alert.objects.filter(kind=Alert.Kind.STORAGE, dedup_key=capacity.DEDUP_KEY,
                                         state=Alert.State.OPEN).first(),
            timeout=30, what="the storage alert")
        assert storage_alert.params["reason"] == "write"
        assert not RecordingSegment.objects.exists()
        # Live view goes on: frames arrive, health is written.
        health = wait_until(lambda: CameraHealth.objects.filter(
            camera=camera, state="online", fps__gt=0).first(), timeout=20, what="online")
        wait_until(lambda: CameraHealth.objects.get(camera=camera).last_frame_at
                   > health.last_frame_at, timeout=10, what="newer frames")
        # Alerts go on: covering the lens raises the tamper alert.
        simulator.control("gate", "cover")
        try:
            wait_until(lambda: Alert.objects.filter(camera=camera,
                                                    kind=Alert.Kind.TAMPER).exists(),
                       timeout=40, what="the tamper alert")
        finally:
            simulator.control("gate", "uncover")
        full_disk.clear()  # space again
        row = wait_until(lambda: RecordingSegment.objects.filter(camera=camera).first(),
                         timeout=30, what="recording resumed by itself")
    finally:
        watcher.stop_event.set()
        thread.join(timeout=40)
    with av.open(str(Path(capacity.storage().path(row.storage_name)))) as container:
        first = next(p for p in container.demux(video=0) if p.size)
        assert first.is_keyframe
    tasks.retention()  # the next check finds room: the alert resolves itself
    storage_alert.refresh_from_db()
    assert storage_alert.state == Alert.State.RESOLVED


def _left_segment(folder: Path, clip: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    with av.open(str(clip)) as source:
        writer = SegmentWriter(source.streams.video[0], folder)
        for packet in source.demux(video=0):
            if packet.dts is not None:
                writer.write(packet)
        left = writer.close()
    assert left is not None
    return left.sha256


@pytest.mark.django_db(transaction=True)
def test_a_starting_worker_stores_its_spool_for_cameras_not_recorded_here(
        world, tmp_path, recordings) -> None:
    clip = tmp_path / "clip.mp4"
    write_clip(clip, (frame for _, frame in scene_frames(2.0, 10.0)), 10.0)
    moved = _camera(world, "rtsp://192.168.60.20/1")  # now watched on another machine
    off = _camera(world, "rtsp://192.168.60.21/1", RecordingMode.OFF)  # turned off since
    here = _camera(world, "rtsp://192.168.60.22/1")  # a watcher on this host has it
    gone = _camera(world, "rtsp://192.168.60.23/1")
    sums = {camera.pk: _left_segment(spool_folder(camera.pk), clip)
            for camera in (moved, off, here, gone)}
    gone_folder = spool_folder(gone.pk)
    gone.delete()
    leases = DatabaseLeases()
    assert leases.acquire(moved.pk, "worker-b:41:7") is not None
    assert leases.acquire(here.pk, "worker-a:12:3") is not None

    assert store_spool(leases, "worker-a") == 2
    assert leases.holders([off.pk]) == {}  # leased for the sweep only
    stored = dict(RecordingSegment.objects.values_list("camera_id", "sha256"))
    assert stored == {moved.pk: sums[moved.pk], off.pk: sums[off.pk]}
    for row in RecordingSegment.objects.all():
        data = (recordings / row.storage_name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row.sha256
    assert not spool_folder(moved.pk).exists() and not spool_folder(off.pk).exists()
    assert any(spool_folder(here.pk).iterdir())  # left to the watcher writing it
    assert not gone_folder.exists()  # nothing to index it under: removed
