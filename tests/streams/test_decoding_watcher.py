"""A watcher decodes what its camera needs (apps.vision.decoding): keyframes while nobody
needs more (a passthrough viewer, who gets the camera's own video, needs no more either),
every keyframe for a live viewer they serve, every frame while it is armed, has an open event
or is watched live faster than its keyframes come, on real RTSP/H.264 streams from the
simulator."""

from __future__ import annotations

import io
import threading
import time
from datetime import time as clock

import av
import pytest

from apps.alerts.models import Alert
from apps.cameras.models import Camera, CameraHealth, Orientation
from apps.camsim import CameraSpec, Simulator
from apps.camsim.scene import SceneState
from apps.core import push
from apps.streams.leases import DatabaseLeases
from apps.streams.livestate import Need, is_live, mark_live
from apps.streams.watcher import Watcher
from apps.vision.decoding import DecodeMode, DecodeSwitch
from apps.vision.livemux import split_boxes
from tests.waiting import wait_until


@pytest.fixture(scope="module")
def simulator():
    specs = [CameraSpec("idle", 320, 180, 10.0, 300_000, SceneState(), seed=3)]
    with Simulator(specs) as sim:
        yield sim


@pytest.fixture(autouse=True)
def _short_evidence_clips(settings):
    settings.CAMERA_EVIDENCE_BEFORE = 4.0
    settings.CAMERA_EVIDENCE_AFTER = 4.0


@pytest.fixture
def watch():
    running: list[tuple[Watcher, threading.Thread]] = []

    def start(camera: Camera) -> Watcher:
        watcher = Watcher(camera.pk, store=DatabaseLeases(), holder="test")
        thread = threading.Thread(target=watcher.run, daemon=True)
        thread.start()
        running.append((watcher, thread))
        return watcher

    yield start
    for watcher, thread in running:
        watcher.stop_event.set()
        thread.join(timeout=15)


def _camera(world, url: str, **extra) -> Camera:
    extra.setdefault("idle_snapshot_interval", 1.0)
    return Camera.objects.create(
        facility=world.a.facilities["warehouse"], name="Gudang rtsp", source_kind="rtsp",
        url=url, orientation=Orientation.OUTWARD, **extra)


def _switch(watcher: Watcher) -> DecodeSwitch:
    return wait_until(lambda: watcher.decoding, timeout=10, what="a reading session")


def _decoding(watcher: Watcher, mode: DecodeMode) -> bool:
    return watcher.decoding is not None and watcher.decoding.effective == mode


class Published:
    """The live pictures a watcher publishes: (monotonic time, packets its reader had read
    by then)."""

    def __init__(self, monkeypatch) -> None:
        self.pictures: list[tuple[float, int]] = []
        self.watcher: Watcher | None = None
        real_publish = push.camera_frame

        def publish_and_note(camera_id, jpeg, taken_at):
            switch = self.watcher.decoding
            self.pictures.append((time.monotonic(), switch.decoded + switch.skipped))
            real_publish(camera_id, jpeg, taken_at)

        monkeypatch.setattr(push, "camera_frame", publish_and_note)


@pytest.mark.django_db(transaction=True)
def test_an_idle_camera_decodes_keyframes_until_someone_watches_it_live(
        world, simulator, watch, monkeypatch):
    published = Published(monkeypatch)
    camera = _camera(world, simulator.urls("idle")["rtsp"])
    watcher = published.watcher = watch(camera)
    switch = _switch(watcher)
    assert switch.wanted == DecodeMode.KEYFRAMES
    wait_until(lambda: switch.skipped >= 30, timeout=15, what="packets left undecoded")
    # Health counts the frames received, not the ones decoded: the camera is online at 10 fps,
    # with the keyframe a second its camera page shows.
    wait_until(lambda: (h := CameraHealth.objects.filter(camera=camera).first())
               and h.state == "online" and 8 <= h.fps <= 12
               and h.keyframe_interval is not None and 0.8 <= h.keyframe_interval <= 1.2,
               timeout=15)

    # A viewer opens the tile, then leaves. Its live pictures (one a second) are the
    # keyframes (one a second): each is decoded, none of the frames between them.
    opened = time.monotonic()
    mark_live([camera.pk], seconds=6.0)
    read_when_opened = switch.decoded + switch.skipped
    first = wait_until(lambda: next((packets for at, packets in published.pictures
                                     if at >= opened), None),
                       timeout=10, what="a first live picture")
    # ... the first of them from the first keyframe after the tile opened (10 packets each).
    assert first - read_when_opened <= 10
    wait_until(lambda: _decoding(watcher, DecodeMode.EVERY_KEYFRAME), timeout=8,
               what="every keyframe decoded")
    decoded, skipped, pictures = switch.decoded, switch.skipped, len(published.pictures)
    wait_until(lambda: switch.decoded >= decoded + 3, timeout=5, what="three keyframes")
    assert switch.effective == DecodeMode.EVERY_KEYFRAME
    assert switch.skipped - skipped <= 9 * (switch.decoded - decoded)
    # A live picture from each.
    assert len(published.pictures) - pictures >= switch.decoded - decoded - 1
    wait_until(lambda: _decoding(watcher, DecodeMode.KEYFRAMES), timeout=15,
               what="keyframes again once the viewer left")


@pytest.mark.django_db(transaction=True)
def test_a_live_view_faster_than_the_keyframes_decodes_every_frame(world, simulator, watch):
    # Two pictures a second from a keyframe a second.
    camera = _camera(world, simulator.urls("idle")["rtsp"], snapshot_interval=0.5)
    watcher = watch(camera)
    switch = _switch(watcher)
    wait_until(lambda: switch.keyframe_interval is not None, timeout=15)
    mark_live([camera.pk], seconds=4.0)
    wait_until(lambda: _decoding(watcher, DecodeMode.FULL), timeout=8, what="full decoding")
    decoded = switch.decoded
    wait_until(lambda: switch.decoded >= decoded + 10, timeout=5, what="every frame decoded")
    wait_until(lambda: _decoding(watcher, DecodeMode.KEYFRAMES), timeout=15,
               what="keyframes again once the viewer left")


@pytest.mark.django_db(transaction=True)
def test_an_armed_camera_decodes_every_frame(world, simulator, watch):
    camera = _camera(world, simulator.urls("idle")["rtsp"],
                     armed_from=clock(0, 0), armed_until=clock(23, 59, 59))
    switch = _switch(watch(camera))
    assert switch.wanted == DecodeMode.FULL
    wait_until(lambda: switch.decoded >= 30, timeout=15)
    assert switch.skipped == 0


@pytest.mark.django_db(transaction=True)
def test_an_open_tamper_event_decodes_in_full_until_it_clears(world, simulator, watch):
    camera = _camera(world, simulator.urls("idle")["rtsp"])
    watcher = watch(camera)
    switch = _switch(watcher)
    wait_until(lambda: switch.decoded >= 6, timeout=20, what="the scene learnt on keyframes")
    simulator.control("idle", "cover")
    try:
        wait_until(lambda: Alert.objects.filter(camera=camera, kind="tamper").exists(),
                   timeout=12, what="the covered lens reported from keyframes")
        wait_until(lambda: _decoding(watcher, DecodeMode.FULL), timeout=6)
    finally:
        simulator.control("idle", "uncover")
    wait_until(lambda: _decoding(watcher, DecodeMode.KEYFRAMES), timeout=25,
               what="keyframes again once the report cleared")


@pytest.mark.django_db(transaction=True)
def test_a_passthrough_viewer_gets_the_video_and_the_camera_stays_in_keyframe_mode(
        world, simulator, watch, monkeypatch):
    sent: list[tuple[bytes, bytes | None, str | None]] = []
    real_send = push.camera_video

    def send_and_note(camera_id, fragment, received, *, init=None, codec=None):
        sent.append((fragment, init, codec))
        real_send(camera_id, fragment, received, init=init, codec=codec)

    monkeypatch.setattr(push, "camera_video", send_and_note)
    # The default idle snapshot interval: looks as far apart as an idle camera's.
    camera = _camera(world, simulator.urls("idle")["rtsp"], idle_snapshot_interval=10.0)
    watcher = watch(camera)
    switch = _switch(watcher)
    wait_until(lambda: switch.skipped >= 10, timeout=15, what="keyframe mode")
    assert not sent  # nobody asked: nothing muxed
    mark_live([camera.pk], seconds=60.0, need=Need.PACKETS)
    # A message every 0.2 s of video (apps.vision.livemux.BATCH_SECONDS).
    wait_until(lambda: len(sent) >= 10, timeout=20, what="two seconds of video")
    decoded, skipped = switch.decoded, switch.skipped
    wait_until(lambda: len(sent) >= 20, timeout=20, what="two more seconds")
    assert not is_live(camera.pk) and switch.effective == DecodeMode.KEYFRAMES
    # Two seconds at 10 fps, a keyframe a second: an idle look (one per 10 s) at most.
    assert switch.decoded - decoded <= 2 and switch.skipped - skipped >= 15
    # The video begins at a keyframe with its init segment and codec, and decodes back.
    _first, init, codec = sent[0]
    assert init is not None and init[4:8] == b"ftyp" and codec.startswith("avc1.")
    assert all(f[4:8] == b"moof" for f, _, _ in sent)
    fragments = sum(kind == b"moof" for f, _, _ in sent for kind, _box in split_boxes(f)[0])
    with av.open(io.BytesIO(init + b"".join(f for f, _, _ in sent))) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == fragments >= 40
    assert sum(1 for _, key_init, _ in sent if key_init is not None) >= 4
