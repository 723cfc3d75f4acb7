"""Whether the recorded segment files are still what was indexed: run by `verify_records`
and the background walk of the records chain (apps.records.chain).

Millions of segments (300 cameras × 14 days at one a minute is 6 million, some 90 TB at
2 Mbit/s) cannot be re-read on every walk, so each walk is bounded and incremental: it takes
the `limit` segments checked longest ago (never-checked first; an index on `checked_at`),
confirms each file exists with the indexed size, and re-hashes them in that order while
`hash_bytes` lasts. Every segment is reached once per `segments ÷ limit` walks; a file
deleted, truncated or extended is found then, and a same-size alteration when its turn to
be re-hashed comes. A segment once found wrong is checked, and reported, on every walk until
it is put right or retention deletes it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from apps.recordings import services
from apps.recordings.models import RecordingSegment

SEGMENTS_PER_WALK = 10_000
HASH_BYTES_PER_WALK = 4 * 1024**3

MISSING, RESIZED, CHANGED = "missing", "size", "sha256"


@dataclass(frozen=True)
class SegmentProblem:
    segment_id: int
    camera_id: int
    start: datetime
    storage_name: str
    problem: str  # MISSING, RESIZED or CHANGED

    @property
    def detail(self) -> str:
        what = {MISSING: "is missing", RESIZED: "no longer has its recorded size",
                CHANGED: "no longer matches its SHA-256"}[self.problem]
        return (f"the recording of camera {self.camera_id} from {self.start:%Y-%m-%d %H:%M:%S} "
                f"UTC ({self.storage_name}) {what}")


@dataclass
class SegmentCheck:
    sized: int = 0  # files whose existence and size were checked
    hashed: int = 0  # of them, files re-hashed
    problems: list[SegmentProblem] | None = None


def segments_check(*, limit: int = SEGMENTS_PER_WALK, hash_bytes: int = HASH_BYTES_PER_WALK,
                   now: datetime | None = None) -> SegmentCheck:
    """Check the segments due (see the module docstring); returns what was checked and the
    problems found, each also kept on its row (`check_problem`)."""
    now = now or timezone.now()
    store = services.storage()
    result = SegmentCheck(problems=[])
    fields = ("pk", "camera_id", "start", "storage_name", "bytes", "sha256")
    wrong = list(RecordingSegment.objects.exclude(check_problem="").order_by("pk")
                 .only(*fields)[:limit])
    unchecked = RecordingSegment.objects.filter(check_problem="")
    due = list(unchecked.filter(checked_at__isnull=True).order_by("pk")
               .only(*fields)[:max(0, limit - len(wrong))])
    due += unchecked.filter(checked_at__isnull=False).order_by("checked_at", "pk").only(
        *fields)[:max(0, limit - len(wrong) - len(due))]
    found: dict[str, list[int]] = {"": []}
    known_wrong = {segment.pk for segment in wrong}
    for segment in wrong + due:
        check_hash = segment.pk in known_wrong or hash_bytes >= segment.bytes
        problem = _check(store, segment, check_hash)
        result.sized += 1
        if check_hash and problem != MISSING:
            hash_bytes -= segment.bytes
            result.hashed += 1
        found.setdefault(problem, []).append(segment.pk)
        if problem:
            result.problems.append(SegmentProblem(segment.pk, segment.camera_id, segment.start,
                                                  segment.storage_name, problem))
    for problem, ids in found.items():
        RecordingSegment.objects.filter(pk__in=ids).update(checked_at=now,
                                                           check_problem=problem)
    return result


def segments_found_wrong(limit: int = SEGMENTS_PER_WALK) -> list[SegmentProblem]:
    """The problems earlier checks found and that still stand, without reading any file
    (for a walk that re-reads no files: the integrity page keeps showing them)."""
    rows = (RecordingSegment.objects.exclude(check_problem="").order_by("pk")
            .values_list("pk", "camera_id", "start", "storage_name", "check_problem")[:limit])
    return [SegmentProblem(*row) for row in rows]


def _check(store, segment: RecordingSegment, check_hash: bool) -> str:
    try:
        if store.size(segment.storage_name) != segment.bytes:
            return RESIZED
        if not check_hash:
            return ""
        with store.open(segment.storage_name, "rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
    except FileNotFoundError:
        return MISSING
    return "" if digest == segment.sha256 else CHANGED
