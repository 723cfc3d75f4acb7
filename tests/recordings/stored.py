"""Recorded segments for the playback and access tests: a row and a stored file (any bytes:
these tests play files, they do not decode them)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.core.files.base import ContentFile

from apps.cameras.models import Camera
from apps.recordings.models import RecordingSegment
from apps.recordings.services import storage, storage_name

PAYLOAD = bytes(range(256)) * 40  # 10 240 bytes, each offset recognisable


def stored_segment(camera: Camera, start: datetime, *, seconds: int = 60,
                   payload: bytes = PAYLOAD, **flags) -> RecordingSegment:
    name = storage().save(storage_name(camera.pk, start), ContentFile(payload))
    return RecordingSegment.objects.create(
        camera=camera, start=start, end=start + timedelta(seconds=seconds), bytes=len(payload),
        sha256=hashlib.sha256(payload).hexdigest(), storage_name=name, **flags)
