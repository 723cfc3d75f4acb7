"""A stream belongs to one camera: a second registration of the same source is refused,
whoever tries and however the address is spelled (security issue item 2)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from apps.cameras.forms import CameraForm
from apps.cameras.models import Camera, CameraSource, Orientation
from apps.core.netguard import source_key

KNOWN = "rtsp://192.168.60.20:554/Streaming/Channels/101"
KNOWN_SUB = "rtsp://192.168.60.20:554/Streaming/Channels/102"


@pytest.mark.parametrize("spelling", [
    KNOWN,
    "RTSP://192.168.60.20/Streaming/Channels/101",
    "rtsp://192.168.60.20:554/streaming/channels/101/",
    "rtsp://192.168.60.20:554//Streaming/./Channels/101",
    "rtsp://192.168.60.20:554/Streaming/x/../Channels/101",
    "rtsp://192.168.60.20:554/Streaming/Channels/%31%30%31",
    "rtsp://192.168.60.20:554/Streaming/Channels/101?transportmode=unicast",
])
def test_spellings_of_one_source_have_one_key(spelling):
    assert source_key(spelling) == source_key(KNOWN)


@pytest.mark.parametrize("other", [
    "rtsp://192.168.60.21:554/Streaming/Channels/101",
    "rtsp://192.168.60.20:8554/Streaming/Channels/101",
    "rtsps://192.168.60.20/Streaming/Channels/101",
    "rtsp://192.168.60.20:554/Streaming/Channels/201",
])
def test_other_sources_have_other_keys(other):
    assert source_key(other) != source_key(KNOWN)


@pytest.fixture
def known(world):
    """City A's KPU inward camera, with a substream."""
    return Camera.objects.create(facility=world.a.facilities["warehouse"], name="Gudang dalam",
                                 source_kind="rtsp", url=KNOWN, substream_url=KNOWN_SUB,
                                 orientation=Orientation.INWARD)


def _data(world, city, url, substream=""):
    return {
        "facility": getattr(world, city).facilities["kpu_office"].pk, "name": "Gerbang",
        "source_kind": "rtsp", "url": url, "substream_url": substream,
        "orientation": Orientation.OUTWARD, "enabled": "on", "analysis_fps": "5",
        "snapshot_interval": "1", "idle_snapshot_interval": "10", "timeline_interval": "10",
        "timeline_retention_days": "7", "motion_zones": "[]", "privacy_masks": "[]",
    }


@pytest.mark.parametrize(("city", "url", "substream"), [
    ("b", KNOWN, ""),  # another agency, another city
    ("a", KNOWN, ""),  # the owner agency itself, at another facility
    ("b", "rtsp://192.168.60.20/streaming/channels/101/", ""),
    ("b", KNOWN_SUB, ""),  # their substream as our main stream
    ("b", "rtsp://192.168.60.99/own", KNOWN),  # their main stream as our substream
    ("b", "rtsp://192.168.60.99/own", "RTSP://192.168.60.20/Streaming/Channels/102"),
])
def test_a_second_registration_is_refused_in_indonesian(client, world, known, city, url,
                                                        substream):
    client.force_login(getattr(world, city).users["kpu"])
    facility = getattr(world, city).facilities["kpu_office"]
    with translation.override("id"):
        response = client.post(reverse("cameras:create", args=[facility.pk]),
                               _data(world, city, url, substream), HTTP_ACCEPT_LANGUAGE="id")
    assert response.status_code == 200
    assert "sudah terdaftar sebagai kamera lain" in response.content.decode()
    assert Camera.objects.count() == 1


def test_the_database_refuses_a_duplicate_that_skipped_the_form(world, known):
    with pytest.raises(ValidationError):
        Camera.objects.create(facility=world.b.facilities["kpu_office"], name="Salinan",
                              source_kind="rtsp", url="rtsp://192.168.60.20/Streaming/Channels/101")
    assert Camera.objects.count() == 1
    assert set(CameraSource.objects.values_list("camera_id", flat=True)) == {known.pk}


def test_a_camera_keeps_and_changes_its_own_sources(world, known):
    form = CameraForm(_data(world, "a", KNOWN, KNOWN_SUB) | {
        "facility": known.facility_id, "orientation": Orientation.INWARD},
        instance=known, user=world.a.users["kpu"])
    assert form.is_valid(), form.errors
    form.save()
    known.url = "rtsp://192.168.60.20:554/Streaming/Channels/301"
    known.save()
    assert set(known.sources.values_list("key", flat=True)) == {
        source_key(known.url), source_key(KNOWN_SUB)}
    # The address it gave up is free again.
    Camera.objects.create(facility=world.b.facilities["kpu_office"], name="Baru",
                          source_kind="rtsp", url=KNOWN, orientation=Orientation.INWARD)


def test_main_and_substream_of_one_camera_may_be_the_same(world):
    camera = Camera.objects.create(facility=world.a.facilities["kpu_office"], name="Satu",
                                   source_kind="rtsp", url=KNOWN, substream_url=KNOWN)
    assert camera.sources.count() == 1
