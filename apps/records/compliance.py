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


def speed_limit_kmh(mode: str) -> float:
    return MAX_SPEED_KMH.get(mode, MAX_SPEED_KMH[""])


def judge(before: VisitPoint, after: VisitPoint) -> Anomaly | None:
    """The exception, if any, in one team's two consecutive visits."""
    seconds = (after.at - before.at).total_seconds()
    if after.checkpoint_id == before.checkpoint_id:
        if seconds < RESCAN_WINDOW.total_seconds():
            return Anomaly("rapid_rescan", after.visit_id, before.visit_id, after.team, seconds)
        return None
    if None in (before.lat, before.lon, after.lat, after.lon):
        return None
    distance = haversine_m(before.lat, before.lon, after.lat, after.lon)
    if distance < MIN_DISTANCE_M:
        return None
    speed = math.inf if seconds <= 0 else distance / seconds * 3.6
    if speed <= speed_limit_kmh(after.mode or before.mode):
        return None
    return Anomaly("impossible_travel", after.visit_id, before.visit_id, after.team, seconds,
                   distance, None if math.isinf(speed) else speed)


def find_anomalies(points: Iterable[VisitPoint]) -> list[Anomaly]:
    """The exceptions among `points`: each team's visits in time order, judged in pairs.
    (The commander's page pairs them in the database: apps.records.compliance_queries.)"""
    by_team: dict[Hashable, list[VisitPoint]] = defaultdict(list)
    for point in points:
        by_team[point.team].append(point)
    found: list[Anomaly] = []
    for visits in by_team.values():
        visits.sort(key=lambda p: (p.at, p.visit_id))
        found += [a for before, after in pairwise(visits) if (a := judge(before, after))]
    found.sort(key=lambda a: a.visit_id)
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
    times = sorted(t for t in visits if start <= t < end)
    return gaps_between(first=times[0] if times else None, last=times[-1] if times else None,
                        long_pairs=pairwise(times), start=start, end=end,
                        allowed=interval + grace, last_before=last_before)


def gaps_between(*, first: datetime | None, last: datetime | None,
                 long_pairs: Iterable[tuple[datetime, datetime]], start: datetime,
                 end: datetime, allowed: timedelta,
                 last_before: datetime | None = None) -> list[Gap]:
    """The missed windows of [start, end) from the first and last visit in it and its pairs
    of consecutive visits — at least those farther apart than `allowed`, so a database can
    send only the long pairs (apps.records.compliance_queries)."""
    if end <= start:
        return []
    covered_from = last_before if last_before is not None and last_before < start else start
    if first is None or last is None:
        return [Gap(start, end)] if end - covered_from > allowed else []
    gaps = [Gap(start, first)] if first - covered_from > allowed else []
    gaps += [Gap(before, after) for before, after in sorted(long_pairs)
             if after - before > allowed]
    if end - last > allowed:
        gaps.append(Gap(last, end))
    return gaps


def required_visits(*, start: datetime, end: datetime, interval: timedelta,
                    ongoing: bool = False) -> int:
    """Visits a window needs: one per interval it spans. In a window still going on (cut at
    now) a visit is due only once its interval has passed: a night 17 minutes old needs none
    yet, whatever the last visit before it."""
    if end <= start or interval <= timedelta(0):
        return 0
    intervals = (end - start) / interval
    return math.floor(intervals) if ongoing else math.ceil(intervals)


def count_between(times: Sequence[datetime], lo: datetime, hi: datetime) -> int:
    """How many of the sorted `times` fall in [lo, hi): two bisections, not a scan, so a
    page counting many windows costs the windows, not windows × visits."""
    if hi <= lo:
        return 0
    return bisect_left(times, hi) - bisect_left(times, lo)
