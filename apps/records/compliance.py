"""Patrol compliance arithmetic (pure Python, no Django): gaps between visits, and the
exceptions guard-tour vendors watch for.

- A facility must be visited every `interval` (the operation's patrol interval). A *missed
  window* is a stretch longer than interval + grace without a visit.
- *Rapid rescan*: the same checkpoint scanned again by the same team within a minute; one
  walk past a label counted as several rounds.
- *Impossible travel*: two consecutive visits of the same team whose checkpoints are farther
  apart than the team could have gone in the time between them (speed by patrol mode). Short
  hops are ignored: GPS and label positions are accurate to 15–20 m only.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

EARTH_RADIUS_M = 6_371_000.0
RESCAN_WINDOW = timedelta(minutes=1)
MIN_DISTANCE_M = 100.0  # below this, position error dominates
# Fastest plausible speed between checkpoints, km/h, by patrol mode ("" when unknown).
MAX_SPEED_KMH = {"foot": 15.0, "motorcycle": 100.0, "car": 120.0, "": 120.0}


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class VisitPoint:
    visit_id: Hashable
    team: Hashable  # the patrol, or the person when the visit belongs to no patrol
    checkpoint_id: Hashable
    at: datetime
    lat: float | None
    lon: float | None
    mode: str = ""


@dataclass(frozen=True)
class Anomaly:
    kind: str  # "rapid_rescan" or "impossible_travel"
    visit_id: Hashable
    previous_id: Hashable
    team: Hashable
    seconds: float
    distance_m: float | None = None
    speed_kmh: float | None = None


def find_anomalies(points: Iterable[VisitPoint]) -> list[Anomaly]:
    by_team: dict[Hashable, list[VisitPoint]] = defaultdict(list)
    for point in points:
        by_team[point.team].append(point)
    found: list[Anomaly] = []
    for team, visits in by_team.items():
        visits.sort(key=lambda p: (p.at, str(p.visit_id)))
        for before, after in pairwise(visits):
            seconds = (after.at - before.at).total_seconds()
            if after.checkpoint_id == before.checkpoint_id:
                if seconds < RESCAN_WINDOW.total_seconds():
                    found.append(Anomaly("rapid_rescan", after.visit_id, before.visit_id, team,
                                         seconds))
                continue
            if None in (before.lat, before.lon, after.lat, after.lon):
                continue
            distance = haversine_m(before.lat, before.lon, after.lat, after.lon)
            if distance < MIN_DISTANCE_M:
                continue
            limit = MAX_SPEED_KMH.get(after.mode or before.mode, MAX_SPEED_KMH[""])
            speed = math.inf if seconds <= 0 else distance / seconds * 3.6
            if speed > limit:
                found.append(Anomaly("impossible_travel", after.visit_id, before.visit_id,
                                     team, seconds, distance,
                                     None if math.isinf(speed) else speed))
    found.sort(key=lambda a: str(a.visit_id))
    return found


@dataclass(frozen=True)
class Gap:
    start: datetime
    end: datetime

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


def missed_windows(visits: Sequence[datetime], *, start: datetime, end: datetime,
                   interval: timedelta, grace: timedelta = timedelta(0),
                   last_before: datetime | None = None) -> list[Gap]:
    """Stretches of [start, end) longer than interval + grace without a visit. A visit before
    `start` (`last_before`) still covers the beginning of the period."""
    if end <= start:
        return []
    allowed = interval + grace
    times = sorted(t for t in visits if start <= t < end)
    gaps: list[Gap] = []
    previous = last_before if last_before is not None and last_before < start else None
    cursor = previous if previous is not None else start
    for moment in [*times, end]:
        if moment - cursor > allowed:
            gaps.append(Gap(max(cursor, start), moment))
        cursor = max(cursor, moment)
    return gaps


def required_visits(*, start: datetime, end: datetime, interval: timedelta) -> int:
    if end <= start or interval <= timedelta(0):
        return 0
    return math.ceil((end - start) / interval)


def count_between(times: Sequence[datetime], lo: datetime, hi: datetime) -> int:
    """How many of the sorted `times` fall in [lo, hi): two bisections, not a scan, so a
    page counting many windows costs the windows, not windows × visits."""
    if hi <= lo:
        return 0
    return bisect_left(times, hi) - bisect_left(times, lo)
