"""Masked renditions of recorded segments: made on demand, cached in the recordings storage.

A security viewer of a camera with privacy masks never gets the stored segment: they get its
rendition with the camera's current masks burned in (apps.vision.rendition). Each rendition
is stored once under `renditions/<camera>/<segment>-<key>.mp4`, where the key hashes the
masks, the segment's SHA-256 and the encoder settings: a mask change makes a new name, so an
old rendition is never served for new masks.

The review player is served pieces instead: PIECE_SECONDS of a segment each
(`renditions/<camera>/<segment>-<key>-<n>.mp4`), so the first picture waits for two seconds
of footage to be encoded, not a minute; each piece starts with its own keyframe and plays
from 0 (its place on the footage clock is its segment's start plus n pieces). Exports use
whole renditions: one file per segment.

Cost is bounded three ways: one render at a time per rendition across every process (a
lock in Django's cache: the process's own in embedded mode, which is one process, and Redis
in cluster mode), RECORDINGS_RENDITION_WORKERS renders at a time in a process (more requests
wait their turn, then are refused; AHEAD_WORKERS more, at a lower CPU priority, for the
player's next pieces), and
RECORDINGS_RENDITIONS_QUOTA_BYTES of renditions in all (the oldest are deleted first, swept
after each SWEEP_SHARE of the quota rendered in a process, so listing the stored renditions
is not paid for each two-second piece).
Retention deletes a segment's renditions with it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import Storage

from apps.cameras.models import Camera
from apps.recordings import services
from apps.recordings.models import RecordingSegment
from apps.vision.geometry import Polygon, polygons
from apps.vision.rendition import (
    PIECE_SECONDS,
    RenditionError,
    RenditionLimits,
    Span,
    mask_video,
)

__all__ = ["PIECE_SECONDS", "Piece", "RenditionBusy", "RenditionError", "camera_masks",
           "delete_renditions", "masked_piece_name", "masked_segment_name", "piece",
           "rendition_limits", "sweep_renditions"]

# How long a request waits for a render elsewhere (or for a free worker here) before it is
# refused; and how long a lock outlives a render whose process died.
WAIT_SECONDS = 60.0
LOCK_SECONDS = 300
POLL_SECONDS = 0.2
# The stored renditions are swept (listed, the oldest deleted) after this share of the quota
# has been rendered in a process: the quota is exceeded by at most that much per process.
SWEEP_SHARE = 1 / 32
AHEAD_WORKERS = 1  # renders of pieces asked for ahead of playing, at a time in a process
AHEAD_NICENESS = 10  # their threads' CPU priority: this much nicer than the process


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
    return _cached(rendition_name(segment, masks), segment, masks, None, ahead=False)


@dataclass(frozen=True)
class Piece:
    """The `index`-th PIECE_SECONDS of a segment, the last one to the segment's end."""

    segment: RecordingSegment
    index: int

    @property
    def start(self) -> datetime:
        return self.segment.start + timedelta(seconds=self.index * PIECE_SECONDS)

    @property
    def end(self) -> datetime:
        return min(self.segment.end, self.start + timedelta(seconds=PIECE_SECONDS))


def piece(segment: RecordingSegment, index: int) -> Piece | None:
    """The segment's `index`-th piece, or None beyond its last."""
    length = (segment.end - segment.start).total_seconds()
    return Piece(segment, index) if 0 <= index < math.ceil(length / PIECE_SECONDS) else None


def masked_piece_name(found: Piece, ahead: bool = False) -> str:
    """The storage name of the piece's masked rendition (the masks as they are now, none
    if they were just removed: a piece is always a rendition of its own span), rendered
    now if it is not stored yet; `ahead` of being played (the player's next piece), on a
    render slot of its own. Raises as masked_segment_name does."""
    masks = camera_masks(found.segment.camera_id)
    last = piece(found.segment, found.index + 1) is None
    span = Span(found.index * PIECE_SECONDS,
                math.inf if last else (found.index + 1) * PIECE_SECONDS)
    return _cached(rendition_name(found.segment, masks, found.index), found.segment, masks,
                   span, ahead)


def _cached(name: str, segment: RecordingSegment, masks: tuple[Polygon, ...],
            span: Span | None, ahead: bool) -> str:
    """`name` once it is stored, rendering it here unless another request is."""
    store = services.storage()
    lock = f"recordings:rendition:{name}"
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        # A file with no lock on it is complete: the lock is held until it is stored.
        if cache.get(lock) is None and store.exists(name):
            return name
        token = secrets.token_hex(8)
        if cache.add(lock, token, LOCK_SECONDS):
            made = 0
            try:
                if not store.exists(name):
                    name, made = _render(store, segment, masks, name, deadline, span,
                                         ahead)
            finally:
                if cache.get(lock) == token:  # not a lock taken after ours ran out
                    cache.delete(lock)
            _rendered(made, keep=name)
            return name
        if time.monotonic() > deadline:
            raise RenditionBusy("the rendition is still being made elsewhere")
        time.sleep(POLL_SECONDS)


def rendition_name(segment: RecordingSegment, masks: Sequence[Polygon],
                   index: int | None = None) -> str:
    """The whole segment's rendition, or its `index`-th piece's."""
    limits = rendition_limits()
    described = json.dumps({"masks": masks, "segment": segment.sha256,
                            "encoder": [limits.preset, limits.crf, limits.max_height],
                            **({} if index is None else {"piece": PIECE_SECONDS})},
                           separators=(",", ":"))
    key = hashlib.sha256(described.encode()).hexdigest()[:20]
    suffix = "" if index is None else f"-{index}"
    return f"{services.RENDITIONS}/{segment.camera_id}/{segment.pk}-{key}{suffix}.mp4"


_unswept_lock = threading.Lock()
_unswept = 0  # bytes rendered in this process since its last sweep


def _rendered(size: int, keep: str) -> None:
    global _unswept
    with _unswept_lock:
        _unswept += size
        due = _unswept >= settings.RECORDINGS_RENDITIONS_QUOTA_BYTES * SWEEP_SHARE
        if due:
            _unswept = 0
    if due:
        sweep_renditions(keep=keep)


_slots_lock = threading.Lock()
_slots: dict[bool, threading.BoundedSemaphore] = {}


def _worker_slots(ahead: bool = False) -> threading.BoundedSemaphore:
    """The process's render slots: RECORDINGS_RENDITION_WORKERS for what someone waits for,
    and AHEAD_WORKERS of their own for pieces asked for ahead of playing, so a click never
    waits behind the next piece of the moment it left."""
    with _slots_lock:
        if ahead not in _slots:
            _slots[ahead] = threading.BoundedSemaphore(
                AHEAD_WORKERS if ahead else settings.RECORDINGS_RENDITION_WORKERS)
        return _slots[ahead]


def _render(store: Storage, segment: RecordingSegment, masks: tuple[Polygon, ...], name: str,
            deadline: float, span: Span | None, ahead: bool) -> tuple[str, int]:
    """(the name it was stored under, its bytes)."""
    slots = _worker_slots(ahead)
    if not slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
        raise RenditionBusy("every rendition worker of this process is busy")
    try:
        spool = Path(settings.RECORDINGS_SPOOL) / services.RENDITIONS
        spool.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=spool) as folder:
            output = Path(folder) / "rendition.mp4"
            with store.open(segment.storage_name, "rb") as source:
                job = (source, output, masks, rendition_limits(), span)
                # The next piece in a thread of lower priority; the asking thread waits.
                made = (_ahead_pool().submit(mask_video, *job).result() if ahead
                        else mask_video(*job))
            with output.open("rb") as handle:
                # A file that appeared under this name meanwhile (a render that outlived
                # its lock) makes the storage choose another name: serve the one it gives.
                return store.save(name, _SpooledFile(handle, name=str(output))), made.bytes
    finally:
        slots.release()


_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _ahead_pool() -> ThreadPoolExecutor:
    """Threads of their own for the player's next pieces, at a lower CPU priority (on
    Linux, where a thread has its own): what someone waits for comes first, and the next
    piece takes the time left over."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(AHEAD_WORKERS, thread_name_prefix="rendition-ahead",
                                       initializer=_lower_priority)
        return _pool


def _lower_priority() -> None:
    if sys.platform == "linux":
        thread = threading.get_native_id()
        with contextlib.suppress(OSError):  # lowering one's own priority is always allowed
            own = os.getpriority(os.PRIO_PROCESS, thread)
            os.setpriority(os.PRIO_PROCESS, thread, min(19, own + AHEAD_NICENESS))


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
    for camera in services.listdir(store, services.RENDITIONS)[0]:
        folder = f"{services.RENDITIONS}/{camera}"
        for file in services.listdir(store, folder)[1]:
            name = f"{folder}/{file}"
            with contextlib.suppress(FileNotFoundError):  # deleted meanwhile
                yield _Stored(name, store.size(name), store.get_modified_time(name))


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
        for file in services.listdir(store, folder)[1]:
            if _segment_id(file) in segment_ids:
                store.delete(f"{folder}/{file}")
