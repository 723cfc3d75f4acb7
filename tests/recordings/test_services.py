"""Storing and indexing finished segments, and retention applied to storage and index."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import IntegrityError

from apps.alerts.models import Alert
from apps.cameras.models import Camera
from apps.recordings import services
from apps.recordings.models import RecordingSegment
from apps.vision.recording import Segment

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


@pytest.fixture
def camera(world) -> Camera:
    return Camera.objects.create(facility=world.a.facilities["warehouse"], name="Gerbang",
                                 source_kind="rtsp", url="rtsp://192.168.60.20/1")


def finished(tmp_path: Path, start: datetime, payload: bytes = b"\0\0\0\x18ftypiso6") -> Segment:
    path = tmp_path / f"{start:%H%M%S}-{len(list(tmp_path.iterdir()))}.mp4"
    path.write_bytes(payload)
    return Segment(path, start, start + timedelta(seconds=60), len(payload),
                   hashlib.sha256(payload).hexdigest(), 900)


def test_a_finished_segment_is_moved_into_storage_and_indexed(tmp_path, camera,
                                                              recordings_root) -> None:
    alert = Alert.objects.create(kind=Alert.Kind.MOTION, severity=2, facility=camera.facility,
                                 camera=camera, title="Gerak", dedup_key="m1")
    segment = finished(tmp_path, NOW)
    row = services.segment_recorded(camera.pk, segment, has_motion=True, alert_ids=[alert.pk])
    assert not segment.path.exists()  # moved, not copied
    assert row.storage_name == f"{camera.pk}/2026/12/07/030000000000.mp4"
    stored = recordings_root / row.storage_name
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == row.sha256 == segment.sha256
    assert (row.start, row.end, row.bytes, row.packets) == (NOW, segment.end, segment.bytes, 900)
    assert row.has_motion and not row.has_tamper
    assert list(row.alerts.all()) == [alert]
    # A second segment starting at the same instant (a clock set back) keeps both files.
    again = services.segment_recorded(camera.pk, finished(tmp_path, NOW))
    assert again.storage_name != row.storage_name
    assert (recordings_root / again.storage_name).exists()


def test_a_row_that_cannot_be_written_leaves_no_file(tmp_path, camera, recordings_root) -> None:
    segment = finished(tmp_path, NOW)
    backwards = Segment(segment.path, segment.end, segment.start, segment.bytes,
                        segment.sha256, segment.packets)
    with pytest.raises(IntegrityError):  # the end before the start
        services.segment_recorded(camera.pk, backwards)
    assert not any(path.is_file() for path in recordings_root.rglob("*"))
    assert segment.path.read_bytes() == b"\0\0\0\x18ftypiso6"  # back, for another try


def test_retention_deletes_rows_and_files_but_keeps_held_and_alert_footage(
        tmp_path, camera, recordings_root, settings) -> None:
    settings.RECORDINGS_QUOTA_BYTES = 0
    camera.recording_days, camera.recording_alert_days = 2, 10
    camera.save()
    alert = Alert.objects.create(kind=Alert.Kind.TAMPER, severity=3, facility=camera.facility,
                                 camera=camera, title="Lensa", dedup_key="t1")
    old = services.segment_recorded(camera.pk, finished(tmp_path, NOW - timedelta(days=3)))
    around_alert = services.segment_recorded(
        camera.pk, finished(tmp_path, NOW - timedelta(days=3, minutes=1)), alert_ids=[alert.pk])
    held = services.segment_recorded(camera.pk, finished(tmp_path, NOW - timedelta(days=30)))
    RecordingSegment.objects.filter(pk=held.pk).update(held=True, hold_reason="Insiden 12")
    recent = services.segment_recorded(camera.pk, finished(tmp_path, NOW - timedelta(hours=1)))
    plan = services.apply_retention(NOW)
    assert plan.delete == [old.pk]
    assert set(RecordingSegment.objects.values_list("pk", flat=True)) == {
        around_alert.pk, held.pk, recent.pk}
    assert not (recordings_root / old.storage_name).exists()
    assert (recordings_root / held.storage_name).exists()


def test_the_quota_prunes_oldest_first_and_reports_a_full_store(tmp_path, camera,
                                                                 settings) -> None:
    rows = [services.segment_recorded(camera.pk, finished(tmp_path, NOW - timedelta(hours=h),
                                                          b"x" * 100))
            for h in range(10, 0, -1)]
    settings.RECORDINGS_QUOTA_BYTES = 1000
    plan = services.apply_retention(NOW)
    assert plan.pruned == [rows[0].pk, rows[1].pk]
    assert not plan.near_full
    assert services.used_bytes() == 800
    settings.RECORDINGS_QUOTA_BYTES = 880
    assert services.apply_retention(NOW).near_full  # 91 %: the alert, not yet pruning
    assert services.used_bytes() == 800
    settings.RECORDINGS_QUOTA_BYTES = 800
    plan = services.apply_retention(NOW)  # at the quota: down to 85 % of it
    assert (len(plan.pruned), plan.used_after, plan.near_full) == (2, 600, False)
    settings.RECORDINGS_QUOTA_BYTES = 600
    RecordingSegment.objects.update(held=True, hold_reason="Ekspor bukti")
    full = services.apply_retention(NOW)
    assert full.delete == [] and full.near_full


def test_files_without_a_row_are_swept_once_old_enough(tmp_path, camera,
                                                       recordings_root) -> None:
    row = services.segment_recorded(camera.pk, finished(tmp_path, NOW))
    orphan = recordings_root / f"{camera.pk}" / "2026" / "12" / "07" / "stray.mp4"
    orphan.write_bytes(b"left by a crash")
    young = recordings_root / "young.mp4"
    young.write_bytes(b"its row is being written")
    past = datetime.now(UTC) - timedelta(hours=2)
    for path in (orphan, recordings_root / row.storage_name):
        os.utime(path, (past.timestamp(), past.timestamp()))
    removed = services.sweep_orphans(datetime.now(UTC) - timedelta(hours=1))
    assert removed == [f"{camera.pk}/2026/12/07/stray.mp4"]
    assert (recordings_root / row.storage_name).exists() and young.exists()


def test_the_sweep_finds_nothing_before_the_first_segment_is_stored(recordings_root) -> None:
    # A new installation's retention task runs before anything was recorded (seen on a
    # fresh clone's `make run`: the storage folder did not exist and the task failed).
    assert not recordings_root.exists()
    assert services.sweep_orphans(datetime.now(UTC)) == []


def test_only_the_owner_agency_sees_recordings_until_shares_grant_them(tmp_path, world,
                                                                       camera) -> None:
    from apps.access import policy

    services.segment_recorded(camera.pk, finished(tmp_path, NOW))
    segments = RecordingSegment.objects.all()
    assert policy.scope(world.a.users["kpu"], segments).count() == 1  # the warehouse's owner
    for user in (world.a.users["admin"], world.a.users["operator"], world.b.users["kpu"]):
        assert policy.scope(user, segments).count() == 0
        assert not policy.scope(user, segments, policy.Action.MANAGE).exists()


def test_the_retention_task_is_scheduled_and_applies_retention(tmp_path, camera) -> None:
    from apps.core.periodic import beat_schedule
    from apps.recordings import tasks

    assert tasks.retention.name in {entry["task"] for entry in beat_schedule().values()}
    services.segment_recorded(camera.pk, finished(tmp_path, NOW - timedelta(days=30)))
    services.segment_recorded(camera.pk, finished(tmp_path, datetime.now(UTC)))
    assert tasks.retention() == 1
    assert RecordingSegment.objects.count() == 1
