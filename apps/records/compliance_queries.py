"""The compliance page's figures, computed where the visits are.

A city's week is ~40,000 visits; reading them all into Python (to pair each team's visits,
find each facility's gaps and count its nights) cost a second per request. The database
pairs and counts them instead, with window functions and conditional aggregates that
PostgreSQL and SQLite both speak, and sends what the page shows: per facility a handful of
figures and its long gaps, per patrol its checkpoints, and only the pairs of visits that can
be exceptions. The rules stay in apps.records.compliance: the database's filters are built
from its constants, and every pair it sends is judged there.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    Func,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import (
    ASin,
    Cast,
    Cos,
    Lag,
    Power,
    Radians,
    Sin,
    Sqrt,
)

from apps.records import compliance as rules
from apps.records.models import Patrol, PatrolVisit


class Epoch(Func):
    """A datetime as seconds since 1970 (a float), on PostgreSQL and SQLite."""

    output_field = FloatField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection,
                           template="EXTRACT(EPOCH FROM %(expressions)s)::float8", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection,
                           template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)",
                           **extra)


@dataclass
class FacilityFigures:
    in_period: int = 0
    first: datetime | None = None  # the first and last visit of the period
    last_in_period: datetime | None = None
    last_before: datetime | None = None  # the last visit before the period
    last: datetime | None = None
    nights: tuple[int, ...] = ()


def facility_figures(visits: QuerySet[PatrolVisit], *, since: datetime, start: datetime,
                     end: datetime, nights: list[tuple[datetime, datetime]]
                     ) -> dict[int, FacilityFigures]:
    """Per facility: its visits in [start, end), the first and last of them, the last one
    in [since, start), and the visits of each night window. One grouped query."""
    night_counts = {f"night_{i}": Count("pk", filter=Q(occurred_at__gte=lo, occurred_at__lt=hi))
                    for i, (lo, hi) in enumerate(nights)}
    rows = (visits.filter(occurred_at__gte=since, occurred_at__lt=end)
            .order_by().values("facility_id")
            .annotate(in_period=Count("pk", filter=Q(occurred_at__gte=start)),
                      first=Min("occurred_at", filter=Q(occurred_at__gte=start)),
                      last_in_period=Max("occurred_at", filter=Q(occurred_at__gte=start)),
                      last_before=Max("occurred_at", filter=Q(occurred_at__lt=start)),
                      last=Max("occurred_at"), **night_counts))
    return {row["facility_id"]: FacilityFigures(
        row["in_period"], row["first"], row["last_in_period"], row["last_before"],
        row["last"], tuple(row[name] for name in night_counts)) for row in rows}


def last_visits_before(visits: QuerySet[PatrolVisit], facility_ids: list[int],
                       before: datetime) -> dict[int, datetime]:
    """Per facility of `facility_ids`, its last visit before `before` if it has one: for the
    facilities `facility_figures` found no visit for in its look-back, whose last visit
    decides whether they were already overdue when the period began. One index probe each."""
    if not facility_ids:
        return {}
    from apps.places.models import Facility

    last = (visits.filter(facility_id=OuterRef("pk"), occurred_at__lt=before)
            .order_by("-occurred_at").values("occurred_at")[:1])
    rows = (Facility.objects.filter(pk__in=facility_ids).order_by()
            .annotate(last=Subquery(last)).values_list("pk", "last"))
    # The facilities never visited are dropped here: filtered on in SQL, the probe ran twice
    # per facility (a field officer's, who sees his own visits only, walked ~100 index
    # entries a probe: ~25 ms of a city's report each time).
    return {pk: at for pk, at in rows if at is not None}


def long_gaps(visits: QuerySet[PatrolVisit], *, start: datetime, end: datetime,
              allowed: dict[int, timedelta]) -> dict[int, list[tuple[datetime, datetime]]]:
    """Per facility of `allowed`, its consecutive visits in [start, end) farther apart than
    its allowed gap; `visits` are those of these facilities (the caller narrows them). The
    database sends the pairs farther apart than the shortest allowed gap and each is judged
    here by its own facility's: a list of the facilities in the query was compared with
    every visit of the period (a city's 300 with its 6,500 visits of a day: ~4 ms)."""
    if not allowed:
        return {}
    previous = Window(Lag("occurred_at"), partition_by=[F("facility_id")],
                      order_by=[F("occurred_at").asc(), F("pk").asc()])
    # The pairs compared as times (the later one past the earlier plus the gap), not as
    # seconds apart: a second window over each visit's epoch and its subtraction were half
    # of PostgreSQL's time on a city's day (~6,500 visits).
    rows = (visits.filter(occurred_at__gte=start, occurred_at__lt=end).order_by()
            .annotate(previous=previous)
            .filter(occurred_at__gt=F("previous") + min(allowed.values()))
            .values_list("facility_id", "previous", "occurred_at"))
    found: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for facility_id, before, after in rows:
        gap = allowed.get(facility_id)
        if gap is not None and after - before > gap:
            found[facility_id].append((before, after))
    return found


def patrol_checkpoints(visits: QuerySet[PatrolVisit], *, start: datetime, end: datetime
                       ) -> dict[int, Counter[int]]:
    """Per patrol, its visits in [start, end) counted by checkpoint."""
    rows = (visits.filter(occurred_at__gte=start, occurred_at__lt=end, patrol__isnull=False)
            .order_by().values_list("patrol_id", "checkpoint_id").annotate(n=Count("pk")))
    found: dict[int, Counter[int]] = defaultdict(Counter)
    for patrol_id, checkpoint_id, n in rows:
        found[patrol_id][checkpoint_id] = n
    return found


def _position(axis: str) -> Case:
    """The label's surveyed position if known, else the phone's (as rules expect)."""
    return Case(
        When(checkpoint__latitude__isnull=False, checkpoint__longitude__isnull=False,
             then=Cast(f"checkpoint__{axis}", FloatField())),
        When(latitude__isnull=False, longitude__isnull=False,
             then=Cast(axis, FloatField())),
        default=None, output_field=FloatField())


def _haversine_m(lat1, lon1, lat2, lon2):
    half = Power(Sin((Radians(lat2) - Radians(lat1)) / 2), 2) + Cos(Radians(lat1)) * Cos(
        Radians(lat2)) * Power(Sin((Radians(lon2) - Radians(lon1)) / 2), 2)
    return 2 * rules.EARTH_RADIUS_M * ASin(Sqrt(half))


def exceptions(visits: QuerySet[PatrolVisit], *, start: datetime, end: datetime
               ) -> list[rules.Anomaly]:
    """The exceptions among the visits of [start, end): each team's consecutive visits paired
    in the database (a team is a patrol, or a person visiting outside one), the pairs the
    rules could flag at the most lenient speed limit sent back, and each judged by
    apps.records.compliance with its patrol's mode (both visits of a pair share it)."""
    team = [F("patrol_id"), Case(When(patrol__isnull=True, then=F("recorded_by_id")),
                                 default=Value(0))]
    order = [F("occurred_at").asc(), F("pk").asc()]

    def before(expression):
        return Window(Lag(expression), partition_by=team, order_by=order)

    lat, lon = _position("latitude"), _position("longitude")
    annotated = (
        visits.filter(occurred_at__gte=start, occurred_at__lt=end).order_by()
        .annotate(lat=lat, lon=lon)
        .annotate(prev_id=before(F("pk")), prev_at=before(F("occurred_at")),
                  prev_checkpoint=before(F("checkpoint_id")), prev_lat=before(lat),
                  prev_lon=before(lon),
                  seconds=Epoch("occurred_at") - before(Epoch("occurred_at")))
    )
    rescan = Q(checkpoint_id=F("prev_checkpoint"),
               seconds__lt=rules.RESCAN_WINDOW.total_seconds())
    # km/h over the slowest mode's limit: a superset of what any mode's limit flags.
    travel = (~Q(checkpoint_id=F("prev_checkpoint")) & Q(distance__gte=rules.MIN_DISTANCE_M)
              & Q(travel__gt=F("seconds") * min(rules.MAX_SPEED_KMH.values())))
    pairs = list(
        annotated.filter(prev_id__isnull=False)
        .annotate(distance=_haversine_m(F("prev_lat"), F("prev_lon"), F("lat"), F("lon")))
        .annotate(travel=F("distance") * 3.6)
        .filter(rescan | travel)
        .values_list("pk", "patrol_id", "recorded_by_id", "checkpoint_id", "occurred_at",
                     "lat", "lon", "prev_id", "prev_checkpoint", "prev_at", "prev_lat",
                     "prev_lon"))
    modes = dict(Patrol.objects.filter(pk__in={pair[1] for pair in pairs if pair[1]})
                 .values_list("pk", "mode"))
    found = []
    for (pk, patrol_id, by, checkpoint, at, lat_, lon_, prev_id, prev_checkpoint, prev_at,
         prev_lat, prev_lon) in pairs:
        key = ("patrol", patrol_id) if patrol_id else ("person", by)
        mode = modes.get(patrol_id, "")
        anomaly = rules.judge(
            rules.VisitPoint(prev_id, key, prev_checkpoint, prev_at, prev_lat, prev_lon, mode),
            rules.VisitPoint(pk, key, checkpoint, at, lat_, lon_, mode))
        if anomaly is not None:
            found.append(anomaly)
    found.sort(key=lambda a: a.visit_id)
    return found
