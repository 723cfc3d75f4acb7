"""Photos (T-IN-7..T-IN-11): real images only, bounded before decoding, re-encoded to a plain
JPEG without metadata, stored under generated names, served by an authorising view only."""

from __future__ import annotations

import hashlib
import io
import struct
import uuid
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from PIL import Image, ImageFile

from apps.records import photos
from apps.records.models import RecordPhoto
from apps.records.services.patrols import patrol_visit_record
from tests.records.conftest import jpeg_bytes, upload, visit


def normalise(data: bytes, name="foto.jpg"):
    return photos.photo_normalise(upload(data, name))


def png_header_only(width: int, height: int) -> bytes:
    """A valid PNG signature and IHDR claiming a huge canvas, with one tiny IDAT: a few
    hundred bytes that would decode to gigabytes."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


def test_a_jpeg_is_re_encoded_with_a_generated_name_and_its_hash():
    result = normalise(jpeg_bytes(), name="../../etc/passwd")
    stored = result.content.read()
    assert result.content.name.endswith(".jpg") and "/" not in result.content.name
    assert "passwd" not in result.content.name
    assert stored[:3] == b"\xff\xd8\xff"
    assert result.sha256 == hashlib.sha256(stored).hexdigest()


@pytest.mark.parametrize("name", ["CON", "a" * 300 + ".jpg", "foto\u202egpj.exe", "x\x00.jpg"])
def test_client_filenames_never_reach_storage(name):
    assert normalise(jpeg_bytes(), name=name).content.name[:-4].isalnum()


def test_exif_location_is_stripped():
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "S", (7.0, 15.0, 0.0)
    gps[3], gps[4] = "E", (112.0, 45.0, 0.0)
    original = jpeg_bytes(exif=exif)
    assert b"PhoneMaker" in original
    stored = normalise(original).content.read()
    assert b"Exif" not in stored and b"PhoneMaker" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif()


def test_a_jpeg_html_polyglot_is_re_encoded_without_its_payload():
    payload = b"<html><script>alert(document.cookie)</script></html>"
    stored = normalise(jpeg_bytes() + payload).content.read()
    assert b"<script" not in stored


def test_a_png_with_html_in_a_text_chunk_becomes_a_clean_jpeg():
    out = io.BytesIO()
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    Image.new("RGBA", (30, 30), (0, 0, 255, 128)).save(out, format="PNG", pnginfo=info)
    stored = normalise(out.getvalue(), name="foto.jpg").content.read()
    assert stored[:3] == b"\xff\xd8\xff" and b"<script" not in stored


@pytest.mark.parametrize("data", [
    b"",
    b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
    b"<!doctype html><html><script>alert(1)</script></html>",
    b"%PDF-1.4\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj",
    b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",  # a real image format, not accepted
    jpeg_bytes()[:200],  # truncated
], ids=["empty", "svg", "html", "pdf", "gif", "truncated"])
def test_non_photos_are_refused(data):
    with pytest.raises(ValidationError) as error:
        normalise(data)
    assert error.value.code == "invalid"


def test_a_pixel_flood_is_refused_before_decoding(monkeypatch):
    def no_decoding(self, *args, **kwargs):
        raise AssertionError("decoded a bomb")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    for width, height in ((20_000, 20_000), (7_000, 7_000)):
        with pytest.raises(ValidationError) as error:
            normalise(png_header_only(width, height), name="bom.png")
        assert error.value.code == "pixels"


def test_size_and_count_limits():
    big = upload(b"\xff\xd8" + b"\0" * (photos.MAX_UPLOAD_BYTES + 1))
    with pytest.raises(ValidationError) as error:
        photos.photo_normalise(big)
    assert error.value.code == "too_large"
    with pytest.raises(ValidationError) as error:
        photos.photos_normalise([upload(jpeg_bytes())] * (photos.MAX_PHOTOS + 1))
    assert error.value.code == "too_many"


def test_a_large_photo_is_scaled_down():
    result = normalise(jpeg_bytes(size=(4000, 3000)))
    assert max(result.width, result.height) == photos.MAX_SIDE


def test_an_oversized_request_is_refused_before_parsing(client, world, settings):
    settings.RECORDS_MAX_REQUEST_BYTES = 1000
    client.force_login(world.a.users["field_polri"])
    response = client.post(reverse("records:visit_submit"),
                           {"client_key": str(uuid.uuid4()), "photos": upload(b"x" * 5000)},
                           HTTP_ACCEPT="application/json")
    assert response.status_code == 413


def test_photos_are_stored_hashed_and_served_only_to_those_who_may_see_them(client, world,
                                                                           points):
    officer = world.a.users["field_polri"]
    saved = patrol_visit_record(user=officer, entry=visit(points.gate),
                                photos=photos.photos_normalise([upload(jpeg_bytes())])).record
    photo = RecordPhoto.objects.get(visit=saved)
    with photo.image.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == photo.sha256
    assert photo.image.name.startswith("records/photos/")
    url = reverse("records:photo", args=[photo.pk])
    for who, status in (("field_polri", 200), ("commander", 200), ("kpu", 200),
                        ("field_tni", 404), ("bawaslu", 404)):
        client.force_login(world.a.users[who])
        response = client.get(url)
        assert response.status_code == status, who
        if status == 200:
            assert response["Content-Type"] == "image/jpeg"
            assert response["X-Content-Type-Options"] == "nosniff"
            assert "no-store" in response["Cache-Control"]
    client.force_login(world.b.users["commander"])
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_photos_over_http_end_to_end(client, world, points):
    client.force_login(world.a.users["field_polri"])
    exif = Image.Exif()
    exif.get_ifd(0x8825)[2] = (7.0, 15.0, 0.0)
    response = client.post(reverse("records:visit_submit"), {
        "client_key": str(uuid.uuid4()), "code": points.gate.code, "situation": "safe",
        "photos": [upload(jpeg_bytes(exif=exif), "IMG_0001.JPG"),
                   upload(b"<svg/>", "x.svg", "image/svg+xml")],
    }, HTTP_ACCEPT="application/json")
    assert response.status_code == 400  # one bad file refuses the entry: nothing half-saved
    assert not RecordPhoto.objects.exists()
    response = client.post(reverse("records:visit_submit"), {
        "client_key": str(uuid.uuid4()), "code": points.gate.code, "situation": "safe",
        "photos": [upload(jpeg_bytes(exif=exif), "IMG_0001.JPG")],
    }, HTTP_ACCEPT="application/json")
    assert response.status_code == 201
    stored = RecordPhoto.objects.get()
    with stored.image.open("rb") as handle:
        assert b"Exif" not in handle.read()


def test_too_many_files_in_one_request_are_refused(client, world, points):
    client.force_login(world.a.users["field_polri"])
    files = [upload(jpeg_bytes(size=(4, 4)), f"{i}.jpg") for i in range(101)]
    response = client.post(reverse("records:visit_submit"), {
        "client_key": str(uuid.uuid4()), "code": points.gate.code, "situation": "safe",
        "photos": files}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    response = client.post(reverse("records:visit_submit"), {
        "client_key": str(uuid.uuid4()), "code": points.gate.code, "situation": "safe",
        "photos": files[:photos.MAX_PHOTOS + 1]}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and response.json()["code"] == "too_many"
    assert not RecordPhoto.objects.exists()
