"""What the coverage computation takes (standards, shifts, presences, camera uptime, the
facilities) and what it gives back (hour cells, gaps, flags, per-post and per-facility results).

Measures (see ``HourCell``, ``Gap`` and ``FacilityCoverage`` for the exact definitions):

* *required* headcount at an instant: for a post, the strictest standard active then (largest
  ``min_personnel``, union of ``required_pillars``); for a facility, the sum over its posts
  (pillars: union).
* *rostered* / *present* headcount at an instant: number of DISTINCT people whose shift /
  check-in interval contains the instant. The same person on two overlapping shifts counts
  once; at facility level a person counts once even if rostered at two posts at once.
* an instant is *satisfied* when headcount >= required and every required pillar has at least
  one person of that pillar.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal, NamedTuple

from apps.duty.coverage.intervals import Interval, to_micros

DEFAULT_MISSING_CHECKOUT_GRACE = timedelta(hours=1)
DEFAULT_MISSING_CHECKOUT_CAP = timedelta(hours=12)

HourStatus = Literal["ok", "short", "no-standard", "future"]
GapKind = Literal["presence", "roster"]

NO_PILLARS: frozenset[str] = frozenset()


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Standard:
    """Required guarding of one post during a daily band of facility-local time.

    ``band_start == band_end`` means around the clock; ``band_start > band_end`` wraps midnight
    (18:00-06:00 runs from 18:00 of a day to 06:00 of the next). The standard applies to band
    instants within ``[valid_from, valid_until)`` (``None``: open-ended). When several standards
    of a post apply at once, the strictest wins: max ``min_personnel``, union of pillars.
    """

    post_id: Hashable
    valid_from: datetime
    valid_until: datetime | None
    band_start: time
    band_end: time
    min_personnel: int
    required_pillars: frozenset[str] = NO_PILLARS

    def __post_init__(self) -> None:
        vf = to_micros(self.valid_from, "Standard.valid_from")
        vu = self.valid_until
        if vu is not None and to_micros(vu, "Standard.valid_until") <= vf:
            raise ValueError("Standard.valid_until must be after valid_from")
        if self.band_start.tzinfo is not None or self.band_end.tzinfo is not None:
            raise ValueError("Standard bands are facility-local wall times: pass naive times")
        if self.min_personnel < 0:
            raise ValueError("Standard.min_personnel must be >= 0")
        if not isinstance(self.required_pillars, frozenset):
            # Callers naturally pass sets or tuples; freeze so the standard stays hashable.
            object.__setattr__(self, "required_pillars", frozenset(self.required_pillars))


@dataclass(frozen=True, slots=True)
class Shift:
    """A rostered (planned) assignment of one person to one post."""

    shift_id: Hashable
    post_id: Hashable
    person_id: Hashable
    pillar: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Presence:
    """An actual check-in at a post; ``check_out`` is None while open or when forgotten."""

    shift_id: Hashable | None
    post_id: Hashable
    person_id: Hashable
    pillar: str
    check_in: datetime
    check_out: datetime | None


@dataclass(frozen=True, slots=True)
class CameraUp:
    """An interval during which at least one camera of the facility was working."""

    facility_id: Hashable
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class FacilityInput:
    """A facility, its IANA time zone (e.g. ``Asia/Jakarta``) and its guard posts."""

    facility_id: Hashable
    tz: str
    post_ids: tuple[Hashable, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.post_ids, tuple):
            object.__setattr__(self, "post_ids", tuple(self.post_ids))


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


class HourCell(NamedTuple):
    """One facility-local hour (clipped to the report period).

    A NamedTuple rather than a dataclass: a month-long report for hundreds of facilities
    builds hundreds of thousands of these, and tuple construction is the cheapest.

    * ``required``: the largest required headcount at any instant of the hour.
    * ``rostered``: the smallest rostered headcount at any instant of the hour.
    * ``present``: the smallest present headcount at any instant of the observed part of the
      hour (the part before ``now``), i.e. the headcount guaranteed for that whole part;
      None for a future hour.
    * ``present_person_minutes``: person-minutes of presence in the observed part; someone
      present 20 minutes adds 20 (so ``present_person_minutes / 60`` is person-hours).
    * ``short_minutes``: minutes of the observed part that lie in a gap (standard not met).
    * ``pillar_mix``: ``(pillar, n)`` pairs sorted by pillar (``dict(cell.pillar_mix)`` for
      a mapping), n being the smallest present headcount of that pillar over the observed
      part. Pillars listed: those required in the hour plus any present at some point, so a
      required pillar nobody covered shows as 0. Pairs rather than a dict so that cells stay
      immutable and can share one value: a month of 300 facilities has 223k cells.
    * ``status``: ``future`` when no part is observed yet; ``no-standard`` when nothing is
      required in the observed part; ``short`` when ``short_minutes > 0``; else ``ok``.
    """

    start_utc: datetime
    end_utc: datetime
    local_label: str
    required: int
    rostered: int
    present: int | None
    present_person_minutes: float
    short_minutes: float
    pillar_mix: tuple[tuple[str, int], ...]
    status: HourStatus


@dataclass(frozen=True, slots=True)
class Gap:
    """A maximal stretch where the standard was not met; adjacent short segments are merged.

    ``kind`` is ``presence`` (actual presence vs standard, only up to ``now``) or ``roster``
    (the plan vs standard, whole period). Over the stretch: ``required`` is the maximum,
    ``present`` and ``rostered`` the minimum headcount (``present`` is None for roster gaps),
    ``shortfall`` the largest headcount deficit (0 when only pillars were missing), and
    ``missing_pillars`` every required pillar that lacked a person at some instant.
    ``post_id`` is None for facility-level gaps.
    """

    kind: GapKind
    post_id: Hashable | None
    start: datetime
    end: datetime
    required: int
    present: int | None
    rostered: int
    shortfall: int
    missing_pillars: frozenset[str]

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def minutes(self) -> float:
        return (self.end - self.start) / timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Flag:
    """A data-quality finding the commander should see next to the numbers.

    Kinds: ``missing-checkout`` (presence capped at ``end``), ``invalid-presence`` (check-out
    before check-in, or check-in after ``now``: ignored), ``invalid-shift`` (end not after
    start: ignored), ``double-booked`` (one person rostered at two posts of a facility at once:
    counted once at facility level), ``pillar-conflict`` (one person with different pillars).
    """

    kind: str
    facility_id: Hashable | None
    post_id: Hashable | None
    person_id: Hashable | None
    shift_id: Hashable | None
    start: datetime | None
    end: datetime | None
    detail: str


@dataclass(frozen=True, slots=True)
class PostCoverage:
    """Per-post results; ``hours`` only when ``compute_coverage(post_hours=True)``."""

    post_id: Hashable
    gaps: tuple[Gap, ...]
    roster_gaps: tuple[Gap, ...]
    coverage_pct: float | None
    rostered_pct: float | None
    staffing_pct: float | None
    hours: tuple[HourCell, ...] | None


@dataclass(frozen=True, slots=True)
class FacilityCoverage:
    """Facility-level results (requirement = sum over posts) plus per-post breakdown.

    * ``coverage_pct``: share of required time in the observed window (period start up to
      ``now``) during which the facility was satisfied (headcount and pillar mix); None when
      nothing was required there.
    * ``rostered_pct``: the same for the roster, over the whole period (the plan covers the
      future too).
    * ``staffing_pct``: person-time share, sum(min(present, required)) / sum(required) over the
      observed window: partial credit where ``coverage_pct`` gives none (1 of 2 guards = 50 %).
    * ``required_minutes`` / ``short_minutes``: observed time with a requirement / in a gap.
    * ``hours``: facility-local hour cells, None with ``compute_coverage(include_hours=False)``.
    * ``unobserved``: observed time in which present headcount < required headcount and, when
      camera data was given, no camera was up. Pillar mix is ignored here: a wrong mix is a
      compliance problem, not an unwatched facility. Without camera data this is just the
      headcount shortfall time and ``camera_data_used`` is False.
    """

    facility_id: Hashable
    tz: str
    hours: tuple[HourCell, ...] | None
    gaps: tuple[Gap, ...]
    roster_gaps: tuple[Gap, ...]
    coverage_pct: float | None
    rostered_pct: float | None
    staffing_pct: float | None
    required_minutes: float
    short_minutes: float
    unobserved: tuple[Interval, ...]
    camera_data_used: bool
    posts: tuple[PostCoverage, ...]
    flags: tuple[Flag, ...]

    @property
    def unobserved_minutes(self) -> float:
        return sum((i.duration for i in self.unobserved), timedelta()) / timedelta(minutes=1)

    def post(self, post_id: Hashable) -> PostCoverage:
        for p in self.posts:
            if p.post_id == post_id:
                return p
        raise KeyError(post_id)


@dataclass(frozen=True, slots=True)
class CoverageReport:
    """All facilities of one computation; ``observed_until = clamp(now, period)``."""

    period: Interval
    now: datetime
    observed_until: datetime
    camera_data_used: bool
    facilities: tuple[FacilityCoverage, ...]
    flags: tuple[Flag, ...]

    def facility(self, facility_id: Hashable) -> FacilityCoverage:
        for f in self.facilities:
            if f.facility_id == facility_id:
                return f
        raise KeyError(facility_id)

