"""Cluster mode: recordings go only through the storage API, so the "recordings" storage may
be a shared filesystem or S3-compatible object storage and the web processes never need a
worker's local disk."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import InMemoryStorage

from apps.cameras.models import Camera
from apps.recordings import services
from apps.recordings.models import RecordingSegment
from apps.vision.recording import Segment
from portal.settings import base


@pytest.fixture
def camera(world) -> Camera:
    return Camera.objects.create(facility=world.a.facilities["warehouse"], name="Gerbang",
                                 source_kind="rtsp", url="rtsp://192.168.60.20/1")


def test_segments_are_stored_read_and_deleted_through_any_storage(settings, tmp_path,
                                                                  camera) -> None:
    """Storage without local paths (as object storage): store, read back, expire, sweep."""
    settings.STORAGES = {**settings.STORAGES, "recordings": {
        "BACKEND": "django.core.files.storage.InMemoryStorage"}}
    store = services.storage()
    assert isinstance(store, InMemoryStorage)
    payload = b"\0\0\0\x18ftypiso6" + bytes(1000)
    rows = []
    for age in (timedelta(days=30), timedelta(0)):
        path = tmp_path / f"{age.days}.mp4"
        path.write_bytes(payload)
        start = datetime.now(UTC) - age
        rows.append(services.segment_recorded(camera.pk, Segment(
            path, start, start + timedelta(seconds=60), len(payload),
            hashlib.sha256(payload).hexdigest(), 10)))
        assert not path.exists()  # the worker's spool file is gone: the storage has it
    with store.open(rows[1].storage_name) as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == rows[1].sha256
    store.save(f"{camera.pk}/2026/01/01/orphan.mp4", ContentFile(b"x"))
    assert services.apply_retention().delete == [rows[0].pk]
    assert not store.exists(rows[0].storage_name)
    assert services.sweep_orphans(datetime.now(UTC) + timedelta(seconds=1)) == [
        f"{camera.pk}/2026/01/01/orphan.mp4"]
    assert list(RecordingSegment.objects.values_list("pk", flat=True)) == [rows[1].pk]


def test_recordings_storage_is_a_filesystem_or_s3_compatible_object_storage(
        monkeypatch) -> None:
    filesystem = base.recordings_storage("filesystem")
    assert filesystem["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert filesystem["OPTIONS"]["location"] == str(base.RECORDINGS_ROOT)
    monkeypatch.setenv("RECORDINGS_S3_BUCKET", "posko-recordings")
    monkeypatch.setenv("RECORDINGS_S3_ENDPOINT_URL", "https://minio.posko.internal:9000")
    monkeypatch.setenv("RECORDINGS_S3_ACCESS_KEY", "posko")
    monkeypatch.setenv("RECORDINGS_S3_SECRET_KEY", "rahasia-sekali")
    s3 = base.recordings_storage("s3")
    assert s3["BACKEND"] == "storages.backends.s3.S3Storage"
    from storages.backends.s3 import S3Storage

    storage = S3Storage(**s3["OPTIONS"])  # no request is made until a file is touched
    assert (storage.bucket_name, storage.endpoint_url) == (
        "posko-recordings", "https://minio.posko.internal:9000")
    assert storage.file_overwrite is False
    with pytest.raises(ImproperlyConfigured):
        base.recordings_storage("nfs")
