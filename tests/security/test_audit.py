"""The audit trail of administrative actions: who changed which camera, share, role, person or
operation, when, with before/after values; in the same transaction; never a secret."""

from __future__ import annotations

import json

import pytest
from django.db import transaction
from django.urls import reverse

from apps.accounts.models import Role, User
from apps.audit.models import AuditEntry
from apps.audit.recording import acting
from apps.cameras.models import Camera, Orientation
from apps.cameras.services import share_grant, share_revoke


def entries(target) -> list[AuditEntry]:
    label = f"{target._meta.app_label}.{target._meta.model_name}"
    return list(AuditEntry.objects.filter(target_type=label, target_id=str(target.pk))
                .order_by("id"))


@pytest.fixture
def camera(world) -> Camera:
    return Camera.objects.create(
        facility=world.a.facilities["warehouse"], name="Gerbang", source_kind="mjpeg",
        url="http://127.0.0.1:8554/mjpeg/gate", orientation=Orientation.OUTWARD)


def test_an_admin_change_is_recorded_with_who_and_before_after(client, world, camera):
    admin = world.a.users["admin"]
    client.force_login(admin)
    response = client.post(reverse("admin:cameras_camera_change", args=[camera.pk]), {
        "facility": camera.facility_id, "name": "Gerbang Utara", "source_kind": "mjpeg",
        "url": camera.url, "substream_url": "", "orientation": "outward", "enabled": "on",
        "analysis_fps": "5", "snapshot_interval": "1", "idle_snapshot_interval": "10",
        "timeline_interval": "10", "timeline_retention_days": "7", "armed_from": "",
        "armed_until": "", "motion_zones": "[]", "privacy_masks": "[]",
        "username": "", "password": "rahasia-kamera-99",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    change, credentials = entries(camera)[-2:]
    assert change.actor == admin and change.source == AuditEntry.Source.ADMIN
    assert change.action == AuditEntry.Action.UPDATE
    assert change.changes["name"] == {"before": "Gerbang", "after": "Gerbang Utara"}
    assert credentials.changes == {"password_token": "changed"}
    trail = json.dumps([e.changes for e in AuditEntry.objects.all()])
    camera.refresh_from_db()
    assert "rahasia-kamera-99" not in trail and camera.password_token not in trail


def test_shares_from_the_portal_name_the_owner_official(client, world, camera):
    kpu = world.a.users["kpu"]
    client.force_login(kpu)
    client.post(reverse("cameras:share", args=[camera.pk]),
                {"grantee": world.a.agencies["polres"].pk, "basis": "MoU KPU–Polri"})
    share = camera.shares.get()
    [granted] = entries(share)
    assert granted.actor == kpu and granted.source == AuditEntry.Source.WEB
    assert granted.action == AuditEntry.Action.CREATE
    assert granted.changes["grantee_id"] == {"after": world.a.agencies["polres"].pk}
    with acting(kpu):
        share_revoke(share=share, by=kpu, reason="operasi selesai")
    revoked = entries(share)[-1]
    assert revoked.changes["revoke_reason"] == {"before": "", "after": "operasi selesai"}
    assert revoked.actor == kpu and revoked.source == AuditEntry.Source.SYSTEM


def test_people_and_roles_are_recorded_without_password_hashes(world):
    admin = world.a.users["admin"]
    marker = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    with acting(admin):
        person = User.objects.create_user(username="baru", password="sandi rahasia baru 1",
                                          full_name="Orang Baru")
        person.set_roles({Role.OPERATOR})
        person.set_password("sandi rahasia lagi 2")
        person.is_active = False
        person.save()
        person.set_roles(set())
    created, *_, deactivated = entries(person)
    assert created.changes["password"] == "changed"
    assert deactivated.changes["is_active"] == {"before": True, "after": False}
    assert deactivated.changes["password"] == "changed"
    roles = AuditEntry.objects.filter(target_type="accounts.roleassignment", id__gt=marker)
    assert [e.action for e in roles.order_by("id")] == ["create", "delete"]
    assert roles.order_by("id").first().changes["role"] == {"after": "operator"}
    trail = json.dumps([e.changes for e in AuditEntry.objects.all()])
    assert "argon2" not in trail and "pbkdf2" not in trail


def test_logins_do_not_fill_the_trail(client, world):
    before = AuditEntry.objects.count()
    client.post(reverse("accounts:login"),
                {"username": "field_polri_a", "password": "a-long-test-password-2026"})
    assert AuditEntry.objects.count() == before


def test_operation_facilities_are_recorded(world):
    operation = world.a.operation
    with acting(world.a.users["commander"]):
        operation.facilities.add(world.a.facilities["uncovered"])
    entry = [e for e in entries(operation) if "facilities" in e.changes][-1]
    assert entry.changes == {"facilities": {"added": [world.a.facilities["uncovered"].pk]}}


def test_the_entry_rolls_back_with_the_change(world, camera):
    count = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        camera.name = "Dibatalkan"
        camera.save()
        share_grant(camera=camera, grantee=world.a.agencies["polres"], basis="MoU",
                    by=world.a.users["kpu"])
        raise RuntimeError("the change fails after the audit entry was written")
    assert AuditEntry.objects.count() == count
    camera.refresh_from_db()
    assert camera.name == "Gerbang"


def test_entries_are_never_changed_or_deleted(world):
    entry = AuditEntry.objects.first()
    entry.target_repr = "rewritten"
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()


def test_only_administrators_read_the_trail_and_nobody_edits_it(client, world, camera):
    entry = entries(camera)[0]
    url = reverse("admin:audit_auditentry_change", args=[entry.pk])
    client.force_login(world.a.users["admin"])
    listing = client.get(reverse("admin:audit_auditentry_changelist"))
    assert listing.status_code == 200 and listing.context["cl"].result_count > 0
    assert client.get(url).status_code == 200
    assert client.post(url, {"target_repr": "x"}).status_code == 403
    assert client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    assert client.post(reverse("admin:audit_auditentry_delete", args=[entry.pk]),
                       {"post": "yes"}).status_code == 403
    commander = world.a.users["commander"]
    commander.is_staff = True
    commander.save()
    client.force_login(commander)
    listing = client.get(reverse("admin:audit_auditentry_changelist"))
    assert listing.status_code == 403 or listing.context["cl"].result_count == 0
    assert client.get(url).status_code in (302, 403, 404)
