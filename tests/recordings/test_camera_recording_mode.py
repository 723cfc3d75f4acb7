"""A camera's recording mode and days: off by default, the owner agency's to set."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from apps.cameras.forms import CameraForm
from apps.cameras.models import Camera, Orientation, RecordingMode
from apps.cameras.services import camera_save


@pytest.fixture
def camera(world) -> Camera:
    return Camera.objects.create(facility=world.a.facilities["kpu_office"], name="Gerbang",
                                 source_kind="rtsp", url="rtsp://192.168.60.20/1",
                                 orientation=Orientation.OUTWARD)


def data(camera: Camera, **changes: str) -> dict[str, object]:
    return {
        "facility": camera.facility_id, "name": camera.name, "source_kind": "rtsp",
        "url": camera.url, "orientation": camera.orientation, "enabled": "on",
        "analysis_fps": "5", "snapshot_interval": "1", "idle_snapshot_interval": "10",
        "timeline_interval": "10", "timeline_retention_days": "7", "motion_zones": "[]",
        "privacy_masks": "[]", **changes,
    }


def test_cameras_record_nothing_until_their_owner_says_so(camera) -> None:
    assert camera.recording_mode == RecordingMode.OFF
    assert (camera.recording_days, camera.recording_alert_days) == (14, 60)


def test_the_owner_agency_sets_the_mode_and_days(world, camera) -> None:
    form = CameraForm(data(camera, recording_mode="events", recording_days="30",
                           recording_alert_days="90"),
                      instance=camera, user=world.a.users["kpu"])
    assert form.is_valid(), form.errors
    form.save()
    camera.refresh_from_db()
    assert (camera.recording_mode, camera.recording_days, camera.recording_alert_days) == (
        RecordingMode.EVENTS, 30, 90)


def test_a_post_without_the_recording_fields_keeps_them(world, camera) -> None:
    Camera.objects.filter(pk=camera.pk).update(recording_mode=RecordingMode.CONTINUOUS)
    camera.refresh_from_db()
    form = CameraForm(data(camera, name="Gerbang utara"), instance=camera,
                      user=world.a.users["kpu"])
    assert form.is_valid(), form.errors
    form.save()
    camera.refresh_from_db()
    assert (camera.name, camera.recording_mode) == ("Gerbang utara", RecordingMode.CONTINUOUS)


def test_nobody_else_changes_what_a_camera_records(world, camera) -> None:
    admin = world.a.users["admin"]
    form = CameraForm(data(camera, recording_mode="continuous"), instance=camera, user=admin)
    assert form.fields["recording_mode"].disabled and form.fields["recording_days"].disabled
    camera.recording_mode = RecordingMode.CONTINUOUS
    with pytest.raises(PermissionDenied):
        camera_save(camera=camera, by=admin)
    assert Camera.objects.get(pk=camera.pk).recording_mode == RecordingMode.OFF


def test_the_choices_speak_indonesian(world, camera) -> None:
    with translation.override("id"):
        form = CameraForm(instance=camera, user=world.a.users["kpu"])
        labels = dict(form.fields["recording_mode"].choices)
        assert labels["off"] == "Nonaktif"
        assert labels["continuous"] == "Terus-menerus"
        assert str(form.fields["recording_mode"].label) == "Perekaman"
