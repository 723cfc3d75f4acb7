"""Private images (apps.core.private_files): the headers asserted once on the helper, then each
of the six handlers that serve one shown to answer with them and to refuse cross-site
requests. Who may see which image is the access policy's, tested in each area."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from apps.alerts.models import Alert, AlertEvidence
from apps.alerts.services import alert_raise
from apps.cameras.models import Camera, Orientation
from apps.cameras.services import share_grant
from apps.core.private_files import PRIVATE_HEADERS, private_image
from apps.duty import services as duty
from apps.duty.models import GuardPost, Shift
from apps.streams import frames
from tests.records.urlworld import records_objects


def jpeg(size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 90, 20)).save(out, format="JPEG")
    return out.getvalue()


def _headers_are_private(response, filename: str | None = None) -> None:
    for name, value in PRIVATE_HEADERS.items():
        assert response[name] == value, name
    assert response["Content-Disposition"].startswith("inline; filename=")
    if filename:
        assert response["Content-Disposition"] == f'inline; filename="{filename}"'


def test_the_helper_sets_the_private_headers():
    request = RequestFactory().get("/x", headers={"Sec-Fetch-Site": "same-origin"})
    response = private_image(request, b"\xff\xd8\xff", "foto-1.jpg", last_modified=0)
    assert response["Content-Type"] == "image/jpeg" and response.content == b"\xff\xd8\xff"
    _headers_are_private(response, "foto-1.jpg")
    assert PRIVATE_HEADERS == {
        "Cache-Control": "no-store, private",
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    assert response["Last-Modified"] == "Thu, 01 Jan 1970 00:00:00 GMT"


def test_the_helper_refuses_cross_site_requests_and_missing_files():
    cross = RequestFactory().get("/x", headers={"Sec-Fetch-Site": "cross-site"})
    with pytest.raises(Http404):
        private_image(cross, b"\xff\xd8\xff", "foto.jpg")
    missing = Alert(evidence="evidence/gone.jpg").evidence  # a stored file since deleted
    with pytest.raises(Http404):
        private_image(RequestFactory().get("/x"), missing, "foto.jpg")


def test_a_thumbnail_is_a_smaller_jpeg_under_the_same_headers():
    response = private_image(RequestFactory().get("/x"), ContentFile(jpeg((1280, 720))),
                             "kecil.jpg", max_width=240)
    _headers_are_private(response, "kecil.jpg")
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.format == "JPEG" and image.width == 240


@pytest.fixture
def served(world):
    """One image of each kind, in city A, with who may see it."""
    a = world.a
    camera = Camera.objects.create(
        facility=a.facilities["warehouse"], name="Gerbang", source_kind="mjpeg",
        url="http://127.0.0.1:8554/mjpeg/gate", orientation=Orientation.OUTWARD)
    share_grant(camera=camera, grantee=a.agencies["polres"], basis="MoU", by=a.users["kpu"])
    frames.write_latest(camera.pk, jpeg())
    world.a_camera = camera  # what records_objects attaches frames of
    records = records_objects(world)
    alert, _ = alert_raise(kind=Alert.Kind.OTHER, severity=Alert.Severity.HIGH,
                           facility=a.facilities["warehouse"], dedup_key=f"t:{uuid.uuid4()}",
                           title="Paket mencurigakan")
    alert.evidence.save("e.jpg", ContentFile(jpeg()), save=True)
    frame = AlertEvidence(alert=alert, camera=camera, taken_at=alert.first_raised_at,
                          offset_seconds=0, sha256="x")
    frame.image.save("f.jpg", ContentFile(jpeg()), save=True)
    now = timezone.now()
    post = GuardPost.objects.create(facility=a.facilities["warehouse"], name="Pos", is_main=True)
    officer = a.users["field_polri"]
    shift = Shift.objects.create(post=post, person=officer, pillar="polri",
                                 start=now - timedelta(minutes=5), end=now + timedelta(hours=8),
                                 published_at=now)
    attendance = duty.attendance_check_in(
        shift=shift, user=officer, photo=SimpleUploadedFile("p.jpg", jpeg()))
    operator = a.users["operator"]
    return {
        "alert evidence": (reverse("alerts:evidence", args=[alert.pk]), operator),
        "alert evidence frame": (reverse("alerts:evidence_frame", args=[frame.pk]), operator),
        "snapshot": (reverse("cameras:snapshot", args=[camera.pk]), operator),
        "api snapshot": (f"/api/cameras/{camera.pk}/snapshot/", operator),
        "incident evidence": (reverse("records:evidence_image", args=[records.evidence.pk]),
                              operator),
        "timeline frame": (reverse("records:candidate_frame", args=[
            records.incident.pk, "timeline", records.frame.pk]), operator),
        "record photo": (reverse("records:photo", args=[records.photo.pk]), officer),
        "check-in photo": (reverse("duty:attendance_photo", args=[attendance.pk]), officer),
    }


HANDLERS = ["alert evidence", "alert evidence frame", "snapshot", "api snapshot",
            "incident evidence", "timeline frame", "record photo", "check-in photo"]


@pytest.mark.parametrize("handler", HANDLERS)
def test_every_private_image_handler_uses_the_helper(client, served, handler):
    url, viewer = served[handler]
    client.force_login(viewer)
    response = client.get(url, headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 200, handler
    assert response["Content-Type"] == "image/jpeg"
    _headers_are_private(response)
    assert client.get(url, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 404
