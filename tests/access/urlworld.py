"""The world of the URL table (tests/access/test_url_matrix.py), also probed by the guessed-id
and browser-header tests: the cast with an alert (evidence, a camera frame), a shared outward
camera, and the guard-duty, records and API objects the table's rows name. The fixtures that
make it once per module are in tests/conftest.py."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from django.core.files.base import ContentFile
from django.utils import timezone

from apps.alerts.models import Alert, AlertEvidence
from apps.alerts.services import alert_raise
from apps.cameras.models import Camera, Orientation
from apps.cameras.services import share_grant
from apps.duty.models import CoverageStandard, Shift
from apps.streams import frames
from tests.api.matrix import api_objects
from tests.conftest import build_world
from tests.records.urlworld import records_objects

JPEG = b"\xff\xd8\xff\xe0jpeg"


def duty_objects(world):
    """On the API's guard post at city A's KPU office (one person cannot hold two overlapping
    shifts): the Polsek officer's current shift, his open check-in with a photo, a draft and a
    standard."""
    if not hasattr(world, "duty"):
        api = api_objects(world)
        api.attendance.photo.save("p.jpg", ContentFile(JPEG), save=True)
        start = timezone.now() + timedelta(days=2)
        world.duty = SimpleNamespace(
            post=api.post, now_shift=api.shift, attendance=api.attendance,
            draft=Shift.objects.create(post=api.post, person=api.shift.person, pillar="polri",
                                       start=start, end=start + timedelta(hours=8)),
            standard=CoverageStandard.objects.create(post=api.post, min_personnel=2),
        )
    return world.duty


def build_url_world():
    world = build_world()
    alert, _ = alert_raise(kind=Alert.Kind.OTHER, severity=Alert.Severity.HIGH,
                           facility=world.a.facilities["kpu_office"], dedup_key="t:a",
                           title="Paket mencurigakan")
    alert.evidence.save("e.jpg", ContentFile(JPEG), save=True)
    world.a_alert = alert
    world.a_camera = Camera.objects.create(
        facility=world.a.facilities["warehouse"], name="Gerbang", source_kind="mjpeg",
        url="http://127.0.0.1:8554/mjpeg/gate", orientation=Orientation.OUTWARD)
    frames.write_latest(world.a_camera.pk, JPEG)
    world.a_share = share_grant(camera=world.a_camera, grantee=world.a.agencies["polres"],
                                basis="MoU", by=world.a.users["kpu"])
    frame = AlertEvidence(alert=alert, camera=world.a_camera, taken_at=alert.first_raised_at,
                          offset_seconds=-1.0, sha256="0" * 64)
    frame.image.save("f.jpg", ContentFile(JPEG), save=True)
    world.a_frame = frame
    # Made here, not on first use: a row made inside one test is rolled back after it.
    duty_objects(world)
    records_objects(world)
    api_objects(world)
    return world
