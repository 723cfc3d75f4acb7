"""Which recorded segments to delete: a pure function of the segments, each camera's policy,
the quota and the time (no Django), so the rules are tested with a frozen clock.

Rules, in order:
1. A held segment (attached to an incident or an export) is never deleted.
2. A segment is kept for its camera's days of continuous footage after it ends, or for the
   camera's longer alert days when it overlaps an alert.
3. With a quota: once the recordings reach it, the oldest segments that are not held are
   deleted until they are back under `PRUNE_TO` of it (a margin, so the next minute of video
   does not prune again at once). At `ALERT_AT` of the quota the caller raises the storage
   alert: before pruning starts, or because held footage fills the quota.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

ALERT_AT = 0.90
PRUNE_TO = 0.85


@dataclass(frozen=True)
class SegmentInfo:
    id: int
    camera_id: int
    start: datetime
    end: datetime
    bytes: int
    held: bool = False
    alert: bool = False  # overlaps an alert


@dataclass(frozen=True)
class CameraPolicy:
    days: int
    alert_days: int

    def keeps(self, segment: SegmentInfo, now: datetime) -> bool:
        days = max(self.days, self.alert_days) if segment.alert else self.days
        return segment.end > now - timedelta(days=days)


@dataclass
class RetentionPlan:
    expired: list[int] = field(default_factory=list)  # past their camera's days
    pruned: list[int] = field(default_factory=list)  # oldest first, for the quota
    used_before: int = 0
    used_after: int = 0
    quota: int = 0

    @property
    def delete(self) -> list[int]:
        return self.expired + self.pruned

    @property
    def near_full(self) -> bool:
        """Usage at or above the alert threshold after this plan is applied."""
        return bool(self.quota) and self.used_after >= self.quota * ALERT_AT


def plan_retention(segments: Callable[[], Iterable[SegmentInfo]],
                   policies: Mapping[int, CameraPolicy], default: CameraPolicy,
                   now: datetime, quota: int = 0) -> RetentionPlan:
    """The plan for all recordings. `segments` gives every segment oldest first (start
    order), each time it is called: it is read twice, so a caller can stream millions of rows
    from the database instead of holding them."""
    plan = RetentionPlan(quota=quota)
    expired_bytes = 0
    for segment in segments():
        plan.used_before += segment.bytes
        if not segment.held and not policies.get(segment.camera_id, default).keeps(segment, now):
            plan.expired.append(segment.id)
            expired_bytes += segment.bytes
    used = plan.used_before - expired_bytes
    if quota and used >= quota:
        expired = set(plan.expired)
        target = quota * PRUNE_TO
        for segment in segments():
            if used <= target:
                break
            if segment.held or segment.id in expired:
                continue
            plan.pruned.append(segment.id)
            used -= segment.bytes
    plan.used_after = used
    return plan

