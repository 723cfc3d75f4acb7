"""Alert texts are written in the reader's language when shown, from the kind and parameters
stored on the alert; rows stored before the parameters existed still show."""

from __future__ import annotations

import importlib
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.urls import reverse
from django.utils import translation

from apps.alerts.fanout import push_alert
from apps.alerts.models import Alert
from apps.alerts.services import alert_raise
from apps.cameras.models import Camera, Orientation
from apps.cameras.services import share_grant


@pytest.fixture
def gate(world):
    camera = Camera.objects.create(facility=world.a.facilities["warehouse"], name="Gerbang",
                                   source_kind="rtsp", url="rtsp://192.168.77.21/gerbang",
                                   orientation=Orientation.OUTWARD)
    share_grant(camera=camera, grantee=world.a.agencies["polres"], basis="MoU",
                by=world.a.users["kpu"])
    return camera


def _tamper(camera, kind="covered") -> Alert:
    alert, _ = alert_raise(kind=Alert.Kind.TAMPER, severity=Alert.Severity.HIGH,
                           facility=camera.facility, camera=camera,
                           dedup_key=f"camera:{camera.pk}:tamper:{kind}",
                           params={"msg": "camera.tamper", "camera": camera.name,
                                   "tamper": kind})
    return alert


def test_a_tamper_alert_reads_in_indonesian_and_in_english(gate):
    alert = _tamper(gate)
    assert alert.title == "Sabotase kamera (lensa tertutup): Gerbang"  # stored: the default
    with translation.override("en"):
        assert alert.shown_title == "Camera tampering (lens covered): Gerbang"
    with translation.override("id"):
        assert alert.shown_title == "Sabotase kamera (lensa tertutup): Gerbang"


def test_motion_in_the_whole_picture_names_the_zone_in_words(gate):
    alert, _ = alert_raise(kind=Alert.Kind.MOTION, severity=Alert.Severity.HIGH,
                           facility=gate.facility, camera=gate, dedup_key="m",
                           params={"msg": "camera.motion", "camera": "Gerbang",
                                   "zones": ["frame", "pagar timur"]})
    with translation.override("id"):
        assert alert.shown_title == "Gerakan terdeteksi saat siaga: Gerbang"
        assert alert.shown_detail == "Zona: seluruh gambar, pagar timur"
    with translation.override("en"):
        assert alert.shown_detail == "Zones: whole picture, pagar timur"


def test_the_feed_the_detail_and_the_api_speak_the_readers_language(client, world, gate):
    alert = _tamper(gate)
    client.force_login(world.a.users["operator"])
    for language, expected, english in (("id", "lensa tertutup", False),
                                        ("en", "lens covered", True)):
        headers = {"HTTP_ACCEPT_LANGUAGE": language}
        for url in (reverse("alerts:feed"), reverse("alerts:detail", args=[alert.pk])):
            page = client.get(url, **headers).content.decode()
            assert expected in page, (language, url)
            assert ("covered)" in page) is english, (language, url)
        [payload] = client.get(reverse("alerts:since", args=[0]), **headers).json()["alerts"]
        assert expected in payload["title"]
        api = client.get(f"/api/alerts/{alert.pk}/", **headers)
        assert expected in api.json()["title"]


def test_pushes_are_in_the_default_language_whoever_changed_the_alert(world, gate):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(f"user.{world.a.users['operator'].pk}", channel)
    alert = _tamper(gate, "defocused")
    with translation.override("en"):  # e.g. after an English-speaking user acknowledged it
        push_alert(alert.pk)
    pushed = async_to_sync(layer.receive)(channel)
    assert pushed["title"] == "Sabotase kamera (tidak fokus): Gerbang"


def test_an_alert_without_parameters_shows_its_stored_text(world):
    alert, _ = alert_raise(kind=Alert.Kind.OTHER, severity=Alert.Severity.LOW,
                           facility=world.a.facilities["warehouse"], dedup_key="old",
                           title="Pintu gudang terbuka", detail="Pintu belakang")
    with translation.override("en"):
        assert (alert.shown_title, alert.shown_detail) == ("Pintu gudang terbuka",
                                                           "Pintu belakang")


def test_parameters_of_an_unknown_shape_fall_back_to_the_stored_text(world):
    alert = Alert(kind=Alert.Kind.TAMPER, title="Lama", detail="",
                  params={"msg": "camera.tamper"})  # no camera, no kind
    assert alert.shown_title == "Lama"


def test_the_migration_reads_the_english_texts_stored_before(world, gate):
    migration = importlib.import_module("apps.alerts.migrations.0005_alert_params")
    stored = [
        Alert(title="Camera tampering (covered): Lobi dalam", detail=""),
        Alert(title="Motion while armed: Gerbang", detail="Zones: frame, rak 3"),
        Alert(title="Camera offline: Gerbang", detail="connection refused"),
        Alert(title="Pos Pos Jaga Gudang di bawah standar: 2 dari 3 hadir",
              detail="2 dari 3 personel sudah lapor diri. Pilar yang belum ada: TNI."),
        Alert(title="Insiden: Kebakaran di Gudang", detail=""),
    ]
    params = [migration._params(a) for a in stored]
    assert params[0] == {"msg": "camera.tamper", "tamper": "covered", "camera": "Lobi dalam"}
    assert params[1] == {"msg": "camera.motion", "camera": "Gerbang",
                         "zones": ["frame", "rak 3"]}
    assert params[2] == {"msg": "camera.offline", "camera": "Gerbang"}
    assert params[3] == {"msg": "duty.understaffed", "post": "Pos Jaga Gudang", "present": 2,
                         "required": 3, "pillars": ["TNI"]}
    assert params[4] == {}
    shown = Alert(kind=Alert.Kind.POST_UNDERSTAFFED, title=stored[3].title, params=params[3])
    with translation.override("id"):
        assert shown.shown_title == "Kurang personel: Pos Jaga Gudang, 2 dari 3 hadir"


def test_the_camera_page_names_the_tamper_kind_in_words(client, world, gate):
    from apps.cameras.models import CameraHealth

    CameraHealth.objects.create(camera=gate, state="online", tamper="covered")
    client.force_login(world.a.users["kpu"])
    page = client.get(gate.get_absolute_url()).content.decode()
    assert "lensa tertutup" in page


def test_field_record_alerts_read_in_the_readers_language_too(world):
    from apps.records.services import incidents

    incident = incidents.incident_report(
        user=world.a.users["field_polri"], facility=world.a.facilities["kpu_office"],
        entry=incidents.IncidentInput(client_key=uuid.uuid4(), category="suspicious_object",
                                      description="Paket tanpa pengirim di gerbang")).record
    alert = incident.alert_links.get().alert
    with translation.override("id"):
        assert alert.shown_title == (
            f"Kejadian: Benda atau paket mencurigakan di {incident.facility.name}")
    with translation.override("en"):
        assert alert.shown_title.startswith("Incident: Suspicious object")
        assert alert.shown_detail == "Paket tanpa pengirim di gerbang"  # what was written
