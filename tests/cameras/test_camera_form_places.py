"""The facilities the camera form offers are the policy's (Facility MANAGE): exactly those
are listed, and the form and the service refuse moving a camera anywhere else."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from apps.access import policy
from apps.cameras import services
from apps.cameras.models import Orientation
from apps.places.models import Facility
from tests.cameras.conftest import make_camera


def test_a_camera_stays_among_the_facilities_its_editor_configures(client, world):
    official = world.a.users["kpu"]
    camera = make_camera(world.a, "kpu_office", Orientation.INWARD, "Lobi")
    managed = set(policy.scope(official, Facility.objects.all(), policy.Action.MANAGE)
                  .values_list("pk", flat=True))
    outside = world.b.facilities["kpu_office"]
    assert outside.pk not in managed

    client.force_login(official)
    for url in (reverse("cameras:edit", args=[camera.pk]),
                reverse("cameras:create", args=[camera.facility_id])):
        form = client.get(url).context["form"]
        assert {int(str(pk)) for pk, _label in form.fields["facility"].choices if pk} == managed

    response = client.post(reverse("cameras:edit", args=[camera.pk]), {
        "facility": outside.pk, "name": "Lobi", "source_kind": "mjpeg",
        "url": camera.url, "orientation": "inward", "enabled": "on", "analysis_fps": "5",
        "snapshot_interval": "1", "idle_snapshot_interval": "10", "timeline_interval": "10",
        "timeline_retention_days": "7", "motion_zones": "[]", "privacy_masks": "[]"})
    assert response.status_code == 200 and "facility" in response.context["form"].errors

    camera.facility = outside
    with pytest.raises(PermissionDenied):
        services.camera_save(camera=camera, by=official)
    camera.refresh_from_db()
    assert camera.facility_id == world.a.facilities["kpu_office"].pk
