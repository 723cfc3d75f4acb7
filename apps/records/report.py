"""The daily situation report (laporan harian) of an operation, for a region and a day.

Facilities guarded (with the guard coverage of apps.duty when it is installed), patrols done
and missed, joint warehouse checks, incidents, camera uptime and alerts by kind, for one
local day in the region's zone; and the chain head at the end of that day, printed on the
report so a later rewrite of the records can be proved (see apps.records.chain).

Everything is read through the access policy: two people may get different reports of the
same operation, each with what they may see. A fixed number of queries whatever the size.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.access import policy
from apps.accounts.models import User
from apps.alerts.models import Alert
from apps.cameras.models import Camera
from apps.cameras.uptime import Segment, uptime_by_camera, uptime_fraction
from apps.core.db import InList
from apps.core.zones import zone_label
from apps.duty import coverage as cov
from apps.duty.loading import coverage_inputs
from apps.org.models import Region
from apps.places.models import Facility, Operation
from apps.records import compliance as rules
from apps.records import compliance_queries as queries
from apps.records.chain import ChainHead, chain_head
from apps.records.models import (
    ChainAnchor,
    CheckItem,
    Incident,
    IncidentStep,
    Patrol,
    PatrolVisit,
    Step,
    WarehouseCheck,
)
from apps.records.services.checks import check_is_complete
from apps.records.services.incidents import incident_state


@dataclass
class FacilityLine:
    facility: Facility
    coverage_pct: float | None
    visits: int
    required: int
    missed: int
    checks: int
    incidents: int


@dataclass
class CameraLine:
    """A camera's line: its name and facility only (a city's thousand cameras as model
    instances cost more than their uptime)."""

    name: str
    facility: Facility
    uptime_pct: float | None


@dataclass
class CheckLine:
    check: WarehouseCheck
    complete: bool
    signed: list[str]


@dataclass
class IncidentLine:
    incident: Incident
    state: str

    @property
    def state_label(self) -> str:
        return str(Step(self.state).label)


# Facilities per page of the report's page (not the CSV or PDF, which list them all), each
# with its cameras: only the page's facilities get their guard coverage and camera uptime
# computed, the costly part of a city's report. At 50 a city's page computed half again as
# many as a district's whole report (30): the page grew with the city.
PAGE_FACILITIES = 25


@dataclass
class DailyReport:
    operation: Operation
    region: Region | None
    day: date
    zone: ZoneInfo
    start: datetime
    end: datetime
    observed_until: datetime
    facilities: list[FacilityLine]
    patrols: list[Patrol] | QuerySet[Patrol]  # for the page a query, read a page at a time
    visits: int
    missed_windows: int
    checks: list[CheckLine]
    incidents: list[IncidentLine]
    cameras: list[CameraLine]
    alerts_by_kind: list[tuple[str, int]]
    head: ChainHead
    anchor: ChainAnchor | None
    duty_available: bool
    facility_page: Page
    generated_at: datetime = field(default_factory=timezone.now)

    @property
    def page_cameras(self) -> list[CameraLine]:
        """The cameras of the facilities on the facility page (all of them for an export)."""
        shown = {line.facility.pk for line in self.facility_page}
        return [c for c in self.cameras if c.facility.pk in shown]

    @property
    def zoneinfo(self) -> ZoneInfo:  # for the `in_zone` template filter
        return self.zone

    @property
    def zone_label(self) -> str:
        return zone_label(self.zone)


def _duty_coverage(facilities: list[Facility], start: datetime, end: datetime,
                   now: datetime) -> dict[int, float | None]:
    """Guard coverage per facility from apps.duty."""
    inputs = coverage_inputs(facilities=facilities, period=cov.Interval(start, end), now=now,
                             with_cameras=False)  # the report shows coverage_pct only
    result = inputs.compute(now=now, include_hours=False, summary_only=True)
    return {f.facility_id: f.coverage_pct for f in result.facilities}


def _percent(parts: list[Segment] | None) -> float | None:
    fraction = uptime_fraction(parts) if parts else None
    return None if fraction is None else 100.0 * fraction


def daily_report(*, user: User, operation: Operation, day: date, region: Region | None = None,
                 now: datetime | None = None, page: int | str | None = None,
                 everything: bool = False) -> DailyReport:
    """The report; with `everything` (the CSV and the PDF) every facility's coverage and
    every camera's uptime, else those of the facility page `page`. The totals (visits,
    missed windows, alerts) are the whole report's either way."""
    now = now or timezone.now()
    zone = region.zoneinfo if region else operation.responsible_agency.region.zoneinfo
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    observed_until = max(start, min(end, now))

    facilities_qs = policy.scope(user, operation.facilities.select_related("region"))
    if region is not None:
        facilities_qs = facilities_qs.filter(region__path__startswith=region.path)
    facilities = list(facilities_qs.order_by("region__path", "name"))
    per_page = (len(facilities) or 1) if everything else PAGE_FACILITIES
    facility_page = Paginator(facilities, per_page).get_page(1 if everything else page)
    detailed = list(facility_page.object_list)
    # The report's facilities for the visits as a subquery, not a list of ids: the policy's
    # own facility filter comes on top, and PostgreSQL turned the two into one index descent
    # per id of the list for every facility (300 × 300 at city scale); as one array, it
    # costed testing each of two days of visits against it as 300 comparisons and read them
    # in parallel workers, slower on a shared machine.
    ids = facilities_qs.order_by().values("pk")
    # For the checks, incidents, cameras and alerts (a few rows each, through their facility
    # index) the list as one array: with the subquery, the policy's facility filter nested
    # in it and the policy's own on top, PostgreSQL planned a dozen relations a query (~8 ms
    # for an operator or a field officer, more than answering it) and Django compiled them.
    # And the patrols' visits: with the subquery PostgreSQL misjudged the patrols as a
    # handful and joined every user to each of them.
    listed = [f.pk for f in facilities]

    # Per facility the day's visits counted, its first and last, the last of the 24 hours
    # before (it still covers the start of the day) and its consecutive visits farther apart
    # than the interval: from the database, not a city's day of visits read into Python.
    interval = timedelta(hours=operation.patrol_interval_hours)
    active = operation.is_active_on(day)
    visits = policy.scope(user, PatrolVisit.objects.filter(facility_id__in=ids))
    look_back = start - timedelta(hours=24)
    figures = queries.facility_figures(visits, since=look_back, start=start,
                                       end=observed_until, nights=[])
    # A facility last visited before the look-back was already overdue when the day began.
    earlier = queries.last_visits_before(
        visits, [f.pk for f in facilities
                 if f.pk not in figures or figures[f.pk].last_before is None], look_back)
    long_pairs = queries.long_gaps(visits, start=start, end=observed_until,
                                   allowed={f.pk: interval for f in facilities}) if active else {}
    checks = list(
        policy.scope(user, WarehouseCheck.objects.filter(
            InList("facility_id", listed), checked_at__gte=start, checked_at__lt=end))
        .select_related("facility__region").prefetch_related(
            "signatures", Prefetch("items", queryset=CheckItem.objects.order_by("pk")))
        .order_by("checked_at")
    )
    incidents = list(
        policy.scope(user, Incident.objects.filter(
            InList("facility_id", listed), occurred_at__gte=start, occurred_at__lt=end))
        .select_related("facility__region")
        .prefetch_related(Prefetch("steps", queryset=IncidentStep.objects.only(
            "id", "incident_id", "step")))
        .order_by("occurred_at")
    )
    # The day's patrols, and their visits counted through the patrol index one patrol at a
    # time: a join or an IN over all the facilities' visits read the whole history.
    own_visits = PatrolVisit.objects.filter(patrol=OuterRef("pk"))
    visit_count = own_visits.order_by().values("patrol").annotate(n=Count("pk")).values("n")
    day_patrols = (
        policy.scope(user, Patrol.objects.filter(started_at__gte=start, started_at__lt=end)
                     .filter(Q(operation=operation)
                             | Q(Exists(own_visits.filter(InList("facility_id", listed))))))
        .select_related("leader", "ending")
        # What the report prints of a patrol, its leader and its end: whole rows decoded a
        # city's day of patrols' JSON lists and every time column for nothing.
        .only("id", "team_name", "mode", "started_at", "leader__rank", "leader__full_name",
              "ending__ended_at")
        .annotate(visit_count=Coalesce(Subquery(visit_count), 0))
        .order_by("started_at")
    )
    # The page's patrols stay a query its view reads a page of (a count and 25 rows): a
    # city's day of them read whole grew the page with the city.
    patrols = list(day_patrols) if everything else day_patrols
    # The cameras of the detailed facilities (a city's thousand for an export): their names
    # only, each with its facility loaded above.
    cameras = list(
        policy.scope(user, Camera.objects.filter(
            InList("facility_id", listed if everything else [f.pk for f in detailed])))
        .order_by("facility__name", "name").values_list("id", "name", "facility_id")
    )
    by_pk = {f.pk: f for f in facilities}
    alerts = Counter(dict(
        policy.scope(user, Alert.objects.filter(
            InList("facility_id", listed), first_raised_at__gte=start, first_raised_at__lt=end))
        .values_list("kind").annotate(n=Count("id")).order_by()
    ))
    coverage = _duty_coverage(detailed, start, end, now)

    check_count = Counter(c.facility_id for c in checks)
    incident_count = Counter(i.facility_id for i in incidents)
    lines, missed_total, visit_total = [], 0, 0
    for facility in facilities:
        seen = figures.get(facility.pk, queries.FacilityFigures())
        if facility.pk in earlier:
            seen = replace(seen, last_before=earlier[facility.pk])
        gaps = rules.gaps_between(
            first=seen.first, last=seen.last_in_period,
            long_pairs=long_pairs.get(facility.pk, []), start=start, end=observed_until,
            allowed=interval, last_before=seen.last_before) if active else []
        visit_total += seen.in_period
        missed_total += len(gaps)
        lines.append(FacilityLine(
            facility=facility,
            coverage_pct=coverage.get(facility.pk) if coverage is not None else None,
            visits=seen.in_period,
            required=rules.required_visits(start=start, end=observed_until, interval=interval,
                                           ongoing=observed_until >= now) if active else 0,
            missed=len(gaps), checks=check_count[facility.pk],
            incidents=incident_count[facility.pk],
        ))
    # The facility page's own reckoning: a tampered or disabled camera is not up.
    page_ids = {f.pk for f in detailed}
    facility_page.object_list = [line for line in lines if line.facility.pk in page_ids]
    uptime = uptime_by_camera([pk for pk, _name, _facility in cameras], start, observed_until) \
        if observed_until > start else {}
    kinds = dict(Alert.Kind.choices)
    return DailyReport(
        operation=operation, region=region, day=day, zone=zone, start=start, end=end,
        observed_until=observed_until, facilities=lines, patrols=patrols, visits=visit_total,
        missed_windows=missed_total,
        checks=[CheckLine(c, check_is_complete(c, list(c.signatures.all())),
                          sorted(s.pillar for s in c.signatures.all())) for c in checks],
        incidents=[IncidentLine(i, incident_state(list(i.steps.all()))) for i in incidents],
        cameras=[CameraLine(name, by_pk[facility_id], _percent(uptime.get(pk)))
                 for pk, name, facility_id in cameras],
        alerts_by_kind=sorted(((str(kinds.get(k, k)), n) for k, n in alerts.items()),
                              key=lambda pair: (-pair[1], pair[0])),
        head=chain_head(at=observed_until),
        anchor=ChainAnchor.objects.filter(day=day).first(),
        duty_available=coverage is not None,
        facility_page=facility_page,
    )
