"""What the coverage page and its exports show: the heatmap of facilities by hour or day, a
page of them at a time under their summary by district or kind (apps.duty.coverage_groups),
a cell's detail, and the filter choices. Everything starts from `policy.scope`; the
arithmetic is apps.duty.coverage."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.access import policy
from apps.accounts.models import User
from apps.core.templatetags.posko import in_zone
from apps.core.zones import zone_label
from apps.duty import coverage as cov
from apps.duty.coverage_groups import GroupLine, coverage_groups
from apps.duty.loading import coverage_inputs
from apps.duty.models import Attendance, Shift
from apps.org.models import Region
from apps.places.models import Facility, Operation

HOURLY_UP_TO = timedelta(days=2)  # longer periods are shown per day
MAX_PERIOD_DAYS = 62
MAX_FACILITIES = 500  # one report
PAGE_FACILITIES = 25  # heatmap rows a page sends and computes; the group summary counts the rest
MAX_EXPORT_FACILITIES = 2000


@dataclass(frozen=True)
class CoverageFilters:
    operation: int | None = None
    region: int | None = None
    kind: str = ""
    start: date | None = None
    end: date | None = None  # included


@dataclass
class Column:
    start: datetime
    end: datetime
    local: datetime  # start in the reference zone


# What each cell status means to a reader (the coverage page's legend, the CSV export).
CELL_STATUS_LABELS = {
    "ok": gettext_lazy("standard met"),
    "short": gettext_lazy("gap"),
    "empty": gettext_lazy("nobody present"),
    "future": gettext_lazy("ahead"),
    "future-short": gettext_lazy("roster short ahead"),
    "no-standard": gettext_lazy("nothing required"),
    "no-posts": gettext_lazy("no guard post"),
}


@dataclass
class Cell:
    start: datetime
    end: datetime
    status: str  # ok, short, empty, future, future-short, no-standard, no-posts
    required: int
    rostered: int
    present: int | None
    short_minutes: float
    href: str
    title: str = field(default="", compare=False)  # the page's tooltip (_title_cells)


@dataclass
class Row:
    facility: Facility
    result: cov.FacilityCoverage
    cells: list[Cell]
    has_posts: bool
    cells_html: str = ""  # the page's cells as markup (_title_cells)


@dataclass
class GapLine:
    facility: Facility
    gap: cov.Gap

    @property
    def zone(self) -> ZoneInfo:
        return self.facility.zoneinfo


@dataclass
class CoverageView:
    period: cov.Interval
    zone: ZoneInfo
    hourly: bool
    columns: list[Column]
    rows: list[Row]
    gaps: list[GapLine]
    roster_gaps: list[GapLine]
    report: cov.CoverageReport
    filters: CoverageFilters
    facility_count: int
    operations: list[Operation] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)
    groups: list[GroupLine] = field(default_factory=list)
    page: Page | None = None  # None: every row (the exports)

    @property
    def zone_label(self) -> str:
        return zone_label(self.zone)

    @property
    def local_start(self) -> datetime:
        return timezone.localtime(self.period.start, self.zone)

    @property
    def local_end(self) -> datetime:
        return timezone.localtime(self.period.end, self.zone)


def coverage_facilities(*, user: User, filters: CoverageFilters) -> QuerySet[Facility]:
    facilities = policy.scope(user, Facility.objects.select_related("region", "owner_agency"))
    if filters.operation:
        operations = policy.scope(user, Operation.objects.filter(pk=filters.operation))
        facilities = facilities.filter(operations__in=operations)
    if filters.region:
        region = Region.objects.filter(pk=filters.region).values_list("path", flat=True).first()
        facilities = facilities.filter(region__path__startswith=region or "\x00")
    if filters.kind in Facility.Kind.values:
        facilities = facilities.filter(kind=filters.kind)
    return facilities.distinct().order_by("region__path", "name")


def reference_zone(*, user: User, filters: CoverageFilters,
                   facilities: Sequence[Facility] | QuerySet[Facility]) -> ZoneInfo:
    """The zone the period is chosen in: the filtered region's, else the person's, else the
    first facility's."""
    if filters.region:
        tz = Region.objects.filter(pk=filters.region).values_list("timezone", flat=True).first()
        if tz:
            return ZoneInfo(tz)
    if user.agency_id:
        return user.agency.region.zoneinfo
    if facilities:
        return facilities[0].zoneinfo
    return ZoneInfo(settings.TIME_ZONE)


def coverage_period(*, zone: ZoneInfo, filters: CoverageFilters,
                    now: datetime) -> cov.Interval:
    """The chosen local days, or by default the last 24 hours up to the end of this hour."""
    if filters.start or filters.end:
        first = filters.start or filters.end
        last = filters.end or filters.start
        if last < first:
            first, last = last, first
        last = min(last, first + timedelta(days=MAX_PERIOD_DAYS - 1))
        return cov.Interval(datetime.combine(first, time(0), tzinfo=zone),
                            datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone))
    local = timezone.localtime(now, zone).replace(minute=0, second=0, microsecond=0)
    end = local + timedelta(hours=1)
    return cov.Interval((end - timedelta(hours=24)).astimezone(UTC), end.astimezone(UTC))


def _columns(period: cov.Interval, zone: ZoneInfo, hourly: bool) -> list[Column]:
    cols = []
    if hourly:
        at = period.start
        while at < period.end:
            nxt = min(at + timedelta(hours=1), period.end)
            cols.append(Column(at, nxt, timezone.localtime(at, zone)))
            at = nxt
        return cols
    day = timezone.localtime(period.start, zone).date()
    at = period.start
    while at < period.end:
        nxt = min(datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone), period.end)
        cols.append(Column(at, nxt, timezone.localtime(at, zone)))
        at, day = nxt, day + timedelta(days=1)
    return cols


def _status(cells: list[cov.HourCell]) -> str:
    observed = [c for c in cells if c.status != "future"]
    if any(c.status == "short" for c in observed):
        return "empty" if any(c.present == 0 and c.required for c in observed) else "short"
    if not observed:
        return "future-short" if any(c.rostered < c.required for c in cells) else "future"
    if all(c.status == "no-standard" for c in observed):
        return "no-standard"
    return "ok"


def _cell(group: list[cov.HourCell], column: Column, href: str) -> Cell:
    observed = [c.present for c in group if c.present is not None]
    return Cell(
        start=column.start, end=column.end, status=_status(group),
        required=max((c.required for c in group), default=0),
        rostered=min((c.rostered for c in group), default=0),
        present=min(observed) if observed else None,
        short_minutes=sum(c.short_minutes for c in group),
        href=f"{href}?from={int(column.start.timestamp())}&to={int(column.end.timestamp())}",
    )


def _title_cells(rows: list[Row], columns: list[Column]) -> None:
    """The tooltip of each heatmap cell and the row's cells as markup, written here: a page
    of 25 facilities has 600 cells, and a date formatted and three words translated per
    cell, then the template's tags run for each, made most of its rendering. A column's
    time reads the same at every facility of a zone, so it is formatted once."""
    present, required, rostered = _("present"), _("required"), _("rostered")
    times: dict[tuple[int, str], str] = {}
    for row in rows:
        zone = row.facility.region.timezone
        for index, cell in enumerate(row.cells):
            at = times.get((index, zone))
            if at is None:
                at = times[index, zone] = in_zone(columns[index].start, row.facility)
            shown = "—" if cell.present is None else cell.present
            cell.title = (f"{at}: {present} {shown}, {required} {cell.required}, "
                          f"{rostered} {cell.rostered}")
        row.cells_html = format_html_join("", "{}", ((_cell_html(cell, row.has_posts),)
                                                     for cell in row.cells))


def _cell_html(cell: Cell, linked: bool) -> str:
    if not linked:
        return format_html('<td class="cov cov-{}"></td>', cell.status)
    shown = "" if cell.status == "no-standard" else (
        f"{'·' if cell.present is None else cell.present}/{cell.required}")
    return format_html('<td class="cov cov-{}"><a href="{}" title="{}">{}</a></td>',
                       cell.status, cell.href, cell.title, shown)


def coverage_view(*, user: User, filters: CoverageFilters, now: datetime | None = None,
                  limit: int | None = MAX_FACILITIES) -> CoverageView:
    """The coverage of every filtered facility (the first `limit`), each with its cells and
    gaps: the exports."""
    now = now or timezone.now()
    facilities_qs = coverage_facilities(user=user, filters=filters)
    facilities = list(facilities_qs[:limit] if limit else facilities_qs)
    return _coverage_of(user=user, filters=filters, facilities=facilities, first=facilities,
                        now=now, facility_count=len(facilities))


def coverage_page_view(*, user: User, filters: CoverageFilters, page: int | str | None,
                       now: datetime | None = None) -> CoverageView:
    """The page: one page of `PAGE_FACILITIES` facilities with their cells and gaps, under the
    summary of all of them by district or kind, counted in the database. It costs what a
    page costs: the coverage of every facility of a city (its loading, its arithmetic and
    its gaps) was what grew the page with the city; the exports still compute it all."""
    now = now or timezone.now()
    facilities_qs = coverage_facilities(user=user, filters=filters)
    shown = Paginator(facilities_qs, PAGE_FACILITIES).get_page(page)
    view = _coverage_of(user=user, filters=filters, facilities=list(shown),
                        first=facilities_qs[:1], now=now,
                        facility_count=shown.paginator.count)
    _title_cells(view.rows, view.columns)
    view.page = shown
    view.groups = coverage_groups(facilities=facilities_qs, now=now)
    return view


def _coverage_of(*, user: User, filters: CoverageFilters, facilities: list[Facility],
                 first: Sequence[Facility] | QuerySet[Facility], now: datetime,
                 facility_count: int) -> CoverageView:
    """`facilities` with their cells and gaps; `first` starts the whole list (the reference
    zone's last resort: the same on every page)."""
    zone = reference_zone(user=user, filters=filters, facilities=first)
    period = coverage_period(zone=zone, filters=filters, now=now)
    hourly = period.duration <= HOURLY_UP_TO
    columns = _columns(period, zone, hourly)
    starts = [c.start for c in columns]

    inputs = coverage_inputs(facilities=facilities, period=period, now=now)
    report = inputs.compute(now=now)
    cell_url = reverse("duty:coverage_cell", args=[0]).rsplit("0/", 1)[0]

    rows, gaps, roster_gaps = [], [], []
    for facility, result in zip(facilities, report.facilities, strict=True):
        has_posts = facility.pk not in inputs.facilities_without_posts
        groups: list[list[cov.HourCell]] = [[] for _ in columns]
        for hour in result.hours or ():
            groups[bisect_right(starts, hour.start_utc) - 1].append(hour)
        href = f"{cell_url}{facility.pk}/"
        cells = [_cell(g, col, href) for g, col in zip(groups, columns, strict=True)]
        if not has_posts:
            for c in cells:
                c.status = "no-posts"
        rows.append(Row(facility, result, cells, has_posts))
        gaps.extend(GapLine(facility, g) for g in result.gaps)
        roster_gaps.extend(GapLine(facility, g) for g in result.roster_gaps if g.end > now)
    gaps.sort(key=lambda line: line.gap.start, reverse=True)
    roster_gaps.sort(key=lambda line: line.gap.start)
    return CoverageView(
        period=period, zone=zone, hourly=hourly, columns=columns, rows=rows, gaps=gaps,
        roster_gaps=roster_gaps, report=report, filters=filters,
        facility_count=facility_count,
    )


def coverage_filter_choices(*, user: User) -> tuple[list[Operation], list[Region]]:
    """Operations the person may see, and the regions (and their parents) of their
    facilities."""
    operations = list(policy.scope(user, Operation.objects.order_by("-starts_on", "name")))
    visible = policy.scope(user, Facility.objects.all())
    regions = list(
        Region.objects.filter(
            Q(pk__in=visible.values("region_id")) | Q(pk__in=visible.values("region__parent_id"))
        ).order_by("path")
    )
    return operations, regions


@dataclass
class CellDetail:
    facility: Facility
    period: cov.Interval
    result: cov.FacilityCoverage
    post_names: dict[int, str]
    shifts: list[Shift]
    attendances: list[Attendance]


def coverage_cell_for(*, user: User, facility: Facility, period: cov.Interval,
                      now: datetime | None = None) -> CellDetail:
    """Who was rostered and who was present at a facility in one heatmap cell."""
    now = now or timezone.now()
    inputs = coverage_inputs(facilities=[facility], period=period, now=now)
    result = inputs.compute(now=now, include_hours=False).facility(facility.pk)
    shifts = list(
        policy.scope(user, Shift.objects.published().select_related("post", "person__agency"))
        .filter(post__facility=facility).overlapping(period.start, period.end)
        .select_related("attendance")
        .order_by("post__name", "start")
    )
    attendances = list(
        policy.scope(user, Attendance.objects.select_related("post", "person__agency", "shift"))
        .filter(post__facility=facility, checked_in_at__lt=period.end)
        .exclude(checked_out_at__lte=period.start)
        .filter(checked_in_at__gt=period.start - timedelta(hours=25))
        .order_by("post__name", "checked_in_at")
    )
    return CellDetail(facility, period, result, inputs.post_names, shifts, attendances)
