"""Watching live and reviewing recordings are separate rights of a share: live only unless
the owner grants recordings too, in the share form, the API and the admin alike."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.cameras.models import CameraShare
from tests.cast import gate_and_inside_cameras


@pytest.fixture
def gate(world):
    return gate_and_inside_cameras(world.a)[0]


def test_the_share_form_offers_live_only_or_live_and_recordings_in_indonesian(
        client, world, gate) -> None:
    client.force_login(world.a.users["kpu"])
    page = client.get(reverse("cameras:detail", args=[gate.pk]))
    text = page.content.decode()
    assert "Hanya siaran langsung" in text and "Siaran langsung dan rekaman" in text
    polres = world.a.agencies["polres"]
    for posted, granted in ((None, False), ("False", False), ("True", True)):
        data = {"grantee": polres.pk, "basis": "MoU KPU-Polri"}
        if posted is not None:
            data["recordings"] = posted
        assert client.post(reverse("cameras:share", args=[gate.pk]), data).status_code == 302
        assert CameraShare.objects.order_by("-pk").first().recordings is granted
    page = client.get(reverse("cameras:detail", args=[gate.pk])).content.decode()
    assert page.count("Siaran langsung dan rekaman") >= 2  # the form's option and the share


def test_the_api_grants_live_only_unless_recordings_are_asked(client, world, gate) -> None:
    client.force_login(world.a.users["kpu"])
    base = {"camera": gate.pk, "grantee": world.a.agencies["kodim"].pk, "basis": "Surat"}
    plain = client.post("/api/camera-shares/", base, content_type="application/json")
    assert plain.status_code == 201 and plain.json()["recordings"] is False
    both = client.post("/api/camera-shares/", {**base, "recordings": True},
                       content_type="application/json")
    assert both.status_code == 201 and both.json()["recordings"] is True
    assert CameraShare.objects.get(pk=both.json()["id"]).recordings


def test_the_admin_shows_the_right_granted(client, world, gate) -> None:
    from apps.cameras.services import share_grant

    share_grant(camera=gate, grantee=world.a.agencies["polres"], basis="MoU",
                by=world.a.users["kpu"], recordings=True)
    client.force_login(world.a.users["admin"])
    page = client.get(reverse("admin:cameras_camerashare_changelist"))
    assert page.status_code == 200
    assert "Siaran langsung dan rekaman" in page.content.decode()
