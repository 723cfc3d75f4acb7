"""Check-in photos: normalised by apps.core.photos (tested in tests/core), refused by the check-in
as the normaliser refuses them, and served only to the person, the post's planners and
administrators."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from apps.duty import services
from apps.duty.models import Attendance
from tests.core.photo_samples import REFUSED
from tests.duty.conftest import NOW, jpeg_bytes, make_shift


def _exif_with_location() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "S", 2: (8.0, 5.0, 43.0)}  # GPS: latitude
    return exif.tobytes()


def upload(data: bytes, name: str = "IMG_0001.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(("data", "code"), [(d, c) for _n, d, c in REFUSED],
                         ids=[n for n, _d, _c in REFUSED])
def test_a_check_in_with_an_empty_file_a_bomb_or_a_gif_is_refused(duty, data, code):
    shift = make_shift(duty.post("A"), duty.user("field_polri"), NOW - timedelta(minutes=3))
    with pytest.raises(ValidationError) as error:
        services.attendance_check_in(shift=shift, user=shift.person,
                                     photo=upload(data, name="IMG_0001.jpg"))
    assert error.value.code == code
    assert not Attendance.objects.exists()


def test_the_stored_photo_is_a_fresh_jpeg_without_metadata(checked_in):
    with checked_in.photo.open("rb") as handle:
        data = handle.read()
    assert data.startswith(b"\xff\xd8") and b"PhoneMaker" not in data
    assert len(checked_in.photo.name.rsplit("/", 1)[1]) == 36  # a generated name


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
