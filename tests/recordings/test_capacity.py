"""The recordings' storage alert (apps.recordings.capacity): one alert at 90 % of the quota
or of a disk holding recordings, or when a recording cannot be written; resolved when back
under; heard by whoever hears the facility's alerts (administrators included)."""

from __future__ import annotations

import hashlib
from collections import namedtuple
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.utils import translation

from apps.access import policy
from apps.alerts.models import Alert
from apps.cameras.models import Camera
from apps.recordings import capacity, services, tasks
from apps.recordings.models import RecordingSegment
from apps.vision.recording import Segment

Usage = namedtuple("Usage", "total used free")
KB = 1000


@pytest.fixture
def camera(world) -> Camera:
    return Camera.objects.create(facility=world.a.facilities["warehouse"], name="Gerbang",
                                 source_kind="rtsp", url="rtsp://192.168.60.20/1")


@pytest.fixture
def disk(monkeypatch) -> dict[str, float]:
    """The disks' fullness as the tests set it (the real one is whatever this machine has)."""
    state = {"full": 0.25}

    def usage(path) -> Usage:
        total = 1000
        used = round(total * state["full"])
        return Usage(total, used, total - used)

    monkeypatch.setattr(capacity.shutil, "disk_usage", usage)
    return state


def store(tmp_path: Path, camera: Camera, minutes_ago: int, size: int) -> RecordingSegment:
    start = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    path = tmp_path / f"{minutes_ago}.mp4"
    payload = bytes(size)
    path.write_bytes(payload)
    return services.segment_recorded(camera.pk, Segment(
        path, start, start + timedelta(seconds=60), size, hashlib.sha256(payload).hexdigest(),
        60))


def storage_alerts() -> list[Alert]:
    return list(Alert.objects.filter(kind=Alert.Kind.STORAGE))


def test_ninety_percent_of_the_quota_raises_one_alert_resolved_once_pruned(
        tmp_path, camera, disk, settings, world) -> None:
    settings.RECORDINGS_QUOTA_BYTES = 100 * KB
    for minutes in range(9, 0, -1):
        store(tmp_path, camera, minutes, 10 * KB)  # 90 KB: at the threshold, under the quota
    assert tasks.retention() == 0
    tasks.retention()  # checked again: still the one alert
    (alert,) = storage_alerts()
    assert alert.is_open and alert.camera_id is None
    assert alert.facility == camera.facility
    assert alert.params == {"msg": "recordings.storage", "reason": "quota", "percent": 90}
    with translation.override("id"):  # the portal's language
        assert alert.shown_title == "Penyimpanan rekaman hampir penuh (90 %)"
    with translation.override("en"):
        assert alert.shown_title == "Recording storage nearly full (90 %)"
    administrators = policy.users_who_may_view_alert(alert)
    assert world.a.users["admin"] in administrators
    assert world.a.users["operator"] in administrators  # the facility is in an operation
    store(tmp_path, camera, 0, 20 * KB)  # 110 KB: over, pruned oldest-first to 85 KB
    assert tasks.retention() == 3
    assert RecordingSegment.objects.count() == 7
    alert.refresh_from_db()
    assert alert.state == Alert.State.RESOLVED


def test_a_nearly_full_disk_raises_the_alert_and_room_resolves_it(tmp_path, camera, disk,
                                                                  settings) -> None:
    settings.RECORDINGS_QUOTA_BYTES = 0  # no quota: only the disk
    store(tmp_path, camera, 1, KB)
    disk["full"] = 0.93
    tasks.retention()
    (alert,) = storage_alerts()
    assert (alert.params["reason"], alert.params["percent"]) == ("disk", 93)
    disk["full"] = 0.70
    tasks.retention()
    alert.refresh_from_db()
    assert alert.state == Alert.State.RESOLVED
    disk["full"] = 0.95  # full again soon after: the same alert opens again
    tasks.retention()
    assert [a.state for a in storage_alerts()] == [Alert.State.OPEN]


def test_object_storage_has_no_disk_to_measure(settings, tmp_path) -> None:
    settings.STORAGES = {**settings.STORAGES, "recordings": {
        "BACKEND": "django.core.files.storage.InMemoryStorage"}}
    settings.RECORDINGS_SPOOL = str(tmp_path / "spool")
    assert capacity.local_folders() == [tmp_path / "spool"]


def test_a_recording_that_cannot_be_written_raises_the_alert_at_once(camera, disk) -> None:
    capacity.writes_failing(camera)
    capacity.writes_failing(camera)
    (alert,) = storage_alerts()
    assert alert.params["reason"] == "write" and alert.occurrences == 2
    capacity.check(0)  # the next check finds room: resolved
    alert.refresh_from_db()
    assert alert.state == Alert.State.RESOLVED
