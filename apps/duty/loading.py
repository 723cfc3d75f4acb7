"""Load what the coverage arithmetic needs, for many facilities over a period, set-based.

`coverage_inputs` runs a fixed number of queries (ten) whatever the number of facilities,
days, shifts or check-ins, and turns the rows into the plain inputs of `apps.duty.coverage`.
Rows are read with `values_list`: a month of 300 facilities is ~30,000 shifts and as many
check-ins, and model instances would cost more than the arithmetic.

Rules applied here (the pure module knows nothing of operations or cameras):
- A facility's main post carries each covering operation's standard (`min_guards` around the
  clock, from the operation's first day to the end of its last, in the facility's zone),
  except while the post has standards of its own: those replace the default for the time
  they are valid.
- Only published shifts with a person count as rostered.
- A facility is watched by cameras while at least one of its cameras is online or degraded
  (from the cameras' state-change record); a camera with no record yet counts as down, and
  so does a disabled camera or one with an open tamper alert (apps.cameras.uptime).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import OuterRef, Q, Subquery

from apps.cameras.models import Camera, CameraHealth, CameraStateChange
from apps.cameras.uptime import tamper_intervals, without
from apps.core.db import InList, timestamp_reader
from apps.duty import coverage as cov
from apps.duty.models import MAX_SHIFT, Attendance, CoverageStandard, GuardPost, Shift
from apps.places.models import Facility, Operation

CAMERA_UP_STATES = frozenset({CameraHealth.State.ONLINE, CameraHealth.State.DEGRADED})
_MIDNIGHT = time(0)


@dataclass
class CoverageInputs:
    """The pure module's inputs plus the names the pages need to label them."""

    period: cov.Interval
    facilities: list[cov.FacilityInput]
    standards: list[cov.Standard]
    shifts: list[cov.Shift]
    presences: list[cov.Presence]
    camera_up: list[cov.CameraUp] | None  # None: cameras left out (`with_cameras`)
    post_names: dict[int, str] = field(default_factory=dict)
    facilities_without_posts: set[int] = field(default_factory=set)

    def compute(self, *, now: datetime, include_hours: bool = True,
                post_hours: bool = False, summary_only: bool = False) -> cov.CoverageReport:
        return cov.compute_coverage(
            self.facilities, self.standards, self.shifts, self.presences, self.period, now,
            self.camera_up, include_hours=include_hours, post_hours=post_hours,
            summary_only=summary_only,
        )


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, _MIDNIGHT, tzinfo=zone)


def coverage_inputs(
    *, facilities: Sequence[Facility], period: cov.Interval, now: datetime,
    include_drafts: bool = False, with_cameras: bool = True,
) -> CoverageInputs:
    """Inputs for `facilities` (with `region` loaded) over `period`. `include_drafts` counts
    unpublished shifts as rostered too (the Padal's view of a roster being planned).
    Without `with_cameras` the cameras are not read (four queries, a city's thousand
    cameras): for a reader of `coverage_pct` alone, which cameras do not change."""
    lo, hi = period.start, period.end
    zones = {f.pk: f.region.timezone for f in facilities}
    facility_ids = list(zones)

    # 1. Posts.
    posts = list(
        GuardPost.objects.filter(InList("facility_id", facility_ids))
        .order_by("facility_id", "-is_main", "name")
        .values_list("id", "facility_id", "is_main", "name")
    )
    post_ids_by_facility: dict[int, list[int]] = defaultdict(list)
    main_post: dict[int, int] = {}
    post_names: dict[int, str] = {}
    for post_id, facility_id, is_main, name in posts:
        post_ids_by_facility[facility_id].append(post_id)
        post_names[post_id] = name
        if is_main:
            main_post[facility_id] = post_id
    post_ids = list(post_names)

    # 2. The posts' own standards that touch the period.
    standards: list[cov.Standard] = []
    own_windows: dict[int, list[cov.Interval]] = defaultdict(list)
    rows = (
        CoverageStandard.objects.filter(InList("post_id", post_ids), valid_from__lt=hi)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=lo))
        .values_list("post_id", "valid_from", "valid_until", "band_start", "band_end",
                     "min_personnel", "required_pillars")
    )
    for post_id, valid_from, valid_until, band_start, band_end, n, pillars in rows:
        standards.append(cov.Standard(post_id, valid_from, valid_until, band_start, band_end,
                                      n, frozenset(pillars or ())))
        own_windows[post_id].append(cov.Interval(valid_from, valid_until or max(hi, valid_from)))

    # 3. Operations covering the facilities in the period: their default standard.
    day_lo, day_hi = lo.date() - timedelta(days=1), hi.date() + timedelta(days=1)
    ops = Operation.facilities.through.objects.filter(
        InList("facility_id", facility_ids), operation__starts_on__lte=day_hi,
        operation__ends_on__gte=day_lo,
    ).values_list("facility_id", "operation__min_guards", "operation__starts_on",
                  "operation__ends_on")
    for facility_id, min_guards, starts_on, ends_on in ops:
        post_id = main_post.get(facility_id)
        if post_id is None or not min_guards:
            continue
        zone = ZoneInfo(zones[facility_id])
        span = cov.Interval(_local_midnight(starts_on, zone),
                            _local_midnight(ends_on + timedelta(days=1), zone))
        for piece in cov.subtract_intervals([span], own_windows.get(post_id, [])):
            standards.append(cov.Standard(post_id, piece.start, piece.end, _MIDNIGHT, _MIDNIGHT,
                                          min_guards))

    # 4. Published shifts with a person. None is longer than MAX_SHIFT (the roster services
    # refuse it), so one ending in the period started at most that long before it: the
    # bound lets the (start, end) index read the period instead of every post's history.
    column, instant = timestamp_reader()
    rostered = Shift.objects.filter(
        InList("post_id", post_ids), person_id__isnull=False, start__lt=hi, end__gt=lo,
        start__gt=lo - MAX_SHIFT,
    )
    if not include_drafts:
        rostered = rostered.filter(published_at__isnull=False)
    shifts = [
        cov.Shift(shift_id, post_id, person_id, pillar, instant(start), instant(end))
        for shift_id, post_id, person_id, pillar, start, end in rostered.values_list(
            "id", "post_id", "person_id", "pillar", column("start"), column("end")
        ).order_by()
    ]

    # 5. Check-ins. An open one (no check-out) may have started up to a shift plus its grace
    # before the period. Closed and open ones are read apart, each through its own index
    # (check-out time, check-in time): one OR of the two made PostgreSQL read every post's
    # whole attendance history.
    reach = lo - MAX_SHIFT - cov.DEFAULT_MISSING_CHECKOUT_GRACE
    fields = ("shift_id", "post_id", "person_id", "pillar", column("checked_in_at"),
              column("checked_out_at"))
    at_posts = Attendance.objects.filter(InList("post_id", post_ids), checked_in_at__lt=hi)
    closed = at_posts.filter(checked_out_at__gt=lo).values_list(*fields).order_by()
    still_open = at_posts.filter(checked_out_at__isnull=True, checked_in_at__gt=reach
                                 ).values_list(*fields).order_by()
    presences: list[cov.Presence] = []
    known = {s.shift_id for s in shifts}
    unknown: dict[int, cov.Presence] = {}
    for shift_id, post_id, person_id, pillar, check_in, check_out in closed.union(
            still_open, all=True):
        presence = cov.Presence(shift_id, post_id, person_id, pillar, instant(check_in),
                                instant(check_out))
        presences.append(presence)
        if shift_id not in known:
            unknown[shift_id] = presence
    # Their shifts outside the period (or unpublished since): clipped away as roster
    # entries, but a shift's end still caps a forgotten check-out.
    planned = {
        shift_id: (person_id, instant(start), instant(end))
        for shift_id, person_id, start, end in Shift.objects.filter(InList("pk", unknown))
        .values_list("id", "person_id", column("start"), column("end")).order_by()
    }
    for shift_id, presence in unknown.items():
        s_person, s_start, s_end = planned[shift_id]
        shifts.append(cov.Shift(shift_id, presence.post_id, s_person or presence.person_id,
                                presence.pillar, s_start, s_end))

    # 6–7. Cameras: the state each was in when the period began, then its changes.
    camera_up = _camera_up(facility_ids, lo, min(max(now, lo), hi)) if with_cameras else None

    return CoverageInputs(
        period=period,
        facilities=[
            cov.FacilityInput(f.pk, zones[f.pk], tuple(post_ids_by_facility.get(f.pk, ())))
            for f in facilities
        ],
        standards=standards,
        shifts=shifts,
        presences=presences,
        camera_up=camera_up,
        post_names=post_names,
        facilities_without_posts={f.pk for f in facilities if f.pk not in post_ids_by_facility},
    )


def _camera_up(facility_ids: list[int], lo: datetime, until: datetime) -> list[cov.CameraUp]:
    before = CameraStateChange.objects.filter(camera=OuterRef("pk"), at__lt=lo).order_by(
        "-at", "-pk"
    )
    # A disabled camera watches nothing (and records no state change when it stops).
    cameras = list(
        Camera.objects.filter(InList("facility_id", facility_ids), enabled=True)
        .annotate(state_at_start=Subquery(before.values("state")[:1]))
        .values_list("id", "facility_id", "state_at_start")
        .order_by()
    )
    if not cameras or until <= lo:
        return []
    changes: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for camera_id, state, at in (
        CameraStateChange.objects.filter(InList("camera_id", [c[0] for c in cameras]), at__gte=lo,
                                         at__lt=until)
        .order_by("camera_id", "at", "pk")
        .values_list("camera_id", "state", "at")
    ):
        changes[camera_id].append((at, state))
    # A covered, blurred or turned camera delivers frames but watches nothing.
    tampered = tamper_intervals([c[0] for c in cameras], lo, until)
    out: list[cov.CameraUp] = []
    for camera_id, facility_id, state in cameras:
        up: list[tuple[datetime, datetime]] = []
        up_since = lo if state in CAMERA_UP_STATES else None
        for at, new_state in changes.get(camera_id, ()):
            if new_state in CAMERA_UP_STATES:
                if up_since is None:
                    up_since = at
            elif up_since is not None:
                if at > up_since:
                    up.append((up_since, at))
                up_since = None
        if up_since is not None and until > up_since:
            up.append((up_since, until))
        out.extend(cov.CameraUp(facility_id, start, end)
                   for start, end in without(up, tampered.get(camera_id, [])))
    return out
