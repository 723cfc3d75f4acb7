"""Masked renditions of recorded segments: made on demand, cached in the recordings storage.

A security viewer of a camera with privacy masks never gets the stored segment: they get its
rendition with the camera's current masks burned in (apps.vision.rendition). Each rendition
is stored once under `renditions/<camera>/<segment>-<key>.mp4`, where the key hashes the
masks, the segment's SHA-256 and the encoder settings: a mask change makes a new name, so an
old rendition is never served for new masks.

Cost is bounded three ways: one render at a time per rendition across every process (a
lock in Django's cache: the process's own in embedded mode, which is one process, and Redis
in cluster mode), RECORDINGS_RENDITION_WORKERS renders at a time in a process (more requests
wait their turn, then are refused), and RECORDINGS_RENDITIONS_QUOTA_BYTES of renditions in
all (the oldest are deleted first).
Retention deletes a segment's renditions with it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import Storage

from apps.cameras.models import Camera
from apps.recordings import services
from apps.recordings.models import RecordingSegment
from apps.vision.geometry import Polygon, polygons
from apps.vision.rendition import RenditionError, RenditionLimits, mask_video

__all__ = ["RenditionBusy", "RenditionError", "camera_masks", "delete_renditions",
           "masked_segment_name", "rendition_limits", "sweep_renditions"]

# How long a request waits for a render elsewhere (or for a free worker here) before it is
# refused; and how long a lock outlives a render whose process died.
WAIT_SECONDS = 60.0
LOCK_SECONDS = 300
POLL_SECONDS = 0.2


class RenditionBusy(RuntimeError):
    """No rendition now: every render slot stayed busy for WAIT_SECONDS (ask again later)."""


def rendition_limits() -> RenditionLimits:
    # Twice a segment's length: a camera's timestamps jitter, a segment runs to a keyframe.
    return RenditionLimits(max_seconds=2 * settings.RECORDINGS_SEGMENT_SECONDS,
                           max_height=settings.RECORDINGS_RENDITION_MAX_HEIGHT)


def camera_masks(camera_id: int) -> tuple[Polygon, ...]:
    """The camera's privacy masks as they are now (read again, never a cached instance)."""
    masks = Camera.objects.values_list("privacy_masks", flat=True).get(pk=camera_id)
    return polygons(masks or ())


def masked_segment_name(segment: RecordingSegment) -> str:
    """The storage name of what a masked viewer of `segment` is served: the segment itself
    when its camera has no privacy masks (segments hold no audio), else its rendition with
    the current masks, rendered now if it is not stored yet.

    Raises RenditionError when the segment cannot be rendered (over the bounds, not
    decodable) and RenditionBusy when no render could start within WAIT_SECONDS."""
    masks = camera_masks(segment.camera_id)
    if not masks:
        return segment.storage_name
    store = services.storage()
    name = rendition_name(segment, masks)
    lock = f"recordings:rendition:{name}"
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        # A file with no lock on it is complete: the lock is held until it is stored.
        if cache.get(lock) is None and store.exists(name):
            return name
        token = secrets.token_hex(8)
        if cache.add(lock, token, LOCK_SECONDS):
            try:
                if not store.exists(name):
                    name = _render(store, segment, masks, name, deadline)
            finally:
                if cache.get(lock) == token:  # not a lock taken after ours ran out
                    cache.delete(lock)
            sweep_renditions(keep=name)
            return name
        if time.monotonic() > deadline:
            raise RenditionBusy("the rendition is still being made elsewhere")
        time.sleep(POLL_SECONDS)


def rendition_name(segment: RecordingSegment, masks: Sequence[Polygon]) -> str:
    limits = rendition_limits()
    described = json.dumps({"masks": masks, "segment": segment.sha256,
                            "encoder": [limits.preset, limits.crf, limits.max_height]},
                           separators=(",", ":"))
    key = hashlib.sha256(described.encode()).hexdigest()[:20]
    return f"{services.RENDITIONS}/{segment.camera_id}/{segment.pk}-{key}.mp4"


_slots_lock = threading.Lock()
_slots: threading.BoundedSemaphore | None = None


def _worker_slots() -> threading.BoundedSemaphore:
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(settings.RECORDINGS_RENDITION_WORKERS)
        return _slots


def _render(store: Storage, segment: RecordingSegment, masks: tuple[Polygon, ...], name: str,
            deadline: float) -> str:
    slots = _worker_slots()
    if not slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
        raise RenditionBusy("every rendition worker of this process is busy")
    try:
        spool = Path(settings.RECORDINGS_SPOOL) / services.RENDITIONS
        spool.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=spool) as folder:
            output = Path(folder) / "rendition.mp4"
            with store.open(segment.storage_name, "rb") as source:
                mask_video(source, output, masks, rendition_limits())
            with output.open("rb") as handle:
                # A file that appeared under this name meanwhile (a render that outlived
                # its lock) makes the storage choose another name: serve the one it gives.
                return store.save(name, _SpooledFile(handle, name=str(output)))
    finally:
        slots.release()


class _SpooledFile(File):
    """A finished rendition offered as a temporary file: FileSystemStorage moves it into
    place (on the same filesystem, in one step) instead of copying it."""

    def temporary_file_path(self) -> str:
        return str(self.name)


@dataclass(frozen=True)
class _Stored:
    name: str
    size: int
    modified: datetime


def _stored(store: Storage) -> Iterator[_Stored]:
    for camera in _listdir(store, services.RENDITIONS)[0]:
        folder = f"{services.RENDITIONS}/{camera}"
        for file in _listdir(store, folder)[1]:
            name = f"{folder}/{file}"
            with contextlib.suppress(FileNotFoundError):  # deleted meanwhile
                yield _Stored(name, store.size(name), store.get_modified_time(name))


def _listdir(store: Storage, folder: str) -> tuple[list[str], list[str]]:
    """(folders, files) in `folder`; none when it does not exist (yet)."""
    try:
        return store.listdir(folder)
    except FileNotFoundError:
        return [], []


def _segment_id(name: str) -> int | None:
    stem = name.rsplit("/", 1)[-1].split("-", 1)[0]
    return int(stem) if stem.isdigit() else None


def sweep_renditions(keep: str = "") -> list[str]:
    """Delete the renditions of segments that are gone, then the oldest until the rest fit
    RECORDINGS_RENDITIONS_QUOTA_BYTES (never `keep`, the one just made). Returns the names
    deleted."""
    store = services.storage()
    stored = sorted(_stored(store), key=lambda item: item.modified)
    ids = {_segment_id(item.name) for item in stored} - {None}
    alive = set(RecordingSegment.objects.filter(pk__in=ids).values_list("pk", flat=True))
    doomed = [item for item in stored if _segment_id(item.name) not in alive]
    kept = [item for item in stored if _segment_id(item.name) in alive]
    excess = sum(item.size for item in kept) - settings.RECORDINGS_RENDITIONS_QUOTA_BYTES
    for item in kept:
        if excess <= 0:
            break
        if item.name != keep:
            doomed.append(item)
            excess -= item.size
    for item in doomed:
        store.delete(item.name)
    return [item.name for item in doomed]


def delete_renditions(store: Storage, segments: Iterable[tuple[int, int]]) -> None:
    """Delete the renditions of these (segment id, camera id) pairs: retention calls this for
    the segments it deletes."""
    by_camera: dict[int, set[int]] = {}
    for segment_id, camera_id in segments:
        by_camera.setdefault(camera_id, set()).add(segment_id)
    for camera_id, segment_ids in by_camera.items():
        folder = f"{services.RENDITIONS}/{camera_id}"
        for file in _listdir(store, folder)[1]:
            if _segment_id(file) in segment_ids:
                store.delete(f"{folder}/{file}")
