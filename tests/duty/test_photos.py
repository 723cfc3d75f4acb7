"""Check-in photos: real images only, bounded, re-encoded to JPEG without metadata, renamed,
and served only to the person, the post's planners and administrators."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from apps.duty import photos, services
from apps.duty.models import Attendance
from tests.duty.conftest import NOW, jpeg_bytes, make_shift


def _exif_with_location() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "S", 2: (8.0, 5.0, 43.0)}  # GPS: latitude
    return exif.tobytes()


def upload(data: bytes, name: str = "IMG_0001.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_a_phone_photo_is_reencoded_without_metadata_under_a_random_name():
    raw = jpeg_bytes((3000, 2000), exif=_exif_with_location())
    assert b"PhoneMaker" in raw
    out = photos.photo_normalise(upload(raw, name="../../etc/passwd.jpg"))
    data = out.read()
    assert out.name.endswith(".jpg") and "passwd" not in out.name and len(out.name) == 36
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and max(image.size) == photos.MAX_SIDE
    assert b"PhoneMaker" not in data and not image.getexif()
    assert "exif" not in image.info


def test_png_and_webp_become_jpeg():
    for fmt in ("PNG", "WEBP"):
        out = photos.photo_normalise(upload(jpeg_bytes((64, 48), fmt=fmt), name=f"x.{fmt}"))
        assert Image.open(io.BytesIO(out.read())).format == "JPEG"


@pytest.mark.parametrize("data", [
    b"<html><script>alert(1)</script></html>",
    b"GIF89a" + b"\x00" * 40,
    b"\xff\xd8\xff\xe0" + b"\x00" * 100,  # a JPEG header and nothing else
    b"",
])
def test_what_is_not_a_readable_photo_is_refused(data):
    with pytest.raises(ValidationError):
        photos.photo_normalise(upload(data))


def test_a_gif_is_refused_even_if_valid():
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="GIF")
    with pytest.raises(ValidationError) as error:
        photos.photo_normalise(upload(buffer.getvalue(), name="x.gif"))
    assert error.value.code == "format"


def _png_header_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares a huge canvas (a decompression bomb)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 10)) + chunk(b"IEND", b""))


def test_too_many_pixels_is_refused_before_decoding():
    with pytest.raises(ValidationError) as error:
        photos.photo_normalise(upload(_png_header_claiming(20_000, 20_000), name="bomb.png"))
    assert error.value.code in ("pixels", "invalid")


def test_too_many_bytes_is_refused(monkeypatch):
    monkeypatch.setattr(photos, "MAX_UPLOAD_BYTES", 1000)
    with pytest.raises(ValidationError) as error:
        photos.photo_normalise(upload(jpeg_bytes((400, 400))))
    assert error.value.code == "too_large"


@pytest.fixture
def checked_in(duty, settings):
    with time_machine.travel(NOW, tick=False):
        shift = make_shift(duty.post("A"), duty.user("field_polri"), NOW - timedelta(minutes=3))
        attendance = services.attendance_check_in(
            shift=shift, user=shift.person,
            photo=upload(jpeg_bytes(exif=_exif_with_location())))
    return attendance


def test_the_stored_photo_is_served_only_to_those_allowed(client, duty, checked_in):
    assert checked_in.photo.name.startswith("duty/attendance/")
    url = reverse("duty:attendance_photo", args=[checked_in.pk])
    allowed = {"field_polri", "padal", "commander", "admin"}
    for city in ("A", "B"):
        for name in ("field_polri", "field_tni", "padal", "commander", "operator", "kpu",
                     "admin"):
            user = duty.user(name, city)
            client.force_login(user)
            response = client.get(url)
            expected = 200 if (city == "A" and name in allowed) or name == "admin" else 404
            assert response.status_code == expected, (city, name)
            if expected == 200:
                body = b"".join(response.streaming_content)
                assert body.startswith(b"\xff\xd8") and b"PhoneMaker" not in body
                assert response["Content-Type"] == "image/jpeg"
                assert "no-store" in response["Cache-Control"]
    client.logout()
    assert client.get(url).status_code == 302


def test_cross_site_photo_requests_get_nothing(client, duty, checked_in):
    client.force_login(duty.user("field_polri"))
    response = client.get(reverse("duty:attendance_photo", args=[checked_in.pk]),
                          headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 404


def test_media_paths_are_not_served(client, duty, checked_in):
    client.force_login(duty.user("field_polri"))
    assert client.get("/" + checked_in.photo.name).status_code == 404
    assert client.get("/media/" + checked_in.photo.name).status_code == 404


@time_machine.travel(NOW, tick=False)
def test_the_page_refuses_a_fake_photo_with_a_400(client, duty):
    shift = make_shift(duty.post("A"), duty.user("field_polri"), NOW - timedelta(minutes=3))
    client.force_login(shift.person)
    response = client.post(reverse("duty:check_in", args=[shift.pk]),
                           {"photo": upload(b"<svg onload=alert(1)>", name="x.jpg")})
    assert response.status_code == 400
    assert not Attendance.objects.exists()
