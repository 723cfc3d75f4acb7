from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from apps.access import policy
from apps.cameras.models import Camera, CameraShare, Orientation, ViewRecord
from apps.cameras.services import share_grant, share_revoke
from apps.core.crypto import CredentialBox, CredentialError, decode_key, new_key
from apps.streams import frames

from .conftest import make_camera

V = policy.Action.VIEW

# Who sees which camera of city A (frames included). The literal table is the spec:
# police see outward cameras shared with them; inward cameras never leave the owner.
# fmt: off
CAMERA_MATRIX = {
    #                  kpu_out kpu_in bws_out bws_in wh_out wh_in
    "operator":        (1,     0,     1,      0,     1,     0),
    "commander":       (1,     0,     1,      0,     1,     0),
    "padal":           (1,     0,     1,      0,     1,     0),
    "field_polri":     (0,     0,     0,      0,     0,     0),   # Polsek: not a grantee
    "field_tni":       (1,     0,     1,      0,     1,     0),
    "field_pemda":     (1,     0,     1,      0,     1,     0),
    "kpu":             (1,     1,     0,      0,     1,     1),
    "bawaslu":         (0,     0,     1,      1,     0,     0),
    "admin":           (1,     0,     1,      0,     1,     0),   # no break-glass
    "norole":          (0,     0,     0,      0,     0,     0),
    "kpu_as_operator": (1,     1,     0,      0,     1,     1),   # the KPU's own, as ever
}
# fmt: on
KEYS = ("kpu_out", "kpu_in", "bws_out", "bws_in", "wh_out", "wh_in")


@pytest.mark.parametrize("role", CAMERA_MATRIX)
def test_camera_matrix(world, cameras, role):
    # kpu_as_operator holds no facility-official role: it sees none of the KPU's cameras.
    expected = CAMERA_MATRIX[role] if role != "kpu_as_operator" else (0,) * 6
    user = world.a.users[role]
    for key, allowed in zip(KEYS, expected, strict=True):
        assert policy.can(user, V, cameras[("A", key)]) == bool(allowed), (role, key)
        assert not policy.can(user, V, cameras[("B", key)]) or (role == "admin" and "out" in key)


def test_inward_cameras_do_not_even_appear_for_security_staff(world, cameras):
    visible = set(policy.scope(world.a.users["operator"], Camera.objects.all()))
    assert all(c.orientation == Orientation.OUTWARD for c in visible)


def test_database_refuses_a_share_of_an_inward_camera(world, cameras):
    inward = cameras[("A", "kpu_in")]
    with pytest.raises(IntegrityError), transaction.atomic():
        CameraShare.objects.create(camera=inward, grantee=world.a.agencies["polres"],
                                   basis="x", granted_by=world.a.users["kpu"])
    # Nor may an existing share be moved onto it.
    share = CameraShare.objects.filter(camera=cameras[("A", "kpu_out")]).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        CameraShare.objects.filter(pk=share.pk).update(camera=inward)


def test_database_refuses_turning_a_shared_camera_inward_behind_the_model(world, cameras):
    camera = cameras[("A", "kpu_out")]
    with pytest.raises(IntegrityError), transaction.atomic():
        Camera.objects.filter(pk=camera.pk).update(orientation=Orientation.INWARD)


def test_turning_a_camera_inward_revokes_its_shares(world, cameras):
    camera = cameras[("A", "kpu_out")]
    assert policy.can(world.a.users["operator"], V, camera)
    camera.orientation = Orientation.INWARD
    camera.save()
    assert not CameraShare.objects.filter(camera=camera, revoked_at__isnull=True).exists()
    assert not policy.can(world.a.users["operator"], V, camera)


def test_only_the_owner_shares_and_only_outward(world, cameras):
    with pytest.raises(ValidationError):
        share_grant(camera=cameras[("A", "kpu_in")], grantee=world.a.agencies["polres"],
                    basis="x", by=world.a.users["kpu"])
    for intruder in ("bawaslu", "operator", "admin", "commander"):
        with pytest.raises(PermissionDenied):
            share_grant(camera=cameras[("A", "kpu_out")], grantee=world.a.agencies["polres"],
                        basis="x", by=world.a.users[intruder])
    with pytest.raises(ValidationError):  # the election bodies are not security forces
        share_grant(camera=cameras[("A", "kpu_out")], grantee=world.a.agencies["bawaslu"],
                    basis="x", by=world.a.users["kpu"])


def test_revoked_or_expired_share_closes_access(world, cameras):
    from datetime import timedelta

    from django.utils import timezone

    camera = cameras[("A", "wh_out")]
    operator = world.a.users["operator"]
    share = CameraShare.objects.get(camera=camera, grantee=world.a.agencies["polres"])
    share_revoke(share=share, by=world.a.users["kpu"], reason="Selesai")
    assert not policy.can(operator, V, camera)
    share_grant(camera=camera, grantee=world.a.agencies["polres"], basis="x",
                by=world.a.users["kpu"], valid_from=timezone.now() - timedelta(days=2),
                valid_until=timezone.now() - timedelta(days=1))
    assert not policy.can(operator, V, camera)


def test_credentials_are_encrypted_and_bound_to_their_camera(world, cameras, settings):
    a, b = cameras[("A", "kpu_out")], cameras[("A", "bws_out")]
    a.set_credentials("viewer", "s3cret-Pa55")
    a.refresh_from_db()
    assert "s3cret" not in a.password_token and a.credentials() == ("viewer", "s3cret-Pa55")
    with connection.cursor() as cursor:
        cursor.execute("SELECT password_token FROM cameras_camera WHERE id = %s", [a.pk])
        assert "s3cret" not in cursor.fetchone()[0]
    Camera.objects.filter(pk=b.pk).update(password_token=a.password_token)
    b.refresh_from_db()
    with pytest.raises(CredentialError):
        b.credentials()
    assert "s3cret" not in repr(a) and "127.0.0.1" not in repr(a)


def test_key_rotation_re_encrypts_every_camera(world, cameras, settings):
    from django.core.management import call_command

    camera = cameras[("A", "kpu_out")]
    camera.set_credentials("viewer", "old-key-secret")
    old_keys = list(settings.CAMERA_KEYS)
    settings.CAMERA_KEYS = [new_key(), *old_keys]
    call_command("rotate_camera_keys")
    settings.CAMERA_KEYS = settings.CAMERA_KEYS[:1]  # the old key is gone
    camera.refresh_from_db()
    assert camera.credentials() == ("viewer", "old-key-secret")


def test_crypto_refuses_unknown_keys():
    box_a, box_b = CredentialBox([decode_key(new_key())]), CredentialBox([decode_key(new_key())])
    token = box_a.encrypt("x", camera_id=1, field="password")
    with pytest.raises(CredentialError):
        box_b.decrypt(token, camera_id=1, field="password")
    with pytest.raises(CredentialError):
        box_a.decrypt(token, camera_id=1, field="username")


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "rtsp://user:pw@10.0.0.5/stream", "rtsp://169.254.169.254/",
    "rtsp://8.8.8.8/live", "http://10.0.0.5:6379/", "rtsp://10.0.0.5/a\r\nX: y",
    "rtsp://0x7f.1/live", "rtsp://2130706433/live", "concat:rtsp://10.0.0.5/a",
])
def test_camera_urls_are_validated(world, url):
    camera = Camera(facility=world.a.facilities["kpu_office"], name="x", source_kind="rtsp",
                    url=url, orientation=Orientation.OUTWARD)
    with pytest.raises(ValidationError) as error:
        camera.full_clean()
    assert url not in str(error.value)


def test_private_camera_url_is_accepted(world):
    url = "rtsp://192.168.10.20:554/Streaming/Channels/102"
    camera = Camera(facility=world.a.facilities["kpu_office"], name="x", source_kind="rtsp",
                    url=url, orientation=Orientation.OUTWARD)
    camera.full_clean()  # raises ValidationError when the address is refused
    camera.save()
    assert Camera.objects.get(pk=camera.pk).url == url  # kept as typed


def test_snapshot_url_obeys_the_policy_and_is_recorded(client, world, cameras, settings):
    outward, inward = cameras[("A", "wh_out")], cameras[("A", "wh_in")]
    for camera in (outward, inward):
        frames.write_latest(camera.pk, b"\xff\xd8\xff\xe0" + b"j" * 100)
    operator = world.a.users["operator"]
    client.force_login(operator)
    response = client.get(reverse("cameras:snapshot", args=[outward.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    assert client.get(reverse("cameras:snapshot", args=[inward.pk])).status_code == 404
    assert client.get(reverse("cameras:snapshot", args=[outward.pk]),
                      headers={"Sec-Fetch-Site": "cross-site"}).status_code == 404
    record = ViewRecord.objects.get()
    assert (record.viewer, record.camera, record.kind) == (operator, outward, "snapshot")
    assert record.viewer_agency == world.a.agencies["polres"]


def test_media_path_guess_is_not_served(client, world, cameras):
    camera = cameras[("A", "wh_out")]
    frames.write_latest(camera.pk, b"\xff\xd8\xff")
    client.force_login(world.a.users["operator"])
    assert client.get(f"/media/cameras/{camera.pk}/latest.jpg").status_code == 404


def test_owner_sees_who_viewed_and_viewers_do_not_see_each_other(client, world, cameras):
    camera = cameras[("A", "kpu_out")]
    frames.write_latest(camera.pk, b"\xff\xd8\xff")
    for viewer in ("operator", "field_tni"):
        client.force_login(world.a.users[viewer])
        client.get(reverse("cameras:snapshot", args=[camera.pk]))
    client.force_login(world.a.users["kpu"])
    page = client.get(reverse("cameras:access_record"))
    assert len(page.context["rows"]) == 2
    csv_body = client.get(reverse("cameras:access_record") + "?format=csv").content.decode()
    assert "Operator A" in csv_body and "Field Tni A" in csv_body
    client.force_login(world.a.users["operator"])
    mine = client.get(reverse("cameras:access_record")).context["rows"]
    assert {r.viewer.username for r in mine} == {"operator_a"}
    client.force_login(world.a.users["bawaslu"])
    assert len(client.get(reverse("cameras:access_record")).context["rows"]) == 0


def test_credentials_are_never_rendered(client, world, cameras):
    camera = cameras[("A", "kpu_out")]
    camera.set_credentials("operator-cam", "Rahasia-Kamera-99")
    for user in (world.a.users["kpu"], world.a.users["admin"]):
        client.force_login(user)
        for url in (reverse("cameras:edit", args=[camera.pk]),
                    reverse("cameras:detail", args=[camera.pk]),
                    reverse("admin:cameras_camera_change", args=[camera.pk])):
            body = client.get(url).content.decode()
            assert "Rahasia-Kamera-99" not in body and camera.password_token not in body


def test_owner_edits_camera_and_new_credentials_replace_old(client, world, cameras):
    camera = cameras[("A", "kpu_in")]
    client.force_login(world.a.users["kpu"])
    response = client.post(reverse("cameras:edit", args=[camera.pk]), {
        "facility": camera.facility_id, "name": "Lobi", "source_kind": "rtsp",
        "url": "rtsp://192.168.1.64:554/live", "orientation": "inward", "enabled": "on",
        "analysis_fps": "5", "snapshot_interval": "1", "idle_snapshot_interval": "10",
        "timeline_interval": "10", "timeline_retention_days": "7",
        "motion_zones": "[[[0.1,0.1],[0.9,0.1],[0.5,0.9]]]", "privacy_masks": "[]",
        "username": "admin-cam", "password": "pw-123456",
    })
    assert response.status_code == 302, response.context["form"].errors
    camera.refresh_from_db()
    assert camera.name == "Lobi" and camera.credentials() == ("admin-cam", "pw-123456")
    assert camera.motion_zones == [[[0.1, 0.1], [0.9, 0.1], [0.5, 0.9]]]
    client.force_login(world.a.users["operator"])
    assert client.get(reverse("cameras:edit", args=[camera.pk])).status_code == 404


def test_new_camera_defaults_to_inward(world):
    camera = make_camera(world.a, "kpu_office", Orientation.INWARD, "x")
    assert Camera._meta.get_field("orientation").default == Orientation.INWARD
    assert not camera.is_outward
