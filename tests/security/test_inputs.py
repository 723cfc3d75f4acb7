"""Bad input: camera addresses behind the form's back, names, lengths, extra fields, times
(security plan T-IN-1 to T-IN-6, T-IN-12, T-IN-14, T-IN-19, T-AC-10)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from apps.accounts.models import User
from apps.cameras.models import Camera, Orientation
from apps.cameras.validation import url_policy
from apps.core.text import clean_name
from apps.org.models import Region
from apps.streams.leases import DatabaseLeases
from apps.streams.watcher import Watcher
from apps.vision import videocapture
from apps.vision.source import SourceKind, StreamError, StreamState
from apps.vision.stream import StreamReader

# --- camera addresses (SSRF) -----------------------------------------------------------------

SMUGGLED = [
    ("file", "file:///etc/passwd"),
    ("rtsp", "file:///etc/passwd"),
    ("rtsp", "rtsp://admin:12345@192.168.1.64/live"),
    ("rtsp", "rtsp://169.254.169.254/latest/meta-data"),
    ("rtsp", "rtsp://192.168.1.64:6379/"),
    ("rtsp", "rtsp://0x7f.1/live"),
    ("rtsp", "rtsp://[::ffff:127.0.0.1]/live"),
    ("rtsp", "rtsp://192.168.1.64/x\r\nCSeq: 9"),
    ("mjpeg", "concat:http://192.168.1.64/a|file:///etc/passwd"),
    ("mjpeg", "http://8.8.8.8/mjpeg"),
    ("jpeg", "gopher://192.168.1.64/"),
]


@pytest.mark.parametrize(("kind", "url"), SMUGGLED)
def test_the_watcher_refuses_an_address_put_in_behind_the_form(world, settings, monkeypatch,
                                                              kind, url):
    """Defence in depth: a row written straight to the database (no form, no full_clean) is
    checked again by the worker before it opens anything."""
    settings.CAMERA_ALLOW_FILE_SOURCES = False
    settings.CAMERA_NETWORKS = ["192.168.0.0/16"]
    camera = Camera.objects.create(facility=world.a.facilities["warehouse"], name="Smuggled",
                                   source_kind=kind, url=url, orientation=Orientation.OUTWARD)
    opened = []
    monkeypatch.setattr(StreamReader, "_open", lambda self, checked: opened.append(checked))
    watcher = Watcher(camera.pk, store=DatabaseLeases(), holder="test")
    # As the watcher builds its reader (apps.streams.watcher.Watcher._watch).
    reader = StreamReader(watcher._source(camera), lambda frame: None,
                          policy=url_policy(camera.source_kind))
    with pytest.raises(StreamError) as refused:
        reader._session()
    assert str(refused.value).startswith("URL rejected")
    assert "12345" not in str(refused.value)
    assert opened == []


def test_a_refused_address_never_connects_and_the_camera_goes_offline(world, settings,
                                                                      monkeypatch):
    settings.CAMERA_ALLOW_FILE_SOURCES = False
    camera = Camera.objects.create(facility=world.a.facilities["warehouse"], name="Smuggled",
                                   source_kind="rtsp", url="file:///etc/passwd",
                                   orientation=Orientation.OUTWARD)
    opened = []
    monkeypatch.setattr(StreamReader, "_open", lambda self, checked: opened.append(checked))
    health = []
    reader = StreamReader(Watcher(camera.pk, store=DatabaseLeases())._source(camera),
                          lambda frame: None, policy=url_policy(camera.source_kind),
                          on_health=health.append)
    thread = threading.Thread(target=reader.run, daemon=True)
    thread.start()
    thread.join(timeout=1.0)
    reader.stop()
    thread.join(timeout=5)
    assert opened == []
    assert reader.health().state == StreamState.OFFLINE
    assert "URL rejected" in (reader.health().error or "")


def test_ffmpeg_is_limited_to_the_protocols_a_camera_needs():
    options = videocapture.ffmpeg_options(SourceKind.RTSP)
    assert options["rtsp_transport"] == "tcp"
    protocols = set(options["protocol_whitelist"].split(","))
    assert {"rtsp", "tcp"} <= protocols
    assert protocols.isdisjoint({"concat", "subfile", "pipe", "data", "http", "ftp", "async"})


def _camera_form(camera: Camera, **changes) -> dict:
    data = {
        "facility": camera.facility_id, "name": camera.name, "source_kind": "rtsp",
        "url": "rtsp://192.168.1.64:554/live", "orientation": camera.orientation,
        "enabled": "on", "analysis_fps": "5", "snapshot_interval": "1",
        "idle_snapshot_interval": "10", "timeline_interval": "10",
        "timeline_retention_days": "7", "motion_zones": "[]", "privacy_masks": "[]",
    }
    data.update(changes)
    return data


@pytest.fixture
def kpu_camera(world) -> Camera:
    return Camera.objects.create(facility=world.a.facilities["kpu_office"], name="Lobi",
                                 source_kind="rtsp", url="rtsp://192.168.1.64:554/live",
                                 orientation=Orientation.INWARD)


def test_the_form_refuses_credentials_in_the_address_without_echoing_them(client, world,
                                                                          kpu_camera):
    client.force_login(world.a.users["kpu"])
    response = client.post(reverse("cameras:edit", args=[kpu_camera.pk]), _camera_form(
        kpu_camera, url="rtsp://admin:Rahasia-99@192.168.1.64/live"))
    assert response.status_code == 200
    assert "url" in response.context["form"].errors
    assert "Rahasia-99" not in str(response.context["form"].errors)


# --- names and lengths -------------------------------------------------------------------------


def test_names_are_stored_in_nfc_without_controls(world):
    decomposed = "Kantor Kecamatan Pa\u0301ndan\u202e  Barat\x00"
    assert clean_name(decomposed) == "Kantor Kecamatan Pándan Barat"
    assert clean_name("  Siti\u200dNur   Aisyah\n") == "Siti\u200dNur Aisyah"  # ZWJ kept
    assert clean_name("عبد الله") == "عبد الله"


def test_forms_and_the_admin_store_names_normalised(client, world, kpu_camera):
    client.force_login(world.a.users["kpu"])
    client.post(reverse("cameras:edit", args=[kpu_camera.pk]),
                _camera_form(kpu_camera, name="Gudang Sele\u0301tan\u202e"))
    kpu_camera.refresh_from_db()
    assert kpu_camera.name == "Gudang Selétan"
    client.force_login(world.a.users["admin"])
    facility = world.a.facilities["kpu_office"]
    response = client.post(reverse("admin:places_facility_change", args=[facility.pk]), {
        "name": "Kantor KPU Kota Pe\u0301mbina ", "kind": facility.kind,
        "owner_agency": facility.owner_agency_id, "region": facility.region_id,
        "address": "Jl. Ke\u0301nari  No. 12", "status": facility.status,
        "latitude": "", "longitude": "",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors
    facility.refresh_from_db()
    assert facility.name == "Kantor KPU Kota Pémbina"
    assert facility.address == "Jl. Kénari No. 12"
    person = User.objects.create(username="n", full_name="Dewi Ma\u0301rlina\u2066")
    assert person.full_name == "Dewi Márlina"


def test_lengths_are_bounded_in_characters(client, world, kpu_camera):
    client.force_login(world.a.users["kpu"])
    long_name = client.post(reverse("cameras:edit", args=[kpu_camera.pk]),
                            _camera_form(kpu_camera, name="é" * 121))
    assert "name" in long_name.context["form"].errors
    fits = client.post(reverse("cameras:edit", args=[kpu_camera.pk]),
                       _camera_form(kpu_camera, name="é" * 120))
    assert fits.status_code == 302


# --- extra fields (mass assignment) ------------------------------------------------------------


def test_unknown_and_protected_fields_are_ignored(client, world, kpu_camera):
    kpu_camera.set_credentials("cam", "kept-secret-1")
    token = Camera.objects.get(pk=kpu_camera.pk).password_token
    client.force_login(world.a.users["kpu"])
    response = client.post(reverse("cameras:edit", args=[kpu_camera.pk]), _camera_form(
        kpu_camera, password_token="forged", username_token="forged", id="999",
        pk="999", created_by=world.a.users["admin"].pk))
    assert response.status_code == 302
    kpu_camera.refresh_from_db()
    assert kpu_camera.password_token == token and kpu_camera.pk != 999


def test_another_citys_facility_cannot_be_slipped_in(client, world, kpu_camera):
    client.force_login(world.a.users["kpu"])
    response = client.post(reverse("cameras:edit", args=[kpu_camera.pk]), _camera_form(
        kpu_camera, facility=world.b.facilities["kpu_office"].pk))
    assert response.status_code == 200 and "facility" in response.context["form"].errors
    kpu_camera.refresh_from_db()
    assert kpu_camera.facility == world.a.facilities["kpu_office"]


def test_a_share_cannot_name_who_granted_it(client, world):
    camera = Camera.objects.create(facility=world.a.facilities["kpu_office"], name="Depan",
                                   source_kind="rtsp", url="rtsp://192.168.1.64/live",
                                   orientation=Orientation.OUTWARD)
    kpu = world.a.users["kpu"]
    client.force_login(kpu)
    client.post(reverse("cameras:share", args=[camera.pk]), {
        "grantee": world.a.agencies["polres"].pk, "basis": "MoU",
        "granted_by": world.b.users["kpu"].pk, "camera": 12345, "revoked_at": "2020-01-01"})
    share = camera.shares.get()
    assert share.granted_by == kpu and share.camera == camera and share.revoked_at is None


# --- times -------------------------------------------------------------------------------------


@pytest.fixture
def witacamera(world) -> Camera:
    return Camera.objects.create(facility=world.b.facilities["kpu_office"], name="Depan",
                                 source_kind="rtsp", url="rtsp://192.168.1.64/live",
                                 orientation=Orientation.OUTWARD)


def test_a_time_without_a_zone_is_the_facilitys_local_time(client, world, witacamera):
    """City B is in WITA (UTC+8): 18:00 typed there is 10:00 UTC, not 11:00 (server WIB)."""
    year = datetime.now(UTC).year + 1  # a share must end in the future
    client.force_login(world.b.users["kpu"])
    client.post(reverse("cameras:share", args=[witacamera.pk]), {
        "grantee": world.b.agencies["polres"].pk, "basis": "MoU",
        "valid_until": f"{year}-12-01T18:00"})
    share = witacamera.shares.get()
    assert share.valid_until == datetime(year, 12, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("value", ["2029-02-30T10:00", "2026-12-01T24:00", "2026-12-01T23:59:60",
                                   "0000-01-01T00:00", "NaN", "1764583200", "2026-13-01T10:00"])
def test_impossible_times_are_refused_not_crashed(client, world, witacamera, value):
    client.force_login(world.b.users["kpu"])
    response = client.post(reverse("cameras:share", args=[witacamera.pk]), {
        "grantee": world.b.agencies["polres"].pk, "basis": "MoU", "valid_until": value})
    assert response.status_code == 302
    assert not witacamera.shares.exists()


def test_facility_zones_are_the_three_indonesian_zones():
    moment = datetime(2026, 6, 1, tzinfo=UTC)
    offsets = {zone: moment.astimezone(ZoneInfo(zone)).utcoffset().total_seconds() / 3600
               for zone in ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")}
    assert offsets == {"Asia/Jakarta": 7, "Asia/Makassar": 8, "Asia/Jayapura": 9}
    assert set(Region.TimeZone.values) == set(offsets)
