"""A watcher records its camera by its recording mode, from its own connection, into the
recordings storage and index (apps.streams.recording)."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import av
import pytest
from django.db import connection
from django.urls import reverse

from apps.alerts.models import Alert
from apps.cameras.models import Camera, CameraHealth, Orientation, RecordingMode, TimelineFrame
from apps.camsim import CameraSpec, Simulator
from apps.camsim.scene import SceneState
from apps.recordings.models import RecordingSegment
from apps.streams.leases import DatabaseLeases
from apps.streams.watcher import Watcher
from tests.waiting import wait_until


@pytest.fixture(scope="module")
def simulator():
    with Simulator([CameraSpec("gate", 320, 180, 10.0, 400_000, SceneState(), seed=1)]) as sim:
        yield sim


@pytest.fixture(autouse=True)
def recordings(settings, tmp_path) -> Path:
    root = tmp_path / "recordings"
    settings.STORAGES = {**settings.STORAGES, "recordings": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(root)}}}
    settings.RECORDINGS_SPOOL = str(tmp_path / "spool")
    settings.RECORDINGS_SEGMENT_SECONDS = 2.0
    settings.CAMERA_EVIDENCE_BEFORE = 3.0
    settings.CAMERA_EVIDENCE_AFTER = 3.0
    return root


@pytest.fixture
def watch():
    running = []

    def start(camera: Camera) -> None:
        watcher = Watcher(camera.pk, store=DatabaseLeases(), holder="test")
        thread = threading.Thread(target=watcher.run, daemon=True)
        thread.start()
        running.append((watcher, thread))

    yield start
    for watcher, thread in running:
        watcher.stop_event.set()
        thread.join(timeout=40)


def _camera(world, url: str, kind: str, mode: str) -> Camera:
    return Camera.objects.create(
        facility=world.a.facilities["warehouse"], name=f"Gudang {kind}", source_kind=kind,
        url=url, orientation=Orientation.OUTWARD, recording_mode=mode)


@pytest.mark.django_db(transaction=True)
def test_a_continuous_camera_is_recorded_by_stream_copy_into_storage(
        world, simulator, watch, recordings) -> None:
    camera = _camera(world, simulator.urls("gate")["rtsp"], "rtsp", RecordingMode.CONTINUOUS)
    watch(camera)
    wait_until(lambda: RecordingSegment.objects.filter(camera=camera).count() >= 2, timeout=30,
               what="two stored segments")
    for row in RecordingSegment.objects.filter(camera=camera)[:2]:
        path = recordings / row.storage_name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == row.sha256
        assert row.bytes == path.stat().st_size
        assert (row.end - row.start).total_seconds() <= 2.05
        with av.open(str(path)) as container:
            first = next(p for p in container.demux(video=0) if p.size)
            assert first.is_keyframe and container.streams.video[0].codec_context.name == "h264"


@pytest.mark.django_db(transaction=True)
def test_a_camera_that_records_nothing_writes_nothing(world, simulator, watch,
                                                      tmp_path) -> None:
    camera = _camera(world, simulator.urls("gate")["rtsp"], "rtsp", RecordingMode.OFF)
    watch(camera)
    wait_until(lambda: CameraHealth.objects.filter(camera=camera, state="online").exists(),
               timeout=20, what="online")
    wait_until(lambda: CameraHealth.objects.get(camera=camera).fps, timeout=10, what="fps")
    assert not (tmp_path / "spool").exists()
    assert not RecordingSegment.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_events_only_records_around_a_tamper_alert(world, simulator, watch) -> None:
    camera = _camera(world, simulator.urls("gate")["mjpeg"], "mjpeg", RecordingMode.EVENTS)
    watch(camera)
    wait_until(lambda: CameraHealth.objects.filter(camera=camera, state="online").exists(),
               timeout=20, what="online")
    assert not RecordingSegment.objects.exists()
    simulator.control("gate", "cover")
    try:
        row = wait_until(lambda: RecordingSegment.objects.filter(camera=camera).first(),
                         timeout=40, what="the event's segment")
    finally:
        simulator.control("gate", "uncover")
    assert row.has_tamper


@pytest.mark.django_db(transaction=True)
def test_what_a_killed_worker_left_in_the_spool_is_stored_at_the_next_start(
        world, simulator, tmp_path, recordings) -> None:
    from apps.camsim.clip import write_clip
    from apps.streams.recording import camera_recorder, spool_folder
    from tests.vision.helpers import scene_frames

    camera = _camera(world, simulator.urls("gate")["rtsp"], "rtsp", RecordingMode.OFF)
    folder = spool_folder(camera.pk)
    folder.mkdir(parents=True)
    clip = tmp_path / "clip.mp4"
    write_clip(clip, (frame for _, frame in scene_frames(2.0, 10.0)), 10.0)
    with av.open(str(clip)) as source:
        from apps.vision.recording import SegmentWriter

        writer = SegmentWriter(source.streams.video[0], folder)
        for packet in source.demux(video=0):
            if packet.dts is not None:
                writer.write(packet)
        left = writer.close()
    assert left is not None
    (folder / "20261207T000000000000Z.mp4").write_bytes(b"killed before its first fragment")
    assert camera_recorder(camera) is None  # off: nothing records, but the leftovers go in
    row = RecordingSegment.objects.get(camera=camera)
    assert (row.sha256, row.packets) == (left.sha256, 20)
    assert (recordings / row.storage_name).exists()
    assert not any(folder.iterdir())


@pytest.mark.django_db(transaction=True)
def test_an_unarmed_camera_s_segments_are_marked_when_someone_walks_by(
        world, simulator, watch, client) -> None:
    # Unarmed and unwatched: it decodes keyframes only, and the coarse motion marker marks its
    # segments from them (apps.vision.pipeline).
    camera = _camera(world, simulator.urls("gate")["rtsp"], "rtsp", RecordingMode.CONTINUOUS)
    watch(camera)
    segments = RecordingSegment.objects.filter(camera=camera)
    wait_until(lambda: segments.count() >= 4, timeout=30, what="segments of the still gate")
    assert not segments.filter(has_motion=True).exists()
    simulator.control("gate", "person")
    try:
        wait_until(lambda: segments.filter(has_motion=True).exists(), timeout=30,
                   what="a segment marked with motion")
    finally:
        simulator.control("gate", "empty")
    assert not Alert.objects.filter(camera=camera).exists()
    # The review page's timeline shows the mark.
    marked = segments.filter(has_motion=True).earliest("start")
    client.force_login(world.a.users["kpu"])
    answer = client.get(reverse("api:recording-timeline", args=[camera.pk]), {
        "start": marked.start.isoformat(), "end": marked.end.isoformat()})
    assert answer.status_code == 200, answer.content
    assert "motion" in {marker["kind"] for marker in answer.json()["markers"]}


@pytest.fixture
def pool_of_three():
    """This process's pool cut to three connections: the test's own and two for the
    watchers, as a streams worker has ten for its dozens of cameras."""
    if connection.vendor != "postgresql":
        pytest.skip("the connection pool is PostgreSQL's")
    options = connection.settings_dict["OPTIONS"]["pool"]
    saved = dict(options)

    def reopen(**changed) -> None:
        connection.close()
        connection.close_pool()
        options.update(changed)

    reopen(max_size=3, timeout=2)
    yield
    reopen(**saved)


_THREE = ("north", "south", "yard")


@pytest.fixture
def three_simulated():
    specs = [CameraSpec(name, 320, 180, 10.0, 300_000, SceneState(), seed=n)
             for n, name in enumerate(_THREE)]
    with Simulator(specs) as sim:
        yield sim


@pytest.mark.django_db(transaction=True)
def test_cameras_whose_threads_outnumber_the_pool_all_write_through_it(
        world, pool_of_three, three_simulated, watch, caplog) -> None:
    # Three cameras are nine threads (watcher, reader, recording), each writing now and then:
    # each may hold a connection only while it writes.
    cameras = [
        Camera.objects.create(
            facility=world.a.facilities["warehouse"], name=f"Gudang {name}", source_kind="rtsp",
            url=three_simulated.urls(name)["rtsp"], orientation=Orientation.OUTWARD,
            recording_mode=RecordingMode.CONTINUOUS, timeline_interval=1)
        for name in _THREE
    ]
    for camera in cameras:
        watch(camera)
    for camera in cameras:
        wait_until(lambda camera=camera: CameraHealth.objects.filter(
            camera=camera, state="online").exists(), timeout=30, what="health flushed")
        wait_until(lambda camera=camera: TimelineFrame.objects.filter(camera=camera).count() >= 2,
                   timeout=30, what="the reader's timeline frames")
        wait_until(lambda camera=camera: RecordingSegment.objects.filter(camera=camera).exists(),
                   timeout=30, what="a stored segment")
    assert not [r.getMessage() for r in caplog.records if "database unavailable" in r.getMessage()]
