"""Camera uptime over a window, from the state changes the watchers record.

A camera that delivers frames is not necessarily watching: while its lens is covered, blurred
or turned away (a tamper alert is open) it counts as tampered, and a disabled camera (no
watcher reads it, so no state change is recorded when it stops) counts as disabled. Neither
counts as up, here or in the guard coverage (apps.duty.loading)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

UP_STATES = frozenset({"online", "degraded"})


TAMPERED, DISABLED = "tampered", "disabled"
Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Segment:
    state: str  # online, degraded, offline, tampered, disabled, or unknown (nothing recorded)
    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def segments(changes: Iterable[tuple[datetime, str]], start: datetime, end: datetime,
             state_before: str = "unknown") -> list[Segment]:
    """Cut [start, end) into segments of one state. `changes` are (time, new state) in time
    order; `state_before` is the state in force at `start`."""
    result: list[Segment] = []
    state, since = state_before, start
    for at, new_state in changes:
        if at <= start:
            state = new_state
            continue
        if at >= end:
            break
        if new_state != state:
            result.append(Segment(state, since, at))
            state, since = new_state, at
    result.append(Segment(state, since, end))
    return [s for s in result if s.seconds > 0]


def uptime_fraction(parts: list[Segment]) -> float | None:
    """Share of the known time that the camera delivered frames (None: nothing known)."""
    known = sum(s.seconds for s in parts if s.state != "unknown")
    if not known:
        return None
    return sum(s.seconds for s in parts if s.state in UP_STATES) / known


def without(intervals: list[Interval], holes: list[Interval]) -> list[Interval]:
    """`intervals` with the time in `holes` cut out (both lists in any order)."""
    out = []
    for interval in intervals:
        pieces = [interval]
        for hole_start, hole_end in holes:
            remaining = []
            for lo, hi in pieces:
                if hole_start >= hi or hole_end <= lo:
                    remaining.append((lo, hi))
                    continue
                if lo < hole_start:
                    remaining.append((lo, hole_start))
                if hole_end < hi:
                    remaining.append((hole_end, hi))
            pieces = remaining
        out.extend(pieces)
    return out


def with_tampering(parts: list[Segment], tampered: list[Interval]) -> list[Segment]:
    """The segments with the up time during `tampered` marked tampered instead."""
    if not tampered:  # most cameras of a city's day: nothing to cut (each part is non-empty)
        return [s for s in parts if s.seconds > 0]
    out = []
    for part in parts:
        if part.state not in UP_STATES:
            out.append(part)
            continue
        span = [(part.start, part.end)]
        hits = sorted((max(s, part.start), min(e, part.end)) for s, e in tampered
                      if s < part.end and e > part.start)
        pieces = [Segment(part.state, s, e) for s, e in without(span, hits)]
        pieces += [Segment(TAMPERED, s, e) for s, e in hits]
        out.extend(sorted(pieces, key=lambda p: p.start))
    return [s for s in out if s.seconds > 0]


def tamper_intervals(camera_ids: list[int], start: datetime, end: datetime
                     ) -> dict[int, list[Interval]]:
    """When each camera had a tamper alert open within [start, end): from the alert history
    (raised or raised again, until it resolved itself or a person resolved it). Two queries:
    the alerts first, then their events through the alert index; one join let PostgreSQL
    walk every event of the history."""
    from django.db.models import Q

    from apps.alerts.models import Alert, AlertEvent
    from apps.core.db import InList

    opening = {AlertEvent.Action.RAISED, AlertEvent.Action.REOPENED}
    closing = {AlertEvent.Action.CLEARED, AlertEvent.Action.RESOLVED}
    camera_of = dict(
        Alert.objects.filter(InList("camera_id", camera_ids), kind=Alert.Kind.TAMPER)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gt=start))
        .order_by().values_list("pk", "camera_id")
    )
    events = (
        AlertEvent.objects.filter(InList("alert_id", camera_of), at__lt=end,
                                  action__in=opening | closing)
        .order_by("alert_id", "at", "pk")
        .values_list("alert_id", "action", "at")
    )
    result: dict[int, list[Interval]] = defaultdict(list)
    since: dict[int, datetime] = {}
    for alert_id, action, at in events:
        if action in opening:
            since.setdefault(alert_id, at)
        elif alert_id in since:
            result[camera_of[alert_id]].append((since.pop(alert_id), at))
    for alert_id, at in since.items():  # still open
        result[camera_of[alert_id]].append((at, end))
    return {camera_id: [(max(s, start), min(e, end)) for s, e in spans
                        if e > start and s < end]
            for camera_id, spans in result.items()}


def uptime_by_camera(camera_ids: list[int], start: datetime, end: datetime
                     ) -> dict[int, list[Segment]]:
    """Segments for each camera, from four queries whatever the number of cameras."""
    from django.db.models import OuterRef, Subquery

    from apps.cameras.models import Camera, CameraStateChange
    from apps.core.db import InList

    # Each camera's state at `start` read beside it, one index descent per camera: a
    # grouped maximum and a second look-up by time cost a city's report two passes and a
    # thousand times sent back and forth.
    before = CameraStateChange.objects.filter(camera=OuterRef("pk"), at__lte=start
                                              ).order_by("-at", "-pk").values("state")[:1]
    cameras = (Camera.objects.filter(InList("pk", camera_ids)).order_by()
               .annotate(state_before=Subquery(before))
               .values_list("pk", "enabled", "state_before"))
    states_before, disabled = {}, set()
    for camera_id, enabled, state in cameras:
        states_before[camera_id] = state or "unknown"
        if not enabled:
            disabled.add(camera_id)
    changes: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for camera_id, at, state in CameraStateChange.objects.filter(
        InList("camera_id", camera_ids), at__gt=start, at__lt=end
    ).order_by("at").values_list("camera_id", "at", "state"):
        changes[camera_id].append((at, state))
    # When it was disabled is not recorded: a disabled camera is shown disabled throughout.
    tampered = tamper_intervals(camera_ids, start, end)
    return {
        camera_id: [Segment(DISABLED, start, end)] if camera_id in disabled else with_tampering(
            segments(changes[camera_id], start, end, states_before.get(camera_id, "unknown")),
            tampered.get(camera_id, []))
        for camera_id in camera_ids
    }
