"""Record reads for the pages, always through the access policy, with bounded queries."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from apps.access import policy
from apps.accounts.models import User
from apps.alerts import redaction
from apps.alerts.models import Alert
from apps.places.models import Facility, Operation
from apps.records import compliance as rules
from apps.records import compliance_queries as queries
from apps.records.models import (
    Amendment,
    ChainAnchor,
    ChainEntry,
    ChainVerification,
    Checkpoint,
    CheckSignature,
    Incident,
    IncidentAlertLink,
    IncidentEvidence,
    IncidentStep,
    Patrol,
    PatrolVisit,
    RecordPhoto,
    WarehouseCheck,
)
from apps.records.services.compliance import patrol_intervals
from apps.records.services.patrols import active_patrols_for

RECENT_VISITS = 20
LIST_LIMIT = 200


def user_zone(user: User) -> ZoneInfo:
    if user.agency_id:
        return user.agency.region.zoneinfo
    return ZoneInfo(settings.TIME_ZONE)


# --- field page ------------------------------------------------------------------------------


FACILITIES_FOUND = 30  # a phone screen or two of the picker; a narrower search finds the rest
FACILITIES_CHOSEN = 10  # facilities one patrol plans at a time (their checkpoints are listed)


@dataclass
class MyPatrol:
    active: list[Patrol]
    recent: list[PatrolVisit]
    operations: list[Operation]
    may_patrol: bool  # some checkpoint exists where the person may record a visit
    chosen: list[Facility]  # picked for the patrol plan: their checkpoints are offered
    found: list[Facility]  # the picker's matches, not yet chosen, by region
    more_found: bool  # the search matched more than are shown
    # Checkpoints the page names a scan of, offline too (names, not codes): those of the
    # facilities in hand (chosen, planned, recently visited) and the scanned one, not the city.
    checkpoints: list[Checkpoint] = field(default_factory=list)

    @property
    def offered(self) -> list[Checkpoint]:
        chosen = {f.pk for f in self.chosen}
        return [c for c in self.checkpoints if c.facility_id in chosen]


def patrollable_checkpoints(user: User) -> QuerySet[Checkpoint]:
    return policy.scope(user, Checkpoint.objects.all(), policy.Action.OPERATE)


def my_patrol_for(*, user: User, search: str = "", chosen_ids: list[int] | None = None,
                  scanned_id: int | None = None) -> MyPatrol:
    """The field page's reads, bounded whatever the size of the city: the picker shows at
    most FACILITIES_FOUND facilities and the plan the checkpoints of FACILITIES_CHOSEN."""
    recent = list(
        PatrolVisit.objects.filter(recorded_by=user)
        .select_related("checkpoint", "facility__region")
        .annotate(photo_count=Count("photos"))
        .order_by("-occurred_at")[:RECENT_VISITS]
    )
    active = active_patrols_for(user=user)
    allowed = patrollable_checkpoints(user)
    facilities = Facility.objects.filter(
        pk__in=allowed.values("facility_id")).select_related("region")
    chosen = list(facilities.filter(pk__in=(chosen_ids or [])[:FACILITIES_CHOSEN])
                  .order_by("region__path", "name"))
    matches = facilities.exclude(pk__in=[f.pk for f in chosen])
    if search:
        matches = matches.filter(Q(name__icontains=search) | Q(region__name__icontains=search))
    found = list(matches.order_by("region__path", "name")[:FACILITIES_FOUND + 1])
    at_hand = {f.pk for f in chosen} | {v.facility_id for v in recent}
    planned = {pk for patrol in active for pk in patrol.planned_checkpoints}
    checkpoints = list(
        allowed.filter(Q(facility_id__in=at_hand) | Q(pk__in=planned | {scanned_id} - {None}))
        .select_related("facility").order_by("facility__name", "name")
    )
    operations = list(policy.patrol_operations(user).order_by("name"))
    return MyPatrol(active, recent, operations,
                    may_patrol=bool(found or chosen) or allowed.exists(),
                    chosen=chosen, found=found[:FACILITIES_FOUND],
                    more_found=len(found) > FACILITIES_FOUND, checkpoints=checkpoints)


@dataclass
class VisitDetail:
    visit: PatrolVisit
    photos: list[RecordPhoto]
    amendments: list[Amendment]

    @property
    def current(self) -> dict:
        """The visit's values as corrected (the original stays on the visit)."""
        values = {"situation": self.visit.situation, "notes": self.visit.notes}
        for amendment in self.amendments:
            values.update(amendment.changes)
        return values


def visit_detail_for(*, user: User, pk: int) -> VisitDetail:
    visit = policy.get_or_404(user, PatrolVisit.objects.select_related(
        "checkpoint", "facility__region", "recorded_by", "recorder_agency", "patrol"), pk=pk)
    photos = list(policy.scope(user, visit.photos.all()))
    amendments = list(visit.amendments.select_related("amended_by"))
    return VisitDetail(visit, photos, amendments)


def patrol_detail_for(*, user: User, pk: int) -> tuple[Patrol, list[PatrolVisit],
                                                       list[Checkpoint]]:
    patrol = policy.get_or_404(user, Patrol.objects.select_related(
        "leader", "agency", "operation", "ending__ended_by"), pk=pk)
    visits = list(policy.scope(user, patrol.visits.select_related(
        "checkpoint", "facility__region", "recorded_by")).order_by("occurred_at"))
    planned = list(Checkpoint.objects.filter(pk__in=patrol.planned_checkpoints)
                   .select_related("facility"))
    return patrol, visits, planned


# --- checkpoints -----------------------------------------------------------------------------


def checkpoint_facilities_for(*, user: User) -> QuerySet[Facility]:
    return policy.scope(user, Facility.objects.select_related("region")).prefetch_related(
        Prefetch("checkpoints", queryset=Checkpoint.objects.order_by("name"))
    ).order_by("region__path", "name")


# --- compliance ------------------------------------------------------------------------------

MAX_NIGHTS = 31
NIGHT_START, NIGHT_END = time(18, 0), time(6, 0)


@dataclass
class FacilityCompliance:
    facility: Facility
    interval: timedelta
    visits: int
    required: int
    gaps: list[rules.Gap]
    last_visit_at: datetime | None
    nights: list[tuple[int, int]] = field(default_factory=list)  # (visits, required)

    @property
    def interval_hours(self) -> int:
        return int(self.interval.total_seconds() // 3600)

    @property
    def ok(self) -> bool:
        return not self.gaps


@dataclass
class TeamCompliance:
    patrol: Patrol
    visits: int
    planned: int
    planned_visited: int
    anomalies: int


@dataclass
class AnomalyLine:
    anomaly: rules.Anomaly
    visit: PatrolVisit
    previous: PatrolVisit


@dataclass
class ComplianceView:
    """A page of each table, and only that page computed: the facilities of the facility
    page (FACILITIES_PER_PAGE) with their figures, gaps and nights; the patrols of the team
    page (TEAMS_PER_PAGE) with their visits; the exceptions of those patrols and of visits
    made outside a patrol (ANOMALIES_PER_PAGE a page). So a city's page costs what one page
    of it costs, whatever the number of facilities and patrols."""

    zone: ZoneInfo
    first_night: date
    nights: list[date]
    start: datetime
    end: datetime
    facility_count: int
    anomalies: list[rules.Anomaly]
    operation: Operation | None
    operations: list[Operation]
    facility_page: Page
    team_page: Page
    anomaly_page: Page

    @property
    def facilities(self) -> list[FacilityCompliance]:
        """The rows of the facility page."""
        return list(self.facility_page.object_list)

    @property
    def facilities_with_gaps(self) -> int:
        return sum(1 for row in self.facilities if row.gaps)


FACILITIES_PER_PAGE = 25
TEAMS_PER_PAGE = 25
ANOMALIES_PER_PAGE = 50
PATROL_LOOKBACK = timedelta(days=1)


def team_lines(patrols, visited: dict[int, Counter[int]],
               anomalies: list[rules.Anomaly]) -> list[TeamCompliance]:
    """Each patrol's visits, planned checkpoints reached and exceptions, from its visits
    counted by checkpoint (apps.records.compliance_queries.patrol_checkpoints)."""
    exceptions = Counter(a.team for a in anomalies)
    teams = []
    for patrol in patrols:
        mine = visited.get(patrol.pk, Counter())
        planned = set(patrol.planned_checkpoints)
        teams.append(TeamCompliance(
            patrol=patrol, visits=mine.total(), planned=len(planned),
            planned_visited=len(planned & mine.keys()),
            anomalies=exceptions[("patrol", patrol.pk)],
        ))
    return teams


def _facility_rows(facilities: list[Facility], intervals, visits, *, start: datetime,
                   end: datetime, night_days: list[date], zone: ZoneInfo,
                   now: datetime) -> list[FacilityCompliance]:
    if not facilities:
        return []
    shown = [f.pk for f in facilities]
    grace = timedelta(minutes=settings.RECORDS_PATROL_GRACE_MINUTES)
    longest = max(intervals[f][0] for f in shown)
    nights = [(datetime.combine(day, NIGHT_START, tzinfo=zone),
               min(datetime.combine(day + timedelta(days=1), NIGHT_END, tzinfo=zone), now))
              for day in night_days]
    visits = visits.filter(facility_id__in=shown)
    figures = queries.facility_figures(visits, since=start - longest, start=start, end=end,
                                       nights=nights)
    gaps = queries.long_gaps(visits, start=start, end=end,
                             allowed={f: intervals[f][0] + grace for f in shown})
    # A facility last visited before the look-back was already overdue when the period began.
    earlier = queries.last_visits_before(
        visits, [f for f in shown if f not in figures or figures[f].last_before is None],
        start - longest)
    rows = []
    for facility in facilities:
        interval, started = intervals[facility.pk]
        seen = figures.get(facility.pk, queries.FacilityFigures(nights=(0,) * len(nights)))
        if facility.pk in earlier:
            seen = replace(seen, last_before=earlier[facility.pk],
                           last=seen.last or earlier[facility.pk])
        lo = max(start, started)
        rows.append(FacilityCompliance(
            facility=facility, interval=interval, visits=seen.in_period,
            required=rules.required_visits(start=lo, end=end, interval=interval,
                                           ongoing=end >= now),
            gaps=rules.gaps_between(first=seen.first, last=seen.last_in_period,
                                    long_pairs=gaps.get(facility.pk, []), start=lo, end=end,
                                    allowed=interval + grace, last_before=seen.last_before),
            last_visit_at=seen.last,
            nights=[(count, rules.required_visits(start=max(n_lo, started), end=n_hi,
                                                  interval=interval, ongoing=n_hi >= now))
                    for count, (n_lo, n_hi) in zip(seen.nights, nights, strict=True)],
        ))
    return rows


def compliance_view(*, user: User, operation_id: int | None = None,
                    first_night: date | None = None, nights: int = 7,
                    now: datetime | None = None, pages: dict[str, str | None] | None = None
                    ) -> ComplianceView:
    """Patrol compliance per facility, per team and per night (18:00–06:00 local), with the
    exceptions; `pages` chooses the page of each table ("facilities", "teams",
    "anomalies"). A bounded number of queries, each over one page's facilities or patrols."""
    pages = pages or {}
    now = now or timezone.now()
    zone = user_zone(user)
    nights = max(1, min(nights, MAX_NIGHTS))
    today = timezone.localtime(now, zone).date()
    first_night = first_night or today - timedelta(days=nights - 1)
    night_days = [first_night + timedelta(days=i) for i in range(nights)]
    start = datetime.combine(first_night, time(0), tzinfo=zone)
    end = min(datetime.combine(night_days[-1] + timedelta(days=1), NIGHT_END, tzinfo=zone), now)
    operations = list(policy.scope(user, Operation.objects.order_by("-starts_on", "name")))
    operation = next((o for o in operations if o.pk == operation_id), None)

    facilities = policy.scope(user, Facility.objects.select_related("region"))
    if operation is not None:
        facilities = facilities.filter(operations=operation)
    facilities = list(facilities.order_by("region__path", "name"))
    intervals = patrol_intervals(facilities=[f.pk for f in facilities], now=now)
    guarded = [f for f in facilities if f.pk in intervals]
    facility_page = Paginator(guarded, FACILITIES_PER_PAGE).get_page(pages.get("facilities"))
    visits = policy.scope(user, PatrolVisit.objects.all())
    facility_page.object_list = _facility_rows(
        list(facility_page.object_list), intervals, visits, start=start, end=end,
        night_days=night_days, zone=zone, now=now)

    # The patrols out in the period: started in it, or up to a day before and not ended
    # before it (a night patrol across the first midnight).
    patrols = (policy.scope(user, Patrol.objects.select_related("leader", "agency__region",
                                                                "ending"))
               .filter(started_at__gte=start - PATROL_LOOKBACK, started_at__lt=end)
               .exclude(ending__ended_at__lt=start).order_by("-started_at", "pk"))
    team_page = Paginator(patrols, TEAMS_PER_PAGE).get_page(pages.get("teams"))
    team_ids = [p.pk for p in team_page]
    # The page's patrols and the visits outside any patrol (a person is then the team),
    # through the (patrol, time) index: not the whole city's week of visits.
    teams_visits = visits.filter(Q(patrol_id__in=team_ids) | Q(patrol__isnull=True))
    anomalies = queries.exceptions(teams_visits, start=start, end=end)
    visited = queries.patrol_checkpoints(visits.filter(patrol_id__in=team_ids),
                                         start=start, end=end)
    team_page.object_list = team_lines(team_page, visited, anomalies)
    anomaly_page = Paginator(anomalies, ANOMALIES_PER_PAGE).get_page(pages.get("anomalies"))
    ids = {i for a in anomaly_page for i in (a.visit_id, a.previous_id)}
    by_id = policy.scope(user, PatrolVisit.objects.select_related(
        "checkpoint", "recorded_by")).in_bulk(ids)
    anomaly_page.object_list = [AnomalyLine(a, by_id[a.visit_id], by_id[a.previous_id])
                                for a in anomaly_page]
    return ComplianceView(zone, first_night, night_days, start, end, len(guarded), anomalies,
                          operation, operations, facility_page, team_page, anomaly_page)


# --- warehouse checks ------------------------------------------------------------------------


def checks_for(*, user: User) -> list[WarehouseCheck]:
    return list(
        policy.scope(user, WarehouseCheck.objects.select_related("facility__region",
                                                                  "created_by"))
        .prefetch_related(Prefetch("signatures", queryset=CheckSignature.objects.only(
            "id", "check_record_id", "pillar", "content_hash")))
        .order_by("-checked_at")[:LIST_LIMIT]
    )


# --- incidents -------------------------------------------------------------------------------


def incidents_for(*, user: User, category: str = "", source: str = "") -> list[Incident]:
    incidents = policy.scope(user, Incident.objects.select_related("facility__region",
                                                                   "reporter"))
    if category:
        incidents = incidents.filter(category=category)
    if source:
        incidents = incidents.filter(source=source)
    return list(incidents.prefetch_related(
        Prefetch("steps", queryset=IncidentStep.objects.only("id", "incident_id", "step"))
    ).order_by("-occurred_at")[:LIST_LIMIT])


@dataclass
class IncidentDetail:
    incident: Incident
    steps: list[IncidentStep]
    photos: list[RecordPhoto]
    evidence: list[IncidentEvidence]
    links: list[IncidentAlertLink]
    amendments: list[Amendment]
    linkable_alerts: list[Alert]

    @property
    def current(self) -> dict:
        values = {"category": self.incident.category,
                  "description": self.incident.description,
                  "location_detail": self.incident.location_detail}
        for amendment in self.amendments:
            values.update(amendment.changes)
        return values


def incident_detail_for(*, user: User, pk: int) -> IncidentDetail:
    incident = policy.get_or_404(user, Incident.objects.select_related(
        "facility__region", "reporter", "reporter_agency"), pk=pk)
    steps = list(incident.steps.select_related("actor", "actor_agency"))
    photos = list(policy.scope(user, incident.photos.all()))
    evidence = list(policy.scope(user, incident.evidence.select_related("camera",
                                                                        "attached_by")))
    links = list(policy.scope(user, incident.alert_links.select_related("alert", "linked_by"))
                 .filter(alert__in=policy.scope(user, Alert.objects.all())))
    amendments = list(incident.amendments.select_related("amended_by"))
    linkable = []
    if policy.can(user, policy.Action.OPERATE, incident):
        linked = [link.alert_id for link in links]
        linkable = redaction.for_viewer(
            policy.scope(user, Alert.objects.filter(facility=incident.facility))
            .exclude(pk__in=linked).order_by("-last_raised_at")[:30], user)
    # The linked alerts as this person may read them (no inward camera's name).
    for link, shown in zip(links, redaction.for_viewer([lk.alert for lk in links], user),
                           strict=True):
        link.alert = shown
    return IncidentDetail(incident, steps, photos, evidence, links, amendments, linkable)


def integrity_summary(user: User) -> dict:
    """What the integrity page shows: the latest finished walk of the chain and its first
    problems, a walk still running, the chain head now (entries appended since the walk)
    and the latest published anchors. A handful of queries, whatever the chain's length."""
    walks = policy.scope(user, ChainVerification.objects.all())
    latest = walks.filter(finished_at__isnull=False).first()
    running = walks.filter(finished_at__isnull=True).first()
    head = ChainEntry.objects.order_by("-seq").values("seq", "entry_hash", "created_at").first()
    since = head["seq"] - latest.head_seq if head and latest else None
    return {
        "latest": latest, "running": running, "head": head, "appended_since": since,
        "anchors": policy.scope(user, ChainAnchor.objects.all())[:30],
        "every_hours": settings.RECORDS_VERIFY_HOURS,
    }
