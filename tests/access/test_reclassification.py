"""Only the owner agency classifies a camera, and a frame keeps the classification it was
taken under (security issue items 1 and 4; decision 1: no break-glass).

Reclassifying an inward camera is tried by every role through the portal's form, the service
and the admin; frames, the latest snapshot and alerts from before a change to outward are then
asked for as a security viewer, an administrator and the owner."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import numpy as np
import pytest
import simplejpeg
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone, translation

from apps.access import policy
from apps.accounts.models import User
from apps.alerts.models import Alert, AlertEvidence
from apps.alerts.services import alert_raise
from apps.cameras import services
from apps.cameras.models import Camera, Orientation, TimelineFrame, ViewRecord
from apps.streams import frames
from tests.cast import PEOPLE

ROLES = [name for name, _agency, _roles in PEOPLE] + ["superuser"]
OWNER = "kpu"
CAMERA_NAME = "Ruang Penghitungan"
URL = "rtsp://192.168.50.10/ruang"


def jpeg(value: int = 255) -> bytes:
    return simplejpeg.encode_jpeg(np.full((120, 160, 3), value, np.uint8), colorspace="BGR")


def person(world, role: str) -> User:
    if role == "superuser":
        return User.objects.create(username="root.a", is_superuser=True, is_staff=True)
    return world.a.users[role]


def form_data(camera: Camera, **changes) -> dict:
    data = {
        "facility": camera.facility_id, "name": camera.name, "source_kind": camera.source_kind,
        "url": camera.url, "substream_url": "", "orientation": camera.orientation,
        "enabled": "on", "analysis_fps": "5", "snapshot_interval": "1",
        "idle_snapshot_interval": "10", "timeline_interval": "10",
        "timeline_retention_days": "7", "armed_from": "", "armed_until": "",
        "motion_zones": "[]", "privacy_masks": "[]",
    }
    data.update(changes)
    return data


@pytest.fixture
def inward(world):
    """An inward camera of city A's KPU office with everything it kept while inward: the
    latest snapshot, a timeline frame, an alert with its evidence frame."""
    camera = Camera.objects.create(facility=world.a.facilities["kpu_office"], name=CAMERA_NAME,
                                   source_kind="rtsp", url=URL, orientation=Orientation.INWARD)
    before = timezone.now() - timedelta(minutes=5)
    frames.write_latest(camera.pk, jpeg())
    os.utime(frames.latest_path(camera.pk), (before.timestamp(), before.timestamp()))
    timeline = TimelineFrame(camera=camera, taken_at=before)
    timeline.image.save("inside.jpg", ContentFile(jpeg()), save=True)
    alert, _ = alert_raise(kind=Alert.Kind.MOTION, severity=Alert.Severity.HIGH,
                           facility=camera.facility, camera=camera, dedup_key="inside:1",
                           title=f"Motion while armed: {CAMERA_NAME}")
    Alert.objects.filter(pk=alert.pk).update(first_raised_at=before)
    evidence = AlertEvidence(alert=alert, camera=camera, taken_at=before, offset_seconds=0.0,
                             sha256="0" * 64)
    evidence.image.save("inside.jpg", ContentFile(jpeg()), save=True)
    camera.kept = {"timeline": timeline, "alert": alert, "evidence": evidence}
    return camera


def turn_outward_and_share(world, camera: Camera) -> None:
    camera.orientation = Orientation.OUTWARD
    services.camera_save(camera=camera, by=world.a.users[OWNER])
    services.share_grant(camera=camera, grantee=world.a.agencies["polres"], basis="MoU",
                         by=world.a.users[OWNER])


# --- item 1: who may reclassify --------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_only_the_owner_turns_a_camera_outward_through_the_form(client, world, inward, role):
    user = person(world, role)
    client.force_login(user)
    response = client.post(reverse("cameras:edit", args=[inward.pk]),
                           form_data(inward, orientation=Orientation.OUTWARD))
    inward.refresh_from_db()
    assert (inward.orientation == Orientation.OUTWARD) is (role == OWNER), response.status_code
    changes = ViewRecord.objects.filter(camera=inward, kind=ViewRecord.Kind.TO_OUTWARD)
    assert changes.count() == (1 if role == OWNER else 0)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_owner_turns_a_camera_outward_through_the_service(world, inward, role):
    user = person(world, role)
    inward.orientation = Orientation.OUTWARD
    if role == OWNER:
        services.camera_save(camera=inward, by=user)
    else:
        with pytest.raises(PermissionDenied):
            services.camera_save(camera=inward, by=user)
    inward.refresh_from_db()
    assert (inward.orientation == Orientation.OUTWARD) is (role == OWNER)


@pytest.mark.parametrize("role", ["admin", "superuser"])
def test_the_admin_offers_no_orientation_to_administrators(client, world, inward, role):
    client.force_login(person(world, role))
    url = reverse("admin:cameras_camera_change", args=[inward.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="orientation"' not in page.content.decode()
    client.post(url, form_data(inward, orientation=Orientation.OUTWARD) | {"_save": "Save"})
    inward.refresh_from_db()
    assert inward.orientation == Orientation.INWARD
    assert not ViewRecord.objects.filter(camera=inward, kind=ViewRecord.Kind.TO_OUTWARD).exists()


def test_an_administrator_adds_cameras_inward_only(world):
    admin = world.a.users["admin"]
    camera = Camera(facility=world.a.facilities["warehouse"], name="Baru", source_kind="rtsp",
                    url="rtsp://192.168.50.11/baru", orientation=Orientation.OUTWARD)
    with pytest.raises(PermissionDenied):
        services.camera_save(camera=camera, by=admin)
    camera.orientation = Orientation.INWARD
    services.camera_save(camera=camera, by=admin)
    assert camera.pk


def test_the_owner_offered_the_orientation_in_the_admin(client, world, inward):
    owner = world.a.users[OWNER]
    owner.is_staff = True
    owner.save(update_fields=["is_staff"])
    client.force_login(owner)
    page = client.get(reverse("admin:cameras_camera_change", args=[inward.pk]))
    assert page.status_code == 200
    assert 'name="orientation"' in page.content.decode()


def test_a_change_is_in_the_owners_access_record(client, world, inward):
    turn_outward_and_share(world, inward)
    owner = world.a.users[OWNER]
    [row] = policy.scope(owner, ViewRecord.objects.filter(camera=inward))
    assert (row.kind, row.viewer, row.viewer_agency) == (
        ViewRecord.Kind.TO_OUTWARD, owner, owner.agency)
    client.force_login(owner)
    page = client.get(reverse("cameras:access_record")).content.decode()
    # The page's layout is its own (sessions, labels): the change is on it, in some words.
    with translation.override("id"):
        names = {str(ViewRecord.Kind.TO_OUTWARD.label), ViewRecord.Kind.TO_OUTWARD.value}
    assert any(name in page for name in names)
    # Turning it back inward is recorded too.
    inward.orientation = Orientation.INWARD
    services.camera_save(camera=inward, by=owner)
    assert ViewRecord.objects.filter(camera=inward, kind=ViewRecord.Kind.TO_INWARD).count() == 1


def test_a_camera_is_not_turned_outward_unrecorded(world, inward):
    inward.orientation = Orientation.OUTWARD
    with pytest.raises(ValueError):
        inward.save()


# --- item 4: frames keep the classification they were taken under ----------------------------


@pytest.mark.parametrize("role", ["operator", "admin"])
def test_frames_from_an_inward_time_stay_with_the_owner(client, world, inward, role):
    turn_outward_and_share(world, inward)
    kept = inward.kept
    user = world.a.users[role]
    assert policy.can(user, policy.Action.VIEW, inward)  # the camera itself is shared now
    for model in (TimelineFrame, AlertEvidence):
        assert not policy.scope(user, model.objects.filter(camera=inward)).exists(), model
    client.force_login(user)
    assert client.get(reverse("alerts:evidence_frame",
                              args=[kept["evidence"].pk])).status_code == 404
    assert client.get(reverse("cameras:snapshot", args=[inward.pk])).status_code == 404
    assert client.get(reverse("api:camera-snapshot", args=[inward.pk])).status_code == 404
    detail = client.get(reverse("alerts:detail", args=[kept["alert"].pk])).content.decode()
    assert CAMERA_NAME not in detail


def test_frames_taken_after_the_change_reach_security_staff(client, world, inward):
    turn_outward_and_share(world, inward)
    later = timezone.now() + policy.CAPTURE_CLOCK_MARGIN + timedelta(seconds=1)
    outside = TimelineFrame(camera=inward, taken_at=later)
    outside.image.save("outside.jpg", ContentFile(jpeg()), save=True)
    frames.write_latest(inward.pk, jpeg())
    os.utime(frames.latest_path(inward.pk), (later.timestamp(), later.timestamp()))
    operator = world.a.users["operator"]
    assert list(policy.scope(operator, TimelineFrame.objects.filter(camera=inward))) == [outside]
    client.force_login(operator)
    assert client.get(reverse("cameras:snapshot", args=[inward.pk])).status_code == 200


def test_the_owner_keeps_every_frame(client, world, inward):
    turn_outward_and_share(world, inward)
    owner = world.a.users[OWNER]
    assert policy.scope(owner, TimelineFrame.objects.filter(camera=inward)).count() == 1
    assert policy.scope(owner, AlertEvidence.objects.filter(camera=inward)).count() == 1
    client.force_login(owner)
    assert client.get(reverse("alerts:evidence_frame",
                              args=[inward.kept["evidence"].pk])).status_code == 200
    assert client.get(reverse("cameras:snapshot", args=[inward.pk])).status_code == 200
    detail = client.get(reverse("alerts:detail", args=[inward.kept["alert"].pk]))
    assert CAMERA_NAME in detail.content.decode()


def test_each_frame_keeps_the_orientation_of_its_own_time(world, inward):
    """inward, outward, inward, outward again: only frames of the outward periods are shared."""
    owner, operator = world.a.users[OWNER], world.a.users["operator"]
    turn_outward_and_share(world, inward)
    TimelineFrame.objects.all().delete()
    start = timezone.now() + timedelta(hours=1)
    for minutes, kind in ((10, ViewRecord.Kind.TO_INWARD), (20, ViewRecord.Kind.TO_OUTWARD)):
        ViewRecord.objects.create(camera=inward, viewer=owner, viewer_agency=owner.agency,
                                  kind=kind, started_at=start + timedelta(minutes=minutes))
    taken = {minutes: TimelineFrame.objects.create(
        camera=inward, taken_at=start + timedelta(minutes=minutes), image="x.jpg")
        for minutes in (-70, 5, 15, 25)}
    shared = set(policy.scope(operator, TimelineFrame.objects.all()))
    assert shared == {taken[5], taken[25]}
    assert set(policy.scope(owner, TimelineFrame.objects.all())) == set(taken.values())


@pytest.mark.parametrize("seconds", [-4, -1, 0, 1, 4])
def test_the_clock_margin_only_widens_an_inward_time(world, inward, seconds):
    """Frames a few seconds either side of a change count as inward, whichever way it went."""
    owner, operator = world.a.users[OWNER], world.a.users["operator"]
    turn_outward_and_share(world, inward)
    TimelineFrame.objects.all().delete()
    change = timezone.now() + timedelta(hours=1)
    for minutes, kind in ((0, ViewRecord.Kind.TO_INWARD), (10, ViewRecord.Kind.TO_OUTWARD)):
        ViewRecord.objects.create(camera=inward, viewer=owner, viewer_agency=owner.agency,
                                  kind=kind, started_at=change + timedelta(minutes=minutes))
    for at in (change, change + timedelta(minutes=10)):
        frame = TimelineFrame.objects.create(camera=inward, image="x.jpg",
                                             taken_at=at + timedelta(seconds=seconds))
        assert not policy.scope(operator, TimelineFrame.objects.filter(pk=frame.pk)).exists()


# --- item 5: masks drawn later cover stored frames ------------------------------------------


LEFT_HALF = [[[0, 0], [0.5, 0], [0.5, 1], [0, 1]]]


def _left_and_right(data: bytes) -> tuple[float, float]:
    picture = simplejpeg.decode_jpeg(data, colorspace="GRAY")
    half = picture.shape[1] // 2
    return float(picture[:, : half - 8].mean()), float(picture[:, half + 8:].mean())


@pytest.fixture
def shared_with_frames(world):
    """An outward camera shared with Polres, its frames stored before any mask was drawn."""
    camera = Camera.objects.create(facility=world.a.facilities["kpu_office"], name="Gerbang",
                                   source_kind="rtsp", url="rtsp://192.168.50.12/gerbang",
                                   orientation=Orientation.OUTWARD)
    services.share_grant(camera=camera, grantee=world.a.agencies["polres"], basis="MoU",
                         by=world.a.users[OWNER])
    alert, _ = alert_raise(kind=Alert.Kind.MOTION, severity=Alert.Severity.HIGH,
                           facility=camera.facility, camera=camera, dedup_key="gate:1",
                           title="Motion")
    evidence = AlertEvidence(alert=alert, camera=camera, offset_seconds=0.0, sha256="0" * 64,
                             taken_at=timezone.now() - timedelta(minutes=1))
    evidence.image.save("gate.jpg", ContentFile(jpeg()), save=True)
    frames.write_latest(camera.pk, jpeg())
    camera.privacy_masks = LEFT_HALF  # drawn by the owner after the frames were stored
    camera.save()
    camera.evidence = evidence
    return camera


@pytest.mark.parametrize("role", ["operator", "admin"])
def test_a_mask_drawn_later_hides_stored_frames_from_others(client, world, shared_with_frames,
                                                             role):
    camera = shared_with_frames
    client.force_login(world.a.users[role])
    for url in (reverse("alerts:evidence_frame", args=[camera.evidence.pk]),
                reverse("cameras:snapshot", args=[camera.pk]),
                reverse("api:camera-snapshot", args=[camera.pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        left, right = _left_and_right(b"".join(response.streaming_content)
                                      if response.streaming else response.content)
        assert left < 5 and right > 240, url


def test_the_owner_sees_stored_frames_as_taken(client, world, shared_with_frames):
    camera = shared_with_frames
    client.force_login(world.a.users[OWNER])
    response = client.get(reverse("alerts:evidence_frame", args=[camera.evidence.pk]))
    assert b"".join(response.streaming_content) == jpeg()


def test_an_unreadable_stored_frame_is_refused_not_sent_unmasked(client, world,
                                                                  shared_with_frames):
    camera = shared_with_frames
    camera.evidence.image.save("broken.jpg", ContentFile(b"\xff\xd8broken"), save=True)
    client.force_login(world.a.users["operator"])
    response = client.get(reverse("alerts:evidence_frame", args=[camera.evidence.pk]))
    assert response.status_code == 404


# --- incident evidence: copies keep the classification and get later masks ------------------


@pytest.mark.parametrize("url_name", ["records:candidate_thumbnail", "records:candidate_frame"])
def test_incident_frame_picker_masks_frames_outside_the_owner_agency(client, world,
                                                                      shared_with_frames,
                                                                      url_name):
    camera = shared_with_frames
    url = reverse(url_name, args=[_incident(world).pk, "alert", camera.evidence.pk])
    for who, masked in (("operator", True), (OWNER, False)):
        client.force_login(world.a.users[who])
        response = client.get(url)
        assert response.status_code == 200, who
        left, right = _left_and_right(b"".join(response.streaming_content)
                                      if response.streaming else response.content)
        assert right > 240 and (left < 5 if masked else left > 240), who


def _incident(world):
    from apps.records.services import incidents

    entry = incidents.IncidentInput(client_key=uuid.uuid4(), category="suspicious_object",
                                    description="Paket tanpa pengirim di gerbang")
    return incidents.incident_report(user=world.a.users["field_polri"],
                                     facility=world.a.facilities["kpu_office"],
                                     entry=entry).record


def test_incident_evidence_from_an_inward_time_stays_with_the_owner(client, world, inward):
    from apps.records.models import IncidentEvidence
    from apps.records.services import incidents

    incident = _incident(world)
    owner, operator = world.a.users[OWNER], world.a.users["operator"]
    [copy] = incidents.incident_attach_evidence(
        incident=incident, user=owner, frames=[("timeline", inward.kept["timeline"].pk)])
    turn_outward_and_share(world, inward)
    assert not policy.scope(operator, IncidentEvidence.objects.all()).exists()
    offered = incidents.evidence_candidates(incident=incident, user=operator)
    assert inward.kept["timeline"].pk not in {f.id for f in offered if f.kind == "timeline"}
    client.force_login(operator)
    assert client.get(reverse("records:evidence_image", args=[copy.pk])).status_code == 404
    client.force_login(owner)
    assert client.get(reverse("records:evidence_image", args=[copy.pk])).status_code == 200


def test_incident_evidence_gets_a_mask_drawn_after_it_was_attached(client, world,
                                                                   shared_with_frames):
    from apps.records.services import incidents

    camera = shared_with_frames
    incident = _incident(world)
    [copy] = incidents.incident_attach_evidence(
        incident=incident, user=world.a.users["operator"],
        frames=[("alert", camera.evidence.pk)])
    client.force_login(world.a.users["operator"])
    response = client.get(reverse("records:evidence_image", args=[copy.pk]))
    left, right = _left_and_right(b"".join(response.streaming_content)
                                  if response.streaming else response.content)
    assert left < 5 and right > 240
    client.force_login(world.a.users[OWNER])
    response = client.get(reverse("records:evidence_image", args=[copy.pk]))
    assert b"".join(response.streaming_content) == jpeg()


@pytest.mark.parametrize("role", ["admin", "superuser", "operator"])
def test_only_the_owner_changes_the_masks(client, world, shared_with_frames, role):
    camera = shared_with_frames
    user = person(world, role)
    client.force_login(user)
    client.post(reverse("cameras:edit", args=[camera.pk]),
                form_data(camera, privacy_masks="[]"))
    camera.refresh_from_db()
    assert camera.privacy_masks == LEFT_HALF
    camera.privacy_masks = []
    with pytest.raises(PermissionDenied):
        services.camera_save(camera=camera, by=user)


def test_the_owner_changes_the_masks(client, world, shared_with_frames):
    camera = shared_with_frames
    client.force_login(world.a.users[OWNER])
    response = client.post(reverse("cameras:edit", args=[camera.pk]),
                           form_data(camera, privacy_masks="[]"))
    assert response.status_code == 302
    camera.refresh_from_db()
    assert camera.privacy_masks == []
