"""Guard coverage arithmetic for "Penjagaan 1x24 jam" (pure Python, no Django).

Answers, for a set of facilities over a period: how many guards were required, rostered and
actually present, hour by hour in each facility's local time; where and how long the standard
was not met; and when a facility was neither guarded well enough nor watched by a camera.

Everything works on half-open intervals ``[start, end)``. Inputs must be timezone-aware; all
results are in UTC. Internally instants are integer microseconds since the Unix epoch, because
datetime arithmetic is several times slower and the Django report runs this for hundreds of
facilities at once.

Measures (see ``HourCell``, ``Gap`` and ``FacilityCoverage`` for the exact definitions):

* *required* headcount at an instant: for a post, the strictest standard active then (largest
  ``min_personnel``, union of ``required_pillars``); for a facility, the sum over its posts
  (pillars: union).
* *rostered* / *present* headcount at an instant: number of DISTINCT people whose shift /
  check-in interval contains the instant. The same person on two overlapping shifts counts
  once; at facility level a person counts once even if rostered at two posts at once.
* an instant is *satisfied* when headcount >= required and every required pillar has at least
  one person of that pillar.
* presence without check-out ends at ``min(now, cap)`` where cap is the planned shift end plus
  ``missing_checkout_grace`` (or check-in plus ``missing_checkout_cap`` when the shift is
  unknown); if the cap was what ended it, a ``missing-checkout`` flag is raised. Presence is
  never counted beyond ``now``.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from operator import itemgetter
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

__all__ = [
    "DEFAULT_MISSING_CHECKOUT_CAP",
    "DEFAULT_MISSING_CHECKOUT_GRACE",
    "CameraUp",
    "CoverageReport",
    "FacilityCoverage",
    "FacilityInput",
    "Flag",
    "Gap",
    "HourCell",
    "HourStatus",
    "Interval",
    "PostCoverage",
    "Presence",
    "Shift",
    "Standard",
    "compute_coverage",
    "intersect_intervals",
    "merge_intervals",
    "subtract_intervals",
    "total_duration",
]

DEFAULT_MISSING_CHECKOUT_GRACE = timedelta(hours=1)
DEFAULT_MISSING_CHECKOUT_CAP = timedelta(hours=12)

HourStatus = Literal["ok", "short", "no-standard", "future"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)
_US_PER_MINUTE = 60_000_000
_US_PER_HOUR = 3_600_000_000
_EMPTY: frozenset[str] = frozenset()
_first = itemgetter(0)


def _us(dt: datetime, what: str = "datetime") -> int:
    try:
        return (dt - _EPOCH) // _MICRO
    except TypeError:
        # Subtracting a naive datetime from an aware one is the cheapest awareness check.
        raise ValueError(f"{what} must be timezone-aware, got {dt!r}") from None


def _dt(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


# --------------------------------------------------------------------------------------------
# Intervals
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class Interval:
    """Half-open time interval ``[start, end)`` between timezone-aware datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if _us(self.end, "Interval.end") < _us(self.start, "Interval.start"):
            raise ValueError(f"Interval end {self.end} is before start {self.start}")

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def is_empty(self) -> bool:
        return self.end == self.start

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant < self.end

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def intersection(self, other: Interval) -> Interval | None:
        """The common part, or None when the intervals share no instant."""
        start = max(self.start, other.start)
        end = min(self.end, other.end)
        return Interval(start, end) if start < end else None

    def clip(self, bounds: Interval) -> Interval | None:
        return self.intersection(bounds)


def _merge_us(pairs: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(p for p in pairs if p[0] < p[1]):
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _subtract_us(
    base: list[tuple[int, int]], remove: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """``base`` minus ``remove``; both must be merged (sorted, disjoint)."""
    out: list[tuple[int, int]] = []
    j = 0
    for s, e in base:
        while j < len(remove) and remove[j][1] <= s:
            j += 1
        k = j
        cur = s
        while k < len(remove) and remove[k][0] < e:
            rs, re_ = remove[k]
            if rs > cur:
                out.append((cur, rs))
            cur = max(cur, re_)
            k += 1
        if cur < e:
            out.append((cur, e))
    return out


def _to_intervals(pairs: Iterable[tuple[int, int]]) -> list[Interval]:
    return [Interval(_dt(s), _dt(e)) for s, e in pairs]


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Union: sorted, disjoint, non-touching intervals (touching ones are joined), in UTC."""
    return _to_intervals(_merge_us((_us(i.start), _us(i.end)) for i in intervals))


def subtract_intervals(base: Iterable[Interval], remove: Iterable[Interval]) -> list[Interval]:
    """Instants in ``base`` and not in ``remove``, merged, in UTC."""
    b = _merge_us((_us(i.start), _us(i.end)) for i in base)
    r = _merge_us((_us(i.start), _us(i.end)) for i in remove)
    return _to_intervals(_subtract_us(b, r))


def intersect_intervals(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    """Instants in both ``a`` and ``b``, merged, in UTC."""
    ma = _merge_us((_us(i.start), _us(i.end)) for i in a)
    mb = _merge_us((_us(i.start), _us(i.end)) for i in b)
    # A ∩ B = A − (A − B): reuses the one tested primitive.
    return _to_intervals(_subtract_us(ma, _subtract_us(ma, mb)))


def total_duration(intervals: Iterable[Interval]) -> timedelta:
    """Length of the union (overlaps counted once)."""
    return timedelta(
        microseconds=sum(e - s for s, e in _merge_us((_us(i.start), _us(i.end)) for i in intervals))
    )


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
    required_pillars: frozenset[str] = _EMPTY

    def __post_init__(self) -> None:
        vf = _us(self.valid_from, "Standard.valid_from")
        if self.valid_until is not None and _us(self.valid_until, "Standard.valid_until") <= vf:
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

    kind: Literal["presence", "roster"]
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


# --------------------------------------------------------------------------------------------
# Local-time calendars
# --------------------------------------------------------------------------------------------


class _Calendar:
    """Per-time-zone caches: hour buckets and band occurrences for the report period.

    Facilities in one report share a handful of zones and bands, so computing these once per
    zone keeps zoneinfo conversions out of the per-facility loop.
    """

    def __init__(self, tz: str, lo_dt: datetime, hi_dt: datetime) -> None:
        self.zone = ZoneInfo(tz)
        self.lo_dt, self.hi_dt = lo_dt, hi_dt
        self.lo, self.hi = _us(lo_dt), _us(hi_dt)
        self._bands: dict[tuple[time, time], list[tuple[int, int]]] = {}
        self._buckets: list[tuple[int, int, str, datetime, datetime]] | None = None

    def buckets(self) -> list[tuple[int, int, str, datetime, datetime]]:
        """Local-hour buckets clipped to the period: (start, end, label, start_dt, end_dt).

        Boundaries are the instants where the local wall clock shows HH:00. Stepping one UTC
        hour and flooring the local time handles DST (23/25-hour days) and half-hour offset
        changes without assuming anything about the zone.
        """
        if self._buckets is not None:
            return self._buckets
        zone, lo, hi = self.zone, self.lo, self.hi
        out: list[tuple[int, int, str, datetime, datetime]] = []
        if lo < hi:
            local = self.lo_dt.astimezone(zone)
            b = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
            b = min(b, self.lo_dt)
            while _us(b) < hi:
                cand = b + _HOUR
                floor = cand.astimezone(zone).replace(minute=0, second=0, microsecond=0)
                nxt = floor.astimezone(UTC)
                if not b < nxt <= cand:
                    nxt = cand
                loc_b = b.astimezone(zone)
                label = loc_b.strftime("%Y-%m-%d %H:%M ") + (loc_b.tzname() or "")
                bs, be = max(_us(b), lo), min(_us(nxt), hi)
                if bs < be:
                    out.append((bs, be, label, _dt(bs), _dt(be)))
                b = nxt
        self._buckets = out
        return out

    def band(self, start: time, end: time) -> list[tuple[int, int]]:
        """Occurrences of a daily local band within the period, merged."""
        key = (start, end)
        cached = self._bands.get(key)
        if cached is not None:
            return cached
        zone, lo, hi = self.zone, self.lo, self.hi
        day: date = self.lo_dt.astimezone(zone).date() - _DAY  # a wrapping band from yesterday
        last = self.hi_dt.astimezone(zone).date()
        pairs: list[tuple[int, int]] = []
        while day <= last:
            end_day = day if start < end else day + _DAY  # equal: 24 h; greater: wraps midnight
            s = max(_us(datetime.combine(day, start, tzinfo=zone)), lo)
            e = min(_us(datetime.combine(end_day, end, tzinfo=zone)), hi)
            if s < e:
                pairs.append((s, e))
            day += _DAY
        merged = _merge_us(pairs)
        self._bands[key] = merged
        return merged


# --------------------------------------------------------------------------------------------
# Core sweep
# --------------------------------------------------------------------------------------------

# Requirement pieces: (start, end, min_personnel, required_pillars).
_Req = tuple[int, int, int, frozenset[str]]
# Person records before merging: (person_id, start, end, pillar, post_id, shift_id).
_Rec = tuple[Hashable, int, int, str, Hashable, Hashable]


def _post_requirements(stds: list[Standard], cal: _Calendar) -> list[_Req]:
    """Non-overlapping requirement pieces of one post (strictest standard wins on overlap)."""
    occ: list[_Req] = []
    for st in stds:
        if st.min_personnel == 0 and not st.required_pillars:
            continue
        a = max(cal.lo, _us(st.valid_from))
        b = cal.hi if st.valid_until is None else min(cal.hi, _us(st.valid_until))
        if a >= b:
            continue
        n, pills = st.min_personnel, st.required_pillars
        for s, e in cal.band(st.band_start, st.band_end):
            s2, e2 = max(s, a), min(e, b)
            if s2 < e2:
                occ.append((s2, e2, n, pills))
    if len(occ) <= 1:
        return occ
    occ.sort(key=_first)
    if all(occ[i][1] <= occ[i + 1][0] for i in range(len(occ) - 1)):
        return occ
    # Overlapping standards: resolve elementary pieces. Few standards per post, so the active
    # set stays tiny and recomputing max/union per boundary is cheap.
    events = sorted(
        [(s, 1, i) for i, (s, _e, _n, _p) in enumerate(occ)]
        + [(e, -1, i) for i, (_s, e, _n, _p) in enumerate(occ)],
        key=_first,
    )
    active: set[int] = set()
    out: list[_Req] = []
    k = 0
    while k < len(events):
        t = events[k][0]
        while k < len(events) and events[k][0] == t:
            _, sign, idx = events[k]
            if sign > 0:
                active.add(idx)
            else:
                active.discard(idx)
            k += 1
        if not active or k >= len(events):
            continue
        nxt = events[k][0]
        n = max(occ[i][2] for i in active)
        pills = frozenset().union(*(occ[i][3] for i in active))
        if out and out[-1][1] == t and out[-1][2] == n and out[-1][3] == pills:
            out[-1] = (out[-1][0], nxt, n, pills)
        else:
            out.append((t, nxt, n, pills))
    return out


def _merge_people(
    recs: list[_Rec], facility_id: Hashable, flags: list[Flag] | None
) -> list[tuple[int, int, str]]:
    """Per person, union of their intervals: a person is one head however many records.

    An overlapping chain keeps the pillar of its earliest record. With ``flags`` given,
    reports people booked at two different posts at the same instant and pillar conflicts.
    """
    by_person: dict[Hashable, list[_Rec]] = {}
    for r in recs:
        by_person.setdefault(r[0], []).append(r)
    out: list[tuple[int, int, str]] = []
    for person, items in by_person.items():
        if len(items) == 1:
            r = items[0]
            out.append((r[1], r[2], r[3]))
            continue
        items.sort(key=lambda r: (r[1], r[2]))
        first = items[0]
        cs, ce, cp = first[1], first[2], first[3]
        post_end = {first[4]: first[2]}  # per post, latest end within the current chain
        conflict = False
        for r in items[1:]:
            _, s, e, pillar, post, shift_id = r
            if pillar != first[3]:
                conflict = True
            if s <= ce:
                if flags is not None and any(p != post and pe > s for p, pe in post_end.items()):
                    flags.append(
                        Flag(
                            "double-booked",
                            facility_id,
                            post,
                            person,
                            shift_id,
                            _dt(s),
                            _dt(min(e, ce)),
                            "rostered at another post at the same time",
                        )
                    )
                ce = max(ce, e)
                post_end[post] = max(post_end.get(post, e), e)
            else:
                out.append((cs, ce, cp))
                cs, ce, cp = s, e, pillar
                post_end = {post: e}
        out.append((cs, ce, cp))
        if conflict and flags is not None:
            pillars = sorted({r[3] for r in items})
            flags.append(
                Flag(
                    "pillar-conflict",
                    facility_id,
                    None,
                    person,
                    None,
                    None,
                    None,
                    f"records with pillars {pillars}; overlapping records use the earliest",
                )
            )
    return out


class _State(NamedTuple):
    """Everything derived from the counts in force during a segment.

    Interned per timeline: a month of one facility has hundreds of segments but only a few
    dozen distinct states, so the pillar and status arithmetic runs once per state.
    """

    req: int
    rost: int
    pres: int
    mix: tuple[tuple[str, int], ...]  # present per pillar, required pillars included at 0
    mix_d: dict[str, int]  # the same as a dict, for the per-hour minimum (never handed out)
    active: bool  # something is required
    short_p: bool  # presence does not meet the requirement
    short_r: bool  # roster does not meet the requirement
    head_short: bool  # fewer people present than required (pillars ignored)
    miss_p: frozenset[str]  # required pillars nobody present covers
    miss_r: frozenset[str]  # required pillars nobody rostered covers


def _make_state(
    req: int,
    reqp: frozenset[str],
    rost: int,
    pres: int,
    present_pillars: tuple[tuple[str, int], ...],
    rostered_pillars: frozenset[str],
) -> _State:
    mix = dict(present_pillars)
    for p in reqp:
        mix.setdefault(p, 0)
    miss_p = frozenset(p for p in reqp if not mix[p])
    miss_r = reqp - rostered_pillars
    active = req > 0 or bool(reqp)
    return _State(
        req,
        rost,
        pres,
        tuple(sorted(mix.items())),
        mix,
        active,
        active and (pres < req or bool(miss_p)),
        active and (rost < req or bool(miss_r)),
        pres < req,
        miss_p,
        miss_r,
    )


class _Timeline:
    """Piecewise-constant state over [lo, hi): segment i is [t[i], t[i+1]) in state st[i].

    Built by one sweep over sorted boundary events, so cost is O(n log n) in the number of
    shifts, presences and requirement pieces. ``obs`` (observed-until) is always a boundary,
    so every segment lies wholly before or wholly after it; segments [0, n_obs) are observed.
    """

    __slots__ = ("n_obs", "obs", "st", "t")

    def __init__(
        self,
        reqs: Iterable[_Req],
        roster: list[tuple[int, int, str]],
        present: list[tuple[int, int, str]],
        lo: int,
        hi: int,
        obs: int,
    ) -> None:
        # Events: (time, kind, +1/-1, payload); kind 0 requirement, 1 roster, 2 presence, 3 marker.
        ev: list[tuple[int, int, int, Any]] = [(lo, 3, 0, None), (hi, 3, 0, None)]
        if lo < obs < hi:
            ev.append((obs, 3, 0, None))
        for s, e, n, pills in reqs:
            ev.append((s, 0, 1, (n, pills)))
            ev.append((e, 0, -1, (n, pills)))
        for s, e, pillar in roster:
            ev.append((s, 1, 1, pillar))
            ev.append((e, 1, -1, pillar))
        for s, e, pillar in present:
            ev.append((s, 2, 1, pillar))
            ev.append((e, 2, -1, pillar))
        ev.sort(key=_first)

        t: list[int] = []
        st: list[_State] = []
        states: dict[tuple[object, ...], _State] = {}
        req = rost = pres = 0
        reqc: dict[str, int] = {}
        rostc: dict[str, int] = {}
        presc: dict[str, int] = {}
        reqp: frozenset[str] = _EMPTY
        pkey: tuple[tuple[str, int], ...] = ()
        rkey: frozenset[str] = _EMPTY
        dirty_q = dirty_r = dirty_p = False
        i, n_ev = 0, len(ev)
        while True:
            at = ev[i][0]
            while i < n_ev and ev[i][0] == at:
                _, kind, sign, payload = ev[i]
                if kind == 2:
                    pres += sign
                    presc[payload] = presc.get(payload, 0) + sign
                    dirty_p = True
                elif kind == 1:
                    rost += sign
                    rostc[payload] = rostc.get(payload, 0) + sign
                    dirty_r = True
                elif kind == 0:
                    cnt, pills = payload
                    req += sign * cnt
                    for p in pills:
                        reqc[p] = reqc.get(p, 0) + sign
                    dirty_q = True
                i += 1
            if i >= n_ev:
                break  # ``at`` is hi: no segment starts there
            if dirty_q:
                reqp = frozenset(p for p, c in reqc.items() if c > 0)
            if dirty_p:
                # presc never loses keys, so its order is stable and equal states get equal keys.
                pkey = tuple((p, c) for p, c in presc.items() if c > 0)
            if (dirty_q or dirty_r) and (reqp or rkey):
                rkey = frozenset(p for p in reqp if rostc.get(p, 0) > 0)
            dirty_q = dirty_r = dirty_p = False
            key = (req, reqp, rost, pres, pkey, rkey)
            state = states.get(key)
            if state is None:
                state = states[key] = _make_state(req, reqp, rost, pres, pkey, rkey)
            t.append(at)
            st.append(state)
        t.append(hi)
        self.t, self.st, self.obs = t, st, obs
        self.n_obs = bisect_left(t, obs, 0, len(st))

    def gaps(self, kind: Literal["presence", "roster"], post_id: Hashable | None) -> list[Gap]:
        t, st = self.t, self.st
        presence = kind == "presence"
        n = self.n_obs if presence else len(st)
        short = [s.short_p for s in st[:n]] if presence else [s.short_r for s in st]
        out: list[Gap] = []
        i = 0
        while True:
            try:
                i = short.index(True, i)  # C-speed skip over the (usual) satisfied stretch
            except ValueError:
                return out
            start = i
            while i < n and short[i]:
                i += 1
            req_max = shortfall = 0
            have_min = rost_min = 1 << 62
            missing: frozenset[str] = _EMPTY
            for s in st[start:i]:  # one pass: gaps are many in a badly guarded month
                have = s.pres if presence else s.rost
                req_max = max(req_max, s.req)
                have_min = min(have_min, have)
                rost_min = min(rost_min, s.rost)
                shortfall = max(shortfall, s.req - have)
                miss = s.miss_p if presence else s.miss_r
                if miss:
                    missing = missing | miss
            out.append(
                Gap(
                    kind,
                    post_id,
                    _dt(t[start]),
                    _dt(t[i]),
                    req_max,
                    have_min if presence else None,
                    rost_min,
                    shortfall,
                    missing,
                )
            )

    def totals(self) -> tuple[int, int, int, int, int, int]:
        """(required time, satisfied time, required person-time, credited person-time) in the
        observed window, then (required time, satisfied time) of the roster, whole period."""
        t, n_obs = self.t, self.n_obs
        req_t = ok_t = req_pt = cred_pt = r_req_t = r_ok_t = 0
        for i, s in enumerate(self.st):
            if not s.active:
                continue
            d = t[i + 1] - t[i]
            r_req_t += d
            if not s.short_r:
                r_ok_t += d
            if i < n_obs:
                req_t += d
                if not s.short_p:
                    ok_t += d
                req_pt += s.req * d
                cred_pt += min(s.req, s.pres) * d
        return req_t, ok_t, req_pt, cred_pt, r_req_t, r_ok_t

    def head_short_intervals(self) -> list[tuple[int, int]]:
        t, st = self.t, self.st
        return _merge_us((t[i], t[i + 1]) for i in range(self.n_obs) if st[i].head_short)

    def hours(self, buckets: list[tuple[int, int, str, datetime, datetime]]) -> list[HourCell]:
        t, st, obs = self.t, self.st, self.obs
        nseg = len(st)
        if not nseg or not buckets:
            return []  # empty period
        new = tuple.__new__  # skips NamedTuple's Python-level __new__: 223k cells per month
        out: list[HourCell] = []
        append = out.append
        j = 0
        tj1 = t[1]
        tail: tuple[object, ...] | None = None  # cell values of a full observed hour in st[j]
        for bs, be, label, bs_dt, be_dt in buckets:
            if tj1 <= bs:
                j += 1
                while t[j + 1] <= bs:
                    j += 1
                tj1 = t[j + 1]
                tail = None
            if tj1 >= be:
                # Fast path: one segment spans the bucket (most hours in practice).
                s = st[j]
                if bs >= obs:
                    append(
                        new(
                            HourCell,
                            (bs_dt, be_dt, label, s.req, s.rost, None, 0.0, 0.0, (), "future"),
                        )
                    )
                    continue
                if be - bs == _US_PER_HOUR and tail is not None:
                    append(new(HourCell, (bs_dt, be_dt, label, *tail)))
                    continue
                minutes = (be - bs) / _US_PER_MINUTE
                status = "short" if s.short_p else ("ok" if s.active else "no-standard")
                cell_tail = (
                    s.req,
                    s.rost,
                    s.pres,
                    s.pres * minutes,
                    minutes if s.short_p else 0.0,
                    s.mix,
                    status,
                )
                if be - bs == _US_PER_HOUR:
                    tail = cell_tail
                append(new(HourCell, (bs_dt, be_dt, label, *cell_tail)))
                continue
            req_max = 0
            rost_min = pres_min = 1 << 62
            person_us = short_us = 0
            any_obs = any_active = False
            pmix: dict[str, int] | None = None
            last_mix: dict[str, int] | None = None
            k = j
            while k < nseg and t[k] < be:
                s = st[k]
                req_max = max(req_max, s.req)
                rost_min = min(rost_min, s.rost)
                if t[k] < obs:
                    d = min(be, t[k + 1]) - max(bs, t[k])
                    any_obs = True
                    pres_min = min(pres_min, s.pres)
                    person_us += s.pres * d
                    if s.short_p:
                        short_us += d
                    any_active = any_active or s.active
                    m = s.mix_d
                    if pmix is None:
                        pmix = dict(m)
                    elif m is not last_mix:  # interned states: equal mixes are the same object
                        # Minimum per pillar: a pillar missing from a segment had 0 there.
                        for p, c in pmix.items():
                            if c:
                                pmix[p] = min(c, m.get(p, 0))
                        for p in m:
                            pmix.setdefault(p, 0)
                    last_mix = m
                k += 1
            if not any_obs:
                append(
                    new(
                        HourCell,
                        (bs_dt, be_dt, label, req_max, rost_min, None, 0.0, 0.0, (), "future"),
                    )
                )
                continue
            status = "short" if short_us else ("ok" if any_active else "no-standard")
            append(
                new(
                    HourCell,
                    (
                        bs_dt,
                        be_dt,
                        label,
                        req_max,
                        rost_min,
                        pres_min,
                        person_us / _US_PER_MINUTE,
                        short_us / _US_PER_MINUTE,
                        tuple(sorted((pmix or {}).items())),
                        status,
                    ),
                )
            )
        return out


def _with_post(g: Gap, post_id: Hashable) -> Gap:
    # Direct construction: dataclasses.replace is several times slower, and a month of a
    # badly guarded facility can have thousands of gaps.
    return Gap(
        g.kind,
        post_id,
        g.start,
        g.end,
        g.required,
        g.present,
        g.rostered,
        g.shortfall,
        g.missing_pillars,
    )


def _pct(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def compute_coverage(
    facilities: Sequence[FacilityInput],
    standards: Iterable[Standard],
    shifts: Iterable[Shift],
    presences: Iterable[Presence],
    period: Interval,
    now: datetime,
    camera_up: Iterable[CameraUp] | None = None,
    *,
    missing_checkout_grace: timedelta = DEFAULT_MISSING_CHECKOUT_GRACE,
    missing_checkout_cap: timedelta = DEFAULT_MISSING_CHECKOUT_CAP,
    include_hours: bool = True,
    post_hours: bool = False,
) -> CoverageReport:
    """Required vs rostered vs present guarding for ``facilities`` over ``period``.

    Rows for posts not listed in ``facilities`` are ignored, so callers may over-fetch.
    Presence is counted only up to ``now``; the roster over the whole period.

    A presence without check-out ends at ``now`` while it is plausibly still running, and at
    its cap otherwise (flagged ``missing-checkout``). The cap is the planned end of its shift
    plus ``missing_checkout_grace``; when the presence has no known shift, or checked in after
    that moment, it is check-in plus ``missing_checkout_cap``.
    """
    # No garbage-collector tricks here: gc.disable() is process-wide, and a report built in
    # one thread of a threaded server must not change how every other thread runs.
    return _compute(
        facilities,
        standards,
        shifts,
        presences,
        period,
        now,
        camera_up,
        missing_checkout_grace,
        missing_checkout_cap,
        include_hours,
        post_hours,
    )


def _compute(
    facilities: Sequence[FacilityInput],
    standards: Iterable[Standard],
    shifts: Iterable[Shift],
    presences: Iterable[Presence],
    period: Interval,
    now: datetime,
    camera_up: Iterable[CameraUp] | None,
    missing_checkout_grace: timedelta,
    missing_checkout_cap: timedelta,
    include_hours: bool,
    post_hours: bool,
) -> CoverageReport:
    lo, hi = _us(period.start, "period.start"), _us(period.end, "period.end")
    now_us = _us(now, "now")
    obs = min(max(now_us, lo), hi)
    lo_dt, hi_dt = _dt(lo), _dt(hi)
    grace_us = missing_checkout_grace // _MICRO
    cap_us = missing_checkout_cap // _MICRO

    post_fac: dict[Hashable, Hashable] = {}
    if len({f.facility_id for f in facilities}) != len(facilities):
        raise ValueError("facility listed twice")
    for fac in facilities:
        for post in fac.post_ids:
            if post in post_fac:
                raise ValueError(f"post {post!r} belongs to two facilities")
            post_fac[post] = fac.facility_id
    flags_by_fac: dict[Hashable, list[Flag]] = {f.facility_id: [] for f in facilities}

    stds_by_post: dict[Hashable, list[Standard]] = {}
    for st in standards:
        if st.post_id in post_fac:
            stds_by_post.setdefault(st.post_id, []).append(st)

    shift_end: dict[Hashable, int] = {}
    roster_by_post: dict[Hashable, list[_Rec]] = {}
    for sh in shifts:
        post = sh.post_id
        fac_id = post_fac.get(post)
        if fac_id is None:
            continue
        s, e = _us(sh.start, "Shift.start"), _us(sh.end, "Shift.end")
        if e <= s:
            flags_by_fac[fac_id].append(
                Flag(
                    "invalid-shift",
                    fac_id,
                    post,
                    sh.person_id,
                    sh.shift_id,
                    sh.start,
                    sh.end,
                    "shift ends before it starts: ignored",
                )
            )
            continue
        shift_end[sh.shift_id] = e
        s, e = max(s, lo), min(e, hi)
        if s < e:
            roster_by_post.setdefault(post, []).append(
                (sh.person_id, s, e, sh.pillar, post, sh.shift_id)
            )

    present_by_post: dict[Hashable, list[_Rec]] = {}
    for pr in presences:
        post = pr.post_id
        fac_id = post_fac.get(post)
        if fac_id is None:
            continue
        ci = _us(pr.check_in, "Presence.check_in")
        if pr.check_out is not None:
            co = _us(pr.check_out, "Presence.check_out")
            if co < ci:
                flags_by_fac[fac_id].append(
                    Flag(
                        "invalid-presence",
                        fac_id,
                        post,
                        pr.person_id,
                        pr.shift_id,
                        pr.check_in,
                        pr.check_out,
                        "check-out before check-in: ignored",
                    )
                )
                continue
        else:
            if ci > now_us:
                flags_by_fac[fac_id].append(
                    Flag(
                        "invalid-presence",
                        fac_id,
                        post,
                        pr.person_id,
                        pr.shift_id,
                        pr.check_in,
                        None,
                        "check-in after now: ignored",
                    )
                )
                continue
            planned = shift_end.get(pr.shift_id) if pr.shift_id is not None else None
            if planned is not None and planned + grace_us > ci:
                cap, basis = planned + grace_us, "planned shift end + grace"
            else:
                cap, basis = ci + cap_us, "check-in + cap (no usable shift)"
            if cap < now_us:
                co = cap
                # Only worth a flag when the forgotten check-out touches the report period.
                if ci < hi and now_us > lo:
                    flags_by_fac[fac_id].append(
                        Flag(
                            "missing-checkout",
                            fac_id,
                            post,
                            pr.person_id,
                            pr.shift_id,
                            pr.check_in,
                            _dt(cap),
                            f"no check-out; presence capped at {basis}",
                        )
                    )
            else:
                co = now_us  # still plausibly on duty
        s, e = max(ci, lo), min(co, obs)
        if s < e:
            present_by_post.setdefault(post, []).append(
                (pr.person_id, s, e, pr.pillar, post, pr.shift_id)
            )

    cameras: dict[Hashable, list[tuple[int, int]]] | None = None
    if camera_up is not None:
        cameras = {}
        for cam in camera_up:
            s, e = max(_us(cam.start, "CameraUp.start"), lo), min(_us(cam.end, "CameraUp.end"), obs)
            if s < e:
                cameras.setdefault(cam.facility_id, []).append((s, e))

    calendars: dict[str, _Calendar] = {}
    results: list[FacilityCoverage] = []
    all_flags: list[Flag] = []
    for fac in facilities:
        cal = calendars.get(fac.tz)
        if cal is None:
            cal = calendars[fac.tz] = _Calendar(fac.tz, lo_dt, hi_dt)
        fac_flags = flags_by_fac[fac.facility_id]
        reqs = {p: _post_requirements(stds_by_post.get(p, []), cal) for p in fac.post_ids}
        fac_roster = [r for p in fac.post_ids for r in roster_by_post.get(p, ())]
        fac_present = [r for p in fac.post_ids for r in present_by_post.get(p, ())]
        timeline = _Timeline(
            (r for p in fac.post_ids for r in reqs[p]),
            _merge_people(fac_roster, fac.facility_id, fac_flags),
            _merge_people(fac_present, fac.facility_id, None),
            lo,
            hi,
            obs,
        )

        req_t, ok_t, req_pt, cred_pt, r_req_t, r_ok_t = timeline.totals()
        gaps = timeline.gaps("presence", None)
        roster_gaps = timeline.gaps("roster", None)
        hours = tuple(timeline.hours(cal.buckets())) if include_hours else None

        post_results: list[PostCoverage] = []
        if len(fac.post_ids) == 1:
            # Same inputs as the facility: reuse its numbers instead of a second sweep.
            post = fac.post_ids[0]
            post_results.append(
                PostCoverage(
                    post_id=post,
                    gaps=tuple(_with_post(g, post) for g in gaps),
                    roster_gaps=tuple(_with_post(g, post) for g in roster_gaps),
                    coverage_pct=_pct(ok_t, req_t),
                    rostered_pct=_pct(r_ok_t, r_req_t),
                    staffing_pct=_pct(cred_pt, req_pt),
                    hours=hours if post_hours else None,
                )
            )
        else:
            for post in fac.post_ids:
                pt = _Timeline(
                    reqs[post],
                    _merge_people(roster_by_post.get(post, []), fac.facility_id, None),
                    _merge_people(present_by_post.get(post, []), fac.facility_id, None),
                    lo,
                    hi,
                    obs,
                )
                preq, pok, ppt, pcred, prq, prok = pt.totals()
                post_results.append(
                    PostCoverage(
                        post_id=post,
                        gaps=tuple(pt.gaps("presence", post)),
                        roster_gaps=tuple(pt.gaps("roster", post)),
                        coverage_pct=_pct(pok, preq),
                        rostered_pct=_pct(prok, prq),
                        staffing_pct=_pct(pcred, ppt),
                        hours=tuple(pt.hours(cal.buckets())) if post_hours else None,
                    )
                )

        unobserved = timeline.head_short_intervals()
        if cameras is not None:
            unobserved = _subtract_us(unobserved, _merge_us(cameras.get(fac.facility_id, [])))
        results.append(
            FacilityCoverage(
                facility_id=fac.facility_id,
                tz=fac.tz,
                hours=hours,
                gaps=tuple(gaps),
                roster_gaps=tuple(roster_gaps),
                coverage_pct=_pct(ok_t, req_t),
                rostered_pct=_pct(r_ok_t, r_req_t),
                staffing_pct=_pct(cred_pt, req_pt),
                required_minutes=req_t / _US_PER_MINUTE,
                short_minutes=(req_t - ok_t) / _US_PER_MINUTE,
                unobserved=tuple(_to_intervals(unobserved)),
                camera_data_used=cameras is not None,
                posts=tuple(post_results),
                flags=tuple(fac_flags),
            )
        )
        all_flags.extend(fac_flags)

    return CoverageReport(
        period=Interval(lo_dt, hi_dt),
        now=_dt(now_us),
        observed_until=_dt(obs),
        camera_data_used=cameras is not None,
        facilities=tuple(results),
        flags=tuple(all_flags),
    )
