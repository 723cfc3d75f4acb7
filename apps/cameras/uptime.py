"""Camera uptime over a window, from the state changes the watchers record."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

UP_STATES = frozenset({"online", "degraded"})


@dataclass(frozen=True)
class Segment:
    state: str  # online, degraded, offline, or unknown (nothing recorded yet)
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


def uptime_by_camera(camera_ids: list[int], start: datetime, end: datetime
                     ) -> dict[int, list[Segment]]:
    """Segments for each camera, from two queries whatever the number of cameras."""
    from django.db.models import Max

    from apps.cameras.models import CameraStateChange

    before = dict(
        CameraStateChange.objects.filter(camera_id__in=camera_ids, at__lte=start)
        .values("camera_id").annotate(last=Max("at")).values_list("camera_id", "last")
    )
    states_before = {
        change.camera_id: change.state
        for change in CameraStateChange.objects.filter(
            camera_id__in=list(before), at__in=list(before.values()))
        if before.get(change.camera_id) == change.at
    }
    changes: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for camera_id, at, state in CameraStateChange.objects.filter(
        camera_id__in=camera_ids, at__gt=start, at__lt=end
    ).order_by("at").values_list("camera_id", "at", "state"):
        changes[camera_id].append((at, state))
    return {
        camera_id: segments(changes[camera_id], start, end,
                            states_before.get(camera_id, "unknown"))
        for camera_id in camera_ids
    }
