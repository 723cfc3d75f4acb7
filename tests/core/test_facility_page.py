"""The facility page renders the cameras' 24-hour uptime strip for everyone who may see it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.cameras.models import Camera, CameraStateChange, Orientation
from apps.cameras.services import share_grant
from tests.cast import PEOPLE


@pytest.fixture
def watched_warehouse(world):
    """The warehouse with an outward camera (shared with the city's security agencies) that
    was online, then offline, then online again in the last 24 hours."""
    city = world.a
    facility = city.facilities["warehouse"]
    camera = Camera.objects.create(
        facility=facility, name="Gerbang", source_kind="mjpeg",
        url="http://127.0.0.1:8554/mjpeg/gate", orientation=Orientation.OUTWARD,
    )
    for grantee in ("polres", "kodim", "satpol"):
        share_grant(camera=camera, grantee=city.agencies[grantee], basis="MoU KPU–Polri",
                    by=city.users["kpu"])
    now = timezone.now()
    CameraStateChange.objects.bulk_create([
        CameraStateChange(camera=camera, state="online", at=now - timedelta(hours=30)),
        CameraStateChange(camera=camera, state="offline", at=now - timedelta(hours=5)),
        CameraStateChange(camera=camera, state="online", at=now - timedelta(hours=4)),
    ])
    return facility


@pytest.mark.parametrize("role", [name for name, _agency, _roles in PEOPLE])
def test_facility_page_with_uptime_renders_for_every_role(client, world, watched_warehouse,
                                                          role):
    client.force_login(world.a.users[role])
    response = client.get(reverse("overview:facility", args=[watched_warehouse.pk]))
    assert response.status_code in (200, 403, 404)  # never a server error
    if response.status_code == 200 and "Gerbang" in response.content.decode():
        body = response.content.decode()
        assert '<rect class="up-online" x="0.00"' in body
        assert '<rect class="up-offline"' in body


def test_the_owner_and_the_operator_see_the_uptime_strip(client, world, watched_warehouse):
    for role in ("kpu", "operator"):
        client.force_login(world.a.users[role])
        body = client.get(reverse("overview:facility", args=[watched_warehouse.pk])).content
        assert b'class="uptime"' in body, role
        assert b"95,8%" in body, role  # 23 of 24 hours up, with a decimal comma
