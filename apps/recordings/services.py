"""Recording writes: a finished segment into storage and the index, and retention applied."""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone

from apps.cameras.models import Camera
from apps.recordings import links
from apps.recordings.models import RecordingSegment
from apps.recordings.retention import CameraPolicy, RetentionPlan, SegmentInfo, plan_retention
from apps.vision.recording import Segment

STORAGE = "recordings"
# The folder of masked renditions (apps.recordings.renditions) in the same storage.
RENDITIONS = "renditions"
# Names "a camera's segment index" among the database's advisory locks (with the camera id).
ADVISORY_LOCK = 0x5245_4300  # "REC"
# Retention reads the index in chunks of this many rows (millions of segments at scale).
CHUNK = 5000


def storage() -> Storage:
    return storages[STORAGE]


def storage_name(camera_id: int, start: datetime) -> str:
    """Where a segment goes: per camera and UTC day, so a day's files list together."""
    start = start.astimezone(UTC)
    return f"{camera_id}/{start:%Y/%m/%d}/{start:%H%M%S%f}.mp4"


class _LocalFile(File):
    """The writer's file, offered to FileSystemStorage as a temporary file: on the same
    filesystem it is moved into place (no copy of a minute of video), elsewhere copied."""

    def temporary_file_path(self) -> str:
        return str(self.name)


def segment_recorded(camera_id: int, segment: Segment, *, has_motion: bool = False,
                     has_tamper: bool = False, alert_ids: Sequence[int] = ()) -> RecordingSegment:
    """Store a finished segment and index it. The file is saved first and the row second:
    a crash between them leaves a file without a row, which the orphan sweep removes
    (`sweep_orphans`), never a row without its file. The writer's local file is gone after,
    unless the row could not be written (it is put back, for another attempt)."""
    store = storage()
    with segment.path.open("rb") as handle:
        name = store.save(storage_name(camera_id, segment.start),
                          _LocalFile(handle, name=str(segment.path)))
    segment.path.unlink(missing_ok=True)  # when the storage copied rather than moved it
    try:
        with transaction.atomic():
            start, end = _placed(camera_id, segment.start, segment.end)
            row = RecordingSegment.objects.create(
                camera_id=camera_id, start=start, end=end, bytes=segment.bytes,
                sha256=segment.sha256, packets=segment.packets, storage_name=name,
                has_motion=has_motion, has_tamper=has_tamper,
            )
            if alert_ids:
                row.alerts.set(alert_ids)
            links.link_stored_segment(row)
    except Exception:
        # No row: the file goes back to the writer's folder (it was moved or copied from
        # there), so a later attempt can store it again, and leaves the storage.
        if not segment.path.exists():
            with store.open(name, "rb") as stored, segment.path.open("wb") as local:
                shutil.copyfileobj(stored, local)
        store.delete(name)
        raise
    return row


def _placed(camera_id: int, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The span a new segment is indexed at. A segment overlapping the camera's stored ones
    can only come from a wall clock set back (its start is the clock's, its length the
    stream's): it is placed right after the camera's newest segment, keeping its length, so
    one camera's segments never overlap and the timeline stays in recording order. A clock
    set forward leaves a gap, never an overlap. Serialised per camera (a worker's leftover
    sweep may store for a camera whose watcher stores too)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ADVISORY_LOCK, camera_id])
    overlapping = RecordingSegment.objects.filter(
        camera_id=camera_id, start__lt=end, end__gt=start,
        start__gte=start - links.LONGEST_SEGMENT)
    if not overlapping.exists():
        return start, end
    newest = (RecordingSegment.objects.filter(camera_id=camera_id).order_by("-start")
              .values_list("end", flat=True).first())
    return newest, newest + (end - start)


def _infos(rows: Iterable[tuple[int, int, datetime, datetime, int, bool, bool]],
           ) -> Iterator[SegmentInfo]:
    for pk, camera_id, start, end, size, held, alert in rows:
        yield SegmentInfo(pk, camera_id, start, end, size, held, alert)


def plan(now: datetime | None = None) -> RetentionPlan:
    """The retention plan for every camera's recordings now (apps.recordings.retention)."""
    now = now or timezone.now()
    linked = RecordingSegment.alerts.through.objects.filter(recordingsegment=OuterRef("pk"))
    rows = (RecordingSegment.objects.order_by("start", "pk")
            .annotate(alert=Exists(linked))
            .values_list("pk", "camera_id", "start", "end", "bytes", "held", "alert"))
    policies = {pk: CameraPolicy(days, alert_days) for pk, days, alert_days in
                Camera.objects.values_list("pk", "recording_days", "recording_alert_days")}
    defaults = Camera()
    default = CameraPolicy(defaults.recording_days, defaults.recording_alert_days)
    return plan_retention(lambda: _infos(rows.iterator(chunk_size=CHUNK)), policies, default,
                          now, settings.RECORDINGS_QUOTA_BYTES)


def apply_retention(now: datetime | None = None) -> RetentionPlan:
    """Delete what the plan says: the row first (a held-in-the-meantime segment is skipped
    by the `held=False` filter), then its file. Returns the plan: the caller raises the
    storage alert when `near_full`."""
    result = plan(now)
    store = storage()
    ids = result.delete
    for offset in range(0, len(ids), CHUNK):
        chunk = ids[offset:offset + CHUNK]
        with transaction.atomic():
            doomed = RecordingSegment.objects.filter(pk__in=chunk, held=False)
            rows = list(doomed.values_list("pk", "camera_id", "storage_name"))
            doomed.delete()
        for _, _, name in rows:
            store.delete(name)
        # Imported here: the renditions module builds on this one.
        from apps.recordings.renditions import delete_renditions
        delete_renditions(store, ((pk, camera_id) for pk, camera_id, _ in rows))
    return result


def used_bytes() -> int:
    return RecordingSegment.objects.aggregate(total=Sum("bytes"))["total"] or 0


def sweep_orphans(older_than: datetime) -> list[str]:
    """Delete segment files that no row names and that are older than `older_than` (a file
    younger than that may be a segment whose row is being written). Returns their names."""
    store = storage()
    removed: list[str] = []
    # Segments live in one folder per camera id; the storage's other folders (evidence
    # bundles, renditions) have rows of their own and are not this sweep's.
    cameras = [folder for folder in listdir(store, "")[0] if folder.isdigit()]
    for name in (name for folder in cameras for name in _walk(store, folder)):
        if store.get_modified_time(name) >= older_than:
            continue
        if not RecordingSegment.objects.filter(storage_name=name).exists():
            store.delete(name)
            removed.append(name)
    return removed


def listdir(store: Storage, folder: str) -> tuple[list[str], list[str]]:
    """(folders, files) in `folder`; none when it does not exist yet (a new installation's
    storage before its first segment is stored)."""
    try:
        return store.listdir(folder)
    except FileNotFoundError:
        return [], []


def _walk(store: Storage, folder: str) -> Iterator[str]:
    directories, files = listdir(store, folder)
    for file in files:
        yield str(Path(folder) / file) if folder else file
    for directory in directories:
        yield from _walk(store, str(Path(folder) / directory) if folder else directory)
