"""A camera's page shows the keyframe interval its watcher measured, and warns (in the
viewer's language) when it is too long for tampering to be noticed in time while the camera
decodes keyframes only (issue 20)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from apps.cameras.models import CameraHealth

from .conftest import make_camera

WARNING_ID = "Kamera ini mengirim keyframe setiap 3,0 dtk"
WARNING_EN = "This camera sends a keyframe every 3.0 s"


@pytest.mark.parametrize(("interval", "warned"), [(1.0, False), (2.0, False), (3.0, True)])
def test_the_page_warns_of_keyframes_too_far_apart(client, world, interval, warned):
    camera = make_camera(world.a, "warehouse", "outward", "Gerbang")
    CameraHealth.objects.create(camera=camera, state="online", fps=15.0,
                                keyframe_interval=interval)
    client.force_login(world.a.users["kpu"])  # the owner
    page = client.get(reverse("cameras:detail", args=[camera.pk])).content.decode()
    assert "Jarak keyframe" in page
    assert f"{interval:.1f}".replace(".", ",") + " dtk" in page
    assert (WARNING_ID in page) == warned
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(reverse("cameras:detail", args=[camera.pk])).content.decode()
    assert (WARNING_EN in english) == warned


def test_a_camera_not_yet_measured_shows_no_interval_and_no_warning(client, world):
    camera = make_camera(world.a, "warehouse", "outward", "Gerbang")
    CameraHealth.objects.create(camera=camera, state="online")
    client.force_login(world.a.users["kpu"])  # the owner
    page = client.get(reverse("cameras:detail", args=[camera.pk])).content.decode()
    assert "Jarak keyframe" in page and "dtk" not in page.split("Jarak keyframe")[1][:40]
    assert "Kamera ini mengirim keyframe" not in page
