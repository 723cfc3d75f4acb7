"""The photo normaliser (T-IN-7..T-IN-11): real images only, bounded before decoding,
re-encoded to a plain JPEG without metadata, under generated names. Each place a photo is
uploaded (records, check-ins) tests that its entry point refuses what is refused here."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile, PngImagePlugin

from apps.core import photos
from tests.core.photo_samples import REFUSED, png_header_only


def jpeg_bytes(size=(64, 48), exif=None, fmt="JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt, **({"exif": exif} if exif else {}))
    return out.getvalue()


def upload(data: bytes, name: str = "foto.jpg"):
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def normalise(data: bytes, name="foto.jpg"):
    return photos.photo_normalise(upload(data, name))


def test_a_jpeg_is_re_encoded_with_a_generated_name_and_its_hash():
    result = normalise(jpeg_bytes(), name="../../etc/passwd")
    stored = result.content.read()
    assert result.content.name.endswith(".jpg") and "/" not in result.content.name
    assert "passwd" not in result.content.name and len(result.content.name) == 36
    assert stored[:3] == b"\xff\xd8\xff"
    assert result.sha256 == hashlib.sha256(stored).hexdigest()


@pytest.mark.parametrize("name", ["CON", "a" * 300 + ".jpg", "foto\u202egpj.exe", "x\x00.jpg"])
def test_client_filenames_never_reach_storage(name):
    assert normalise(jpeg_bytes(), name=name).content.name[:-4].isalnum()


def test_png_and_webp_become_jpeg():
    for fmt in ("PNG", "WEBP"):
        stored = normalise(jpeg_bytes(fmt=fmt), name=f"x.{fmt}").content.read()
        assert Image.open(io.BytesIO(stored)).format == "JPEG"


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
        assert not image.getexif() and "exif" not in image.info


def test_the_phones_orientation_is_kept():
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    stored = normalise(jpeg_bytes(size=(80, 40), exif=exif)).content.read()
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (40, 80)


def test_a_jpeg_html_polyglot_is_re_encoded_without_its_payload():
    payload = b"<html><script>alert(document.cookie)</script></html>"
    stored = normalise(jpeg_bytes() + payload).content.read()
    assert b"<script" not in stored


def test_a_png_with_html_in_a_text_chunk_becomes_a_clean_jpeg():
    out = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    Image.new("RGBA", (30, 30), (0, 0, 255, 128)).save(out, format="PNG", pnginfo=info)
    stored = normalise(out.getvalue(), name="foto.jpg").content.read()
    assert stored[:3] == b"\xff\xd8\xff" and b"<script" not in stored


@pytest.mark.parametrize("data", [
    b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
    b"<!doctype html><html><script>alert(1)</script></html>",
    b"%PDF-1.4\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj",
    b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
    b"\xff\xd8\xff\xe0" + b"\x00" * 100,  # a JPEG header and nothing else
    jpeg_bytes()[:200],  # truncated
], ids=["svg", "html", "pdf", "gif-header", "jpeg-header", "truncated"])
def test_non_photos_are_refused(data):
    with pytest.raises(ValidationError) as error:
        normalise(data)
    assert error.value.code == "invalid"


@pytest.mark.parametrize(("data", "code"), [(d, c) for _n, d, c in REFUSED],
                         ids=[n for n, _d, _c in REFUSED])
def test_empty_files_bombs_and_other_formats_are_refused(data, code):
    with pytest.raises(ValidationError) as error:
        normalise(data)
    assert error.value.code == code


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
