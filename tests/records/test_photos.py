"""Record photos (T-IN-7..T-IN-11): normalised by apps.core.photos (tested in tests/core), refused
by the entry as the normaliser refuses them, stored hashed, served by an authorising view only."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from django.urls import reverse
from PIL import Image

from apps.core import photos
from apps.records.models import RecordPhoto
from apps.records.services.patrols import patrol_visit_record
from tests.core.photo_samples import REFUSED
from tests.records.conftest import jpeg_bytes, sync_visits, synced, upload, visit


@pytest.mark.parametrize(("data", "code"), [(d, c) for _n, d, c in REFUSED],
                         ids=[n for n, _d, _c in REFUSED])
def test_an_entry_with_an_empty_file_a_bomb_or_a_gif_is_refused(client, world, points, data,
                                                                 code):
    client.force_login(world.a.users["field_polri"])
    result = synced(client, {"client_key": str(uuid.uuid4()), "code": points.gate.code,
                             "situation": "safe"}, [upload(data, "IMG_0001.JPG")])
    assert result["status"] == 400 and result["error"]["code"] == code
    assert not RecordPhoto.objects.exists()


def test_an_oversized_request_is_refused_before_parsing(client, world, settings):
    settings.RECORDS_MAX_REQUEST_BYTES = 1000
    client.force_login(world.a.users["field_polri"])
    response = sync_visits(client, [{"client_key": str(uuid.uuid4())}],
                           {0: [upload(b"x" * 5000)]})
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    response = client.post(reverse("records:visit_submit"),
                           {"client_key": str(uuid.uuid4()), "photos": upload(b"x" * 5000)})
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
    entry = {"code": points.gate.code, "situation": "safe"}
    result = synced(client, {**entry, "client_key": str(uuid.uuid4())}, [
        upload(jpeg_bytes(exif=exif), "IMG_0001.JPG"),
        upload(b"<svg/>", "x.svg", "image/svg+xml")])
    assert result["status"] == 400  # one bad file refuses the entry: nothing half-saved
    assert not RecordPhoto.objects.exists()
    # A batch: each visit gets its own photos, a visit without any gets none.
    response = sync_visits(client, [{**entry, "client_key": str(uuid.uuid4())},
                                    {**entry, "client_key": str(uuid.uuid4())}],
                           {1: [upload(jpeg_bytes(exif=exif), "IMG_0001.JPG")]})
    assert [r["status"] for r in response.json()["results"]] == [201, 201]
    stored = RecordPhoto.objects.get()
    assert stored.visit_id == response.json()["results"][1]["visit"]["id"]
    with stored.image.open("rb") as handle:
        assert b"Exif" not in handle.read()


def test_too_many_files_in_one_request_are_refused(client, world, points):
    client.force_login(world.a.users["field_polri"])
    files = [upload(jpeg_bytes(size=(4, 4)), f"{i}.jpg") for i in range(101)]
    entry = {"client_key": str(uuid.uuid4()), "code": points.gate.code, "situation": "safe"}
    assert sync_visits(client, [entry], {0: files}).status_code == 400
    result = synced(client, entry, files[:photos.MAX_PHOTOS + 1])
    assert result["status"] == 400 and result["error"]["code"] == "too_many"
    # Photos named for no visit of the batch.
    assert sync_visits(client, [entry], {1: files[:1]}).status_code == 400
    assert not RecordPhoto.objects.exists()
