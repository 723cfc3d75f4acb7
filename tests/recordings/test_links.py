"""Segments and alerts linked by time (apps.recordings.links), and a wall clock that jumps
never corrupting a camera's index (apps.recordings.services)."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from apps.alerts.models import Alert
from apps.alerts.services import alert_raise
from apps.cameras.models import Camera
from apps.recordings import services
from apps.recordings.models import RecordingSegment
from apps.vision.recording import Segment


@pytest.fixture
def camera(world) -> Camera:
    return Camera.objects.create(facility=world.a.facilities["warehouse"], name="Gerbang",
                                 source_kind="rtsp", url="rtsp://192.168.60.20/1")


def finished(tmp_path: Path, start: datetime, seconds: float = 60.0) -> Segment:
    path = tmp_path / f"{len(list(tmp_path.glob('*.mp4')))}.mp4"
    path.write_bytes(b"\0\0\0\x18ftypiso6")
    return Segment(path, start, start + timedelta(seconds=seconds), 12,
                   hashlib.sha256(b"\0\0\0\x18ftypiso6").hexdigest(), 10)


def motion_alert(camera: Camera, first: datetime, last: datetime | None = None) -> Alert:
    return Alert.objects.create(
        kind=Alert.Kind.MOTION, severity=3, facility=camera.facility, camera=camera,
        title="Gerak", dedup_key=f"m{camera.pk}:{first.timestamp()}", first_raised_at=first,
        last_raised_at=last or first)


def linked(row: RecordingSegment) -> list[int]:
    return sorted(row.alerts.values_list("pk", flat=True))


def test_a_segment_stored_after_an_alert_is_linked_to_it(tmp_path, camera, world) -> None:
    now = datetime.now(UTC)
    alert = motion_alert(camera, now - timedelta(seconds=30))
    other_camera = Camera.objects.create(facility=camera.facility, name="Lain",
                                         source_kind="rtsp", url="rtsp://192.168.60.21/1")
    motion_alert(other_camera, now - timedelta(seconds=30))
    during = services.segment_recorded(
        camera.pk, finished(tmp_path, now - timedelta(seconds=60), 40))
    # Within the 20 s after the alert: linked; an hour later: not.
    after = services.segment_recorded(
        camera.pk, finished(tmp_path, now - timedelta(seconds=20), 10))
    later = services.segment_recorded(camera.pk, finished(tmp_path, now + timedelta(hours=1)))
    assert linked(during) == linked(after) == [alert.pk]
    assert linked(later) == []


def test_an_alert_links_the_segments_stored_in_its_ten_seconds_before(
        tmp_path, camera, django_capture_on_commit_callbacks) -> None:
    now = datetime.now(UTC)
    before = services.segment_recorded(camera.pk, finished(tmp_path, now - timedelta(seconds=68)))
    older = services.segment_recorded(camera.pk, finished(tmp_path, now - timedelta(minutes=5)))
    with django_capture_on_commit_callbacks(execute=True):
        alert, _ = alert_raise(kind=Alert.Kind.TAMPER, severity=3, facility=camera.facility,
                               camera=camera, dedup_key="camera:tamper", title="Ditutup")
    assert linked(before) == [alert.pk]  # ended 8 s before the alert
    assert linked(older) == []


def test_an_alert_raised_again_reaches_back_into_the_segment_before(tmp_path, camera) -> None:
    now = datetime.now(UTC)
    alert = motion_alert(camera, now - timedelta(seconds=200))
    first = services.segment_recorded(camera.pk, finished(tmp_path, now - timedelta(seconds=65)))
    assert linked(first) == []
    Alert.objects.filter(pk=alert.pk).update(last_raised_at=now)  # raised again now
    second = services.segment_recorded(camera.pk, finished(tmp_path, now - timedelta(seconds=5)))
    first.refresh_from_db()
    assert linked(first) == linked(second) == [alert.pk]


def spans(camera: Camera) -> list[tuple[datetime, datetime]]:
    return list(RecordingSegment.objects.filter(camera=camera).order_by("start", "pk")
                .values_list("start", "end"))


@pytest.mark.parametrize(("jump", "fourth_at"), [
    (timedelta(seconds=-30), timedelta(minutes=3)),  # would overlap: right after the third
    (timedelta(hours=-1), timedelta(minutes=-57)),  # overlaps nothing: where the clock says
    (timedelta(hours=2), timedelta(hours=2, minutes=3)),  # forward: a gap
])
def test_a_wall_clock_jump_never_corrupts_the_index(tmp_path, camera, jump,
                                                    fourth_at) -> None:
    """Each segment starts at the wall clock when its first keyframe came and lasts as long
    as its stream says: a clock set back would overlap what is stored (it is placed after
    it; the recorder keeps one session's segments in order, tests/vision), a clock set
    forward leaves a gap. No segment of a camera ends before it starts or overlaps another."""
    t0 = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    for index in range(3):
        services.segment_recorded(camera.pk, finished(tmp_path, t0 + timedelta(minutes=index)))
    for index in range(3, 6):  # the clock jumped before the fourth segment began
        services.segment_recorded(
            camera.pk, finished(tmp_path, t0 + jump + timedelta(minutes=index)))
    stored = spans(camera)
    assert len(stored) == 6
    for start, end in stored:
        assert end - start == timedelta(seconds=60)
    for (_, end), (start, _) in itertools.pairwise(stored):
        assert start >= end  # no overlap
    fourth = RecordingSegment.objects.filter(camera=camera).order_by("pk")[3]
    assert fourth.start == t0 + fourth_at
