"""The camera page follows the camera while open (it subscribes to the live feed of this one
camera) and lists the camera's recent events the reader may see: alerts and state changes."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from apps.alerts.models import Alert
from apps.alerts.services import alert_raise
from apps.cameras.models import CameraStateChange


def test_the_camera_page_lists_its_alerts_and_state_changes(client, world, cameras):
    camera = cameras[("A", "kpu_out")]
    other = cameras[("A", "bws_out")]
    CameraStateChange.objects.create(camera=camera, state="offline",
                                     at=timezone.now() - timedelta(minutes=5))
    mine, _ = alert_raise(kind=Alert.Kind.TAMPER, severity=3, facility=camera.facility,
                          camera=camera, dedup_key="t:1", title="Lensa tertutup")
    theirs, _ = alert_raise(kind=Alert.Kind.MOTION, severity=3, facility=other.facility,
                            camera=other, dedup_key="m:1", title="Gerakan lain")
    client.force_login(world.a.users["operator"])
    response = client.get(camera.get_absolute_url())
    assert response.status_code == 200
    events = response.context["events"]
    assert [e.alert.pk for e in events if e.alert] == [mine.pk]
    assert [e.state for e in events if not e.alert] == ["offline"]
    html = response.content.decode()
    assert mine.get_absolute_url() in html and theirs.get_absolute_url() not in html
    # The picture is live: the page subscribes to this camera through the live client.
    assert f'data-camera="{camera.pk}"' in html and "js/live.js" in html


def test_another_citys_operator_gets_no_camera_page(client, world, cameras):
    camera = cameras[("A", "kpu_out")]
    client.force_login(world.b.users["operator"])
    assert client.get(camera.get_absolute_url()).status_code == 404
    assert client.get(reverse("cameras:snapshot", args=[camera.pk])).status_code == 404
