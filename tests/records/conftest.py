from __future__ import annotations

import io
import uuid
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.records import tokens
from apps.records.models import Checkpoint
from apps.records.services.patrols import VisitInput


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


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; ids repeat between tests on SQLite."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
