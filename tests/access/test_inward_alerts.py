"""Alerts from an inward camera reach the security staff guarding the facility, without the
camera's name, images or address (security plan T-AC-9; decision 1: no break-glass)."""

from __future__ import annotations

import json
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.files.base import ContentFile
from django.urls import reverse

from apps.access import policy
from apps.alerts.fanout import push_alert
from apps.alerts.models import Alert, AlertEvidence
from apps.alerts.services import alert_raise
from apps.cameras.models import Camera, Orientation
from apps.cameras.services import share_grant

CAMERA_NAME = "Ruang Arsip Surat Suara"
CAMERA_URL = "rtsp://192.168.77.14:554/ruang-arsip"


@pytest.fixture
def inward_alert(world):
    camera = Camera.objects.create(facility=world.a.facilities["warehouse"], name=CAMERA_NAME,
                                   source_kind="rtsp", url=CAMERA_URL,
                                   orientation=Orientation.INWARD)
    alert, _ = alert_raise(
        kind=Alert.Kind.MOTION, severity=Alert.Severity.HIGH,
        facility=world.a.facilities["warehouse"], camera=camera, dedup_key="inward:1",
        title=f"Motion while armed: {CAMERA_NAME}",
        detail=f"Zones: rak 3 ({CAMERA_URL})")
    alert.evidence.save("in.jpg", ContentFile(b"\xff\xd8\xff\xe0inward"), save=True)
    AlertEvidence.objects.create(alert=alert, camera=camera, taken_at=alert.first_raised_at,
                                 offset_seconds=0.0, image=ContentFile(b"\xff\xd8", "f.jpg"),
                                 sha256="0" * 64)
    return alert


def _leaks(text: str) -> bool:
    return CAMERA_NAME in text or CAMERA_URL in text or "ruang-arsip" in text


@pytest.mark.parametrize("who", ["operator", "commander", "field_tni", "admin"])
def test_security_staff_and_administrators_get_the_alert_without_the_camera(
        client, world, inward_alert, who):
    user = world.a.users[who]
    assert policy.can(user, policy.Action.VIEW, inward_alert)
    client.force_login(user)
    pages = {
        "feed": client.get(reverse("alerts:feed")),
        "detail": client.get(reverse("alerts:detail", args=[inward_alert.pk])),
        "facility": client.get(inward_alert.facility.get_absolute_url()),
        "resync": client.get(reverse("alerts:since", args=[0])),
        "wall": client.get(reverse("live:wall")),
    }
    for page, response in pages.items():
        assert response.status_code == 200, page
        assert not _leaks(response.content.decode("unicode_escape")), page
    detail = pages["detail"].content.decode()
    assert reverse("alerts:evidence", args=[inward_alert.pk]) not in detail
    assert client.get(reverse("alerts:evidence", args=[inward_alert.pk])).status_code == 404
    frame = inward_alert.frames.get()
    assert client.get(reverse("alerts:evidence_frame", args=[frame.pk])).status_code == 404
    [payload] = pages["resync"].json()["alerts"]
    assert payload["id"] == inward_alert.pk
    assert payload["camera"] is None and payload["camera_id"] is None
    assert payload["title"] != inward_alert.title and payload["title"]


def test_the_owner_gets_everything(client, world, inward_alert):
    client.force_login(world.a.users["kpu"])
    detail = client.get(reverse("alerts:detail", args=[inward_alert.pk])).content.decode()
    assert CAMERA_NAME in detail
    assert client.get(reverse("alerts:evidence", args=[inward_alert.pk])).status_code == 200
    [payload] = client.get(reverse("alerts:since", args=[0])).json()["alerts"]
    assert payload["camera"] == CAMERA_NAME


def test_pushed_payloads_are_cut_per_recipient(world, inward_alert):
    layer = get_channel_layer()
    inboxes = {}
    for who in ("operator", "commander", "kpu", "admin"):
        channel = async_to_sync(layer.new_channel)()
        async_to_sync(layer.group_add)(f"user.{world.a.users[who].pk}", channel)
        inboxes[who] = channel
    assert push_alert(inward_alert.pk) >= 4
    received = {who: async_to_sync(layer.receive)(channel) for who, channel in inboxes.items()}
    for who in ("operator", "commander", "admin"):
        assert not _leaks(json.dumps(received[who])), who
        assert received[who]["camera"] is None
    assert received["kpu"]["camera"] == CAMERA_NAME
    assert received["kpu"]["title"] == inward_alert.title


def test_an_outward_shared_camera_is_named_to_those_it_is_shared_with(client, world):
    camera = Camera.objects.create(facility=world.a.facilities["warehouse"], name="Gerbang",
                                   source_kind="rtsp", url="rtsp://192.168.77.15/gerbang",
                                   orientation=Orientation.OUTWARD)
    share_grant(camera=camera, grantee=world.a.agencies["polres"], basis="MoU",
                by=world.a.users["kpu"])
    alert_raise(kind=Alert.Kind.TAMPER, severity=3, facility=camera.facility, camera=camera,
                dedup_key="out:1", title="Camera tampering: Gerbang")
    for who, named in (("operator", True), ("field_tni", False)):
        client.force_login(world.a.users[who])
        [payload] = client.get(reverse("alerts:since", args=[0])).json()["alerts"]
        assert (payload["camera"] == "Gerbang") is named, who


def test_the_inverse_camera_rule_agrees_with_can(world):
    cameras = []
    for city in (world.a, world.b):
        for facility in city.facilities.values():
            for orientation in Orientation.values:
                camera = Camera.objects.create(facility=facility, name=f"{facility} {orientation}",
                                               source_kind="rtsp",
                                               url=f"rtsp://192.168.1.2/{len(cameras)}",
                                               orientation=orientation)
                if orientation == Orientation.OUTWARD:
                    owner = "bawaslu" if "bawaslu" in facility.name else "kpu"
                    share_grant(camera=camera, grantee=city.agencies["kodim"], basis="MoU",
                                by=city.users[owner])
                cameras.append(camera)
    people = [u for city in (world.a, world.b) for u in city.users.values()]
    for camera in cameras:
        expected = {u.pk for u in people if policy.can(u, policy.Action.VIEW, camera)}
        actual = set(policy.users_who_may_view_camera(camera).values_list("pk", flat=True))
        assert actual == expected, camera.name


# --- every other place that shows an alert to a person ---------------------------------------


@pytest.fixture
def incident_with_inward_alerts(world, inward_alert):
    """An incident at the warehouse linked to the inward alert, with a second inward alert
    (raised from parameters) offered for linking."""
    from apps.records.services.incidents import (
        IncidentInput,
        incident_link_alert,
        incident_report,
    )

    alert_raise(kind=Alert.Kind.TAMPER, severity=Alert.Severity.HIGH,
                facility=inward_alert.facility, camera=inward_alert.camera,
                dedup_key="inward:2",
                params={"msg": "camera.tamper", "camera": CAMERA_NAME, "tamper": "covered"})
    incident = incident_report(
        user=world.a.users["field_tni"], facility=inward_alert.facility,
        entry=IncidentInput(client_key=uuid.uuid4(), category="intrusion",
                            description="Pintu belakang dibuka paksa")).record
    incident_link_alert(incident=incident, user=world.a.users["operator"], alert=inward_alert)
    return incident


@pytest.mark.parametrize("who", ["operator", "commander", "field_tni"])
def test_the_incident_page_lists_and_offers_inward_alerts_without_the_camera(
        client, world, incident_with_inward_alerts, who):
    client.force_login(world.a.users[who])
    response = client.get(incident_with_inward_alerts.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert not _leaks(page)
    assert reverse("alerts:detail", args=[Alert.objects.get(dedup_key="inward:1").pk]) in page
    if who == "operator":  # the link form offers the other inward alert, by its kind
        assert 'name="alert"' in page and "Sabotase kamera" in page


def test_the_owner_reads_the_camera_in_the_alert_link_choices(world, incident_with_inward_alerts):
    from apps.records.forms import LinkAlertForm

    alerts = Alert.objects.filter(dedup_key__startswith="inward:")
    owner = LinkAlertForm(alerts=alerts, viewer=world.a.users["kpu"])
    assert CAMERA_NAME in str(owner["alert"])
    operator = LinkAlertForm(alerts=alerts, viewer=world.a.users["operator"])
    assert not _leaks(str(operator["alert"]))
    assert not _leaks(str(LinkAlertForm(alerts=alerts)["alert"]))  # no viewer: no camera


def test_the_alert_admin_shows_the_redacted_alert(client, world, inward_alert):
    admin = world.a.users["admin"]
    assert not policy.can(admin, policy.Action.VIEW, inward_alert.camera)
    client.force_login(admin)
    pages = {
        "list": client.get(reverse("admin:alerts_alert_changelist")),
        "search": client.get(reverse("admin:alerts_alert_changelist"), {"q": CAMERA_NAME}),
        "change": client.get(reverse("admin:alerts_alert_change", args=[inward_alert.pk])),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
    for name in ("list", "change"):
        assert not _leaks(pages[name].content.decode()), name
    assert f"/{inward_alert.pk}/change/" in pages["list"].content.decode()
    # The camera's name finds nothing: a search would tell which alerts it raised.
    assert f"/{inward_alert.pk}/change/" not in pages["search"].content.decode()


@pytest.mark.parametrize("who", ["operator", "commander", "field_tni"])
def test_the_api_gives_security_staff_the_alert_without_the_camera(client, world,
                                                                   inward_alert, who):
    AlertEvent = inward_alert.events.model
    AlertEvent.objects.create(alert=inward_alert, action="cleared")
    client.force_login(world.a.users[who])
    for url in ("/api/alerts/", f"/api/alerts/{inward_alert.pk}/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert not _leaks(response.content.decode("unicode_escape")), url


def test_webhooks_and_plain_text_never_carry_the_inward_camera(inward_alert):
    from apps.integrations.payloads import alert_data

    assert not _leaks(json.dumps(alert_data(inward_alert), ensure_ascii=False))
    assert not _leaks(str(inward_alert))
