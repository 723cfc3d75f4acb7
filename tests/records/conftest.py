from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from apps.alerts.models import Alert, AlertEvidence
from apps.alerts.services import alert_raise
from apps.cameras.models import TimelineFrame
from apps.records import antiabuse, tokens
from apps.records.models import Checkpoint
from apps.records.services import incidents as incident_services
from apps.records.services.patrols import VisitInput
from tests.cameras.conftest import cameras  # noqa: F401  (fixture of incident_with_frames)


@dataclass
class Points:
    """Checkpoints of the cast: city A's KPU office (district 1) and warehouse (district 2),
    and city B's KPU office."""

    gate: Checkpoint
    fence: Checkpoint
    warehouse_door: Checkpoint
    b_gate: Checkpoint


def make_checkpoint(facility, name: str, lat=None, lon=None) -> Checkpoint:
    return Checkpoint.objects.create(facility=facility, name=name, code=tokens.new_code(),
                                     latitude=lat, longitude=lon)


@pytest.fixture
def points(world) -> Points:
    return Points(
        gate=make_checkpoint(world.a.facilities["kpu_office"], "Gerbang utama",
                             "-7.250000", "112.750000"),
        fence=make_checkpoint(world.a.facilities["kpu_office"], "Pojok pagar utara",
                              "-7.250900", "112.750000"),
        warehouse_door=make_checkpoint(world.a.facilities["warehouse"], "Pintu gudang",
                                       "-7.300000", "112.800000"),
        b_gate=make_checkpoint(world.b.facilities["kpu_office"], "Gerbang B"),
    )


def visit(checkpoint: Checkpoint | None = None, **overrides) -> VisitInput:
    values = {"client_key": uuid.uuid4()}
    if checkpoint is not None:
        values["token"] = tokens.checkpoint_token(checkpoint)
    values.update(overrides)
    return VisitInput(**values)


def jpeg_bytes(size=(64, 48), colour=(200, 30, 30), exif=None) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, colour)
    if exif is not None:
        image.save(out, format="JPEG", exif=exif)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()


def upload(data: bytes, name: str = "foto.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def sync_visits(client, visits: list[dict], photos: dict[int, list] | None = None):
    """What the patrol page's offline queue sends (static/js/records-field.js): JSON, or
    multipart with each visit's photos as `photos.<index>`."""
    url = reverse("api:sync-visits")
    if photos is None:
        return client.post(url, {"visits": visits}, content_type="application/json")
    return client.post(url, {"visits": json.dumps(visits)} | {
        f"photos.{index}": files for index, files in photos.items()})


def synced(client, entry: dict, photos: list | None = None) -> dict:
    """One queued visit sent: its result ({"result", "status", "visit", "error"})."""
    response = sync_visits(client, [entry], None if photos is None else {0: photos})
    assert response.status_code == 200, response.content
    return response.json()["results"][0]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; ids repeat between tests on SQLite."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


# --- incidents: a report, camera frames around it, the public tip form ----------------------


def report(world, who="field_polri", facility="kpu_office", **kwargs):
    entry = incident_services.IncidentInput(
        client_key=uuid.uuid4(), category=kwargs.pop("category", "suspicious_object"),
        description=kwargs.pop("description", "Paket tanpa pengirim di gerbang"), **kwargs)
    return incident_services.incident_report(
        user=world.a.users[who], facility=world.a.facilities[facility], entry=entry).record


def frame(camera, at) -> TimelineFrame:
    row = TimelineFrame(camera=camera, taken_at=at)
    row.image.save("f.jpg", ContentFile(jpeg_bytes()), save=True)
    return row


@pytest.fixture
def incident_with_frames(world, cameras):  # noqa: F811
    incident = report(world)
    at = incident.occurred_at
    out, inward = cameras[("A", "kpu_out")], cameras[("A", "kpu_in")]
    frames = {"out": frame(out, at - timedelta(minutes=1)),
              "in": frame(inward, at - timedelta(minutes=1)),
              "old": frame(out, at - timedelta(hours=2))}
    alert, _ = alert_raise(kind=Alert.Kind.MOTION, severity=3, facility=out.facility,
                           dedup_key="motion:x", title="Gerakan", camera=out)
    kept = AlertEvidence(alert=alert, camera=out, taken_at=at, offset_seconds=0, sha256="x")
    kept.image.save("e.jpg", ContentFile(jpeg_bytes()), save=True)
    frames["kept"] = kept
    return incident, frames


def tip_data(world, client, **overrides):
    client.get(reverse("records:tip"))
    data = {"form_token": antiabuse.tip_form_token(now=0), "website": "",
            "facility": world.a.facilities["warehouse"].pk, "category": "suspicious_object",
            "description": "Ada mobil berhenti lama di depan gudang malam ini",
            "location_detail": "Depan gerbang", "contact": ""}
    data.update(overrides)
    return data


@pytest.fixture
def issued_long_ago(monkeypatch):
    """Form tokens issued at t=0 and checked later (the minimum fill time has passed)."""
    real = antiabuse.tip_form_check
    monkeypatch.setattr(antiabuse, "tip_form_check", lambda token: real(token, now=60))
