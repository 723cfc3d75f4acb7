"""A watcher on real streams from the camera simulator (MJPEG over HTTP and RTSP/H.264)."""

from __future__ import annotations

import threading
import time
from datetime import time as clock

import pytest

from apps.alerts.models import Alert, AlertEvidence
from apps.cameras.models import (
    Camera,
    CameraHealth,
    CameraStateChange,
    Orientation,
    TimelineFrame,
)
from apps.camsim import CameraSpec, Simulator
from apps.camsim.scene import SceneState
from apps.streams import frames
from apps.streams.leases import DatabaseLeases
from apps.streams.watcher import Watcher
from tests.waiting import wait_until


@pytest.fixture(scope="module")
def simulator():
    specs = [
        CameraSpec("gate", 640, 360, 10.0, 800_000, SceneState(), seed=1),
        CameraSpec("yard", 640, 360, 10.0, 800_000, SceneState(night=True), seed=2),
    ]
    with Simulator(specs) as sim:
        yield sim


@pytest.fixture(autouse=True)
def _short_evidence_clips(settings):
    settings.CAMERA_EVIDENCE_BEFORE = 6.0
    settings.CAMERA_EVIDENCE_AFTER = 6.0
    settings.CAMERA_OFFLINE_ALERT_AFTER = 6.0


@pytest.fixture
def run_watcher():
    watchers = []

    def start(camera: Camera) -> Watcher:
        watcher = Watcher(camera.pk, store=DatabaseLeases(), holder="test")
        thread = threading.Thread(target=watcher.run, daemon=True)
        thread.start()
        watchers.append((watcher, thread))
        return watcher

    yield start
    for watcher, thread in watchers:
        watcher.stop_event.set()
        thread.join(timeout=15)


def _camera(world, url: str, kind: str, **extra) -> Camera:
    return Camera.objects.create(
        facility=world.a.facilities["warehouse"], name=f"Gudang {kind}", source_kind=kind,
        url=url, orientation=Orientation.OUTWARD, idle_snapshot_interval=1.0,
        timeline_interval=2, **extra)


def _online(camera):
    health = CameraHealth.objects.filter(camera=camera).first()
    return health if health and health.state == "online" and health.fps else None


def _analysed_for(camera, seconds: float, timeout: float = 30) -> None:
    """Wait until the watcher has analysed `seconds` of the stream. The pipeline saves a
    timeline frame (every `timeline_interval`) after running the motion and tamper detectors
    on it, so the span of the saved timeline proves every frame up to its end was analysed."""

    def span() -> bool:
        taken = TimelineFrame.objects.filter(camera=camera).values_list("taken_at", flat=True)
        return len(taken) > 1 and (max(taken) - min(taken)).total_seconds() >= seconds

    wait_until(span, timeout=timeout, interval=0.2, what=f"{seconds} s of the stream analysed")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["mjpeg", "rtsp"])
def test_camera_on_the_simulator_goes_online_with_its_fps(world, simulator, run_watcher, kind):
    url = simulator.urls("gate")[kind]
    camera = _camera(world, url, kind)
    run_watcher(camera)
    # The first second after connecting can burst (buffered frames): wait for the real pace.
    wait_until(lambda: (h := _online(camera)) and 8 <= h.fps <= 12, timeout=20)
    assert wait_until(lambda: frames.read_latest(camera.pk), timeout=10)[0][:2] == b"\xff\xd8"
    assert CameraStateChange.objects.filter(camera=camera, state="online").exists()


@pytest.mark.django_db(transaction=True)
def test_covering_the_lens_raises_one_tamper_alert_with_evidence(world, simulator, run_watcher):
    camera = _camera(world, simulator.urls("gate")["mjpeg"], "mjpeg")
    run_watcher(camera)
    wait_until(lambda: _online(camera), timeout=20)
    _analysed_for(camera, 4)  # the tamper detector learns the scene (3 s at the stream's pace)
    simulator.control("gate", "cover")
    started = time.monotonic()
    alert = wait_until(lambda: Alert.objects.filter(camera=camera, kind="tamper").first(),
                       timeout=12)
    assert time.monotonic() - started <= 10 + 1
    assert alert.params["tamper"] == "covered"
    simulator.control("gate", "uncover")
    wait_until(lambda: AlertEvidence.objects.filter(alert=alert).count() >= 5, timeout=30)
    assert Alert.objects.filter(camera=camera, kind="tamper").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_person_at_night_while_armed_raises_motion_with_before_and_after(
        world, simulator, run_watcher):
    camera = _camera(world, simulator.urls("yard")["mjpeg"], "mjpeg",
                     armed_from=clock(0, 0), armed_until=clock(23, 59, 59))
    run_watcher(camera)
    wait_until(lambda: _online(camera), timeout=20)
    _analysed_for(camera, 4)  # past the motion detector's settling, over a static scene
    assert not Alert.objects.filter(camera=camera, kind="motion").exists()
    simulator.control("yard", "person")
    alert = wait_until(lambda: Alert.objects.filter(camera=camera, kind="motion").first(),
                       timeout=15)
    evidence = wait_until(lambda: list(AlertEvidence.objects.filter(alert=alert))
                          if AlertEvidence.objects.filter(alert=alert, offset_seconds__gt=4)
                          .exists() else None, timeout=20)
    offsets = [e.offset_seconds for e in evidence]
    assert min(offsets) < 0 < max(offsets)
    simulator.control("yard", "empty")


@pytest.mark.django_db(transaction=True)
# After each fault the camera must come back within the reconnect backoff's 10 s cap.
@pytest.mark.parametrize("fault", ["stall", "refuse", "garbage"])
def test_a_failing_camera_goes_offline_and_alerts_while_the_other_keeps_streaming(
        world, simulator, run_watcher, fault):
    broken = _camera(world, simulator.urls("gate")["mjpeg"], "mjpeg")
    healthy = _camera(world, simulator.urls("yard")["mjpeg"], "mjpeg")
    run_watcher(broken)
    run_watcher(healthy)
    wait_until(lambda: _online(broken) and _online(healthy), timeout=45)
    simulator.control("gate", fault)
    try:
        # 6 s without frames here (the read timeout and reconnections are within it), and
        # room for a loaded machine; how soon, with the defaults, is bench.offline_bench's.
        alert = wait_until(
            lambda: Alert.objects.filter(camera=broken, kind="camera_offline").first(),
            timeout=30)
        assert CameraHealth.objects.get(camera=broken).state == "offline"
        assert _online(healthy), "the other camera of the worker must keep streaming"
        assert Alert.objects.filter(camera=broken, kind="camera_offline").count() == 1
    finally:
        simulator.control("gate", "restore")
    # Back within the backoff's cap (10 s), a connect and the first health flush.
    wait_until(lambda: _online(broken), timeout=20)
    assert alert.pk


@pytest.fixture
def full_media(tmp_path, settings):
    """MEDIA_ROOT on a small tmpfs filled to the last byte (the test plan's T-FI-17)."""
    import subprocess

    media = tmp_path / "full-media"
    media.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(media)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    filler = media / "filler"
    try:
        with open(filler, "wb") as handle:
            while True:
                handle.write(b"\0" * 4096)
                handle.flush()
    except OSError:
        pass  # ENOSPC: the disk is full
    settings.MEDIA_ROOT = media
    try:
        yield filler
    finally:
        subprocess.run(["umount", "-l", str(media)], check=False)


@pytest.mark.django_db(transaction=True)
def test_a_full_media_disk_is_alerted_once_while_live_view_and_patrols_go_on(
        world, simulator, run_watcher, full_media, monkeypatch):
    import uuid

    from apps.core import push
    from apps.records.models import Checkpoint
    from apps.records.services.patrols import VisitInput, patrol_visit_record
    from apps.records.tokens import checkpoint_token, new_code

    published: list[float] = []
    real_publish = push.camera_frame

    def publish_and_count(camera_id, jpeg, taken_at):
        published.append(time.monotonic())
        real_publish(camera_id, jpeg, taken_at)

    monkeypatch.setattr(push, "camera_frame", publish_and_count)
    camera = _camera(world, simulator.urls("gate")["mjpeg"], "mjpeg")
    run_watcher(camera)
    alert = wait_until(lambda: Alert.objects.filter(camera=camera, kind="storage").first(),
                       timeout=20)
    assert alert.severity == Alert.Severity.HIGH
    alerted = time.monotonic()
    wait_until(lambda: sum(at > alerted for at in published) >= 3, timeout=10)  # live goes on
    # Health is flushed every HEALTH_FLUSH_SECONDS, so the first flush may still be pending.
    assert wait_until(lambda: _online(camera), timeout=10)
    assert frames.read_latest(camera.pk) is None  # nothing half-written on the full disk

    checkpoint = Checkpoint.objects.create(facility=world.a.facilities["kpu_office"],
                                           name="Gerbang", code=new_code())
    saved = patrol_visit_record(user=world.a.users["field_polri"], entry=VisitInput(
        client_key=uuid.uuid4(), token=checkpoint_token(checkpoint)))
    assert saved.created  # patrol logging does not depend on the media disk

    full_media.unlink()  # space again: snapshots are written from the next one on
    assert wait_until(lambda: frames.read_latest(camera.pk), timeout=10)
    assert Alert.objects.filter(camera=camera, kind="storage").count() == 1
