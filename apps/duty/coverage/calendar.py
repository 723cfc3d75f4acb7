"""Facility-local time: hour buckets, daily bands and the requirement pieces of a post.

Standards are written in facility-local wall time ("18:00-06:00"), hour cells are local hours;
everything else runs in UTC microseconds. This module is where the two meet.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from operator import itemgetter
from zoneinfo import ZoneInfo

from apps.duty.coverage.intervals import Span, from_micros, merge_spans, to_micros
from apps.duty.coverage.model import Standard

_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)
_first = itemgetter(0)

# A local hour: (start, end, (start_utc, end_utc, local_label)). The third part is the head
# of its HourCell, built once per zone rather than once per facility.
Bucket = tuple[int, int, tuple[datetime, datetime, str]]
# A requirement piece of a post: (start, end, min_personnel, required_pillars).
Requirement = tuple[int, int, int, frozenset[str]]


class LocalCalendar:
    """Per-time-zone caches: hour buckets and band occurrences for the report period.

    Facilities in one report share a handful of zones and bands, so computing these once per
    zone keeps zoneinfo conversions out of the per-facility loop.
    """

    def __init__(self, tz: str, lo_dt: datetime, hi_dt: datetime) -> None:
        self.zone = ZoneInfo(tz)
        self.lo_dt, self.hi_dt = lo_dt, hi_dt
        self.lo, self.hi = to_micros(lo_dt), to_micros(hi_dt)
        self._bands: dict[tuple[time, time], list[Span]] = {}
        self._buckets: list[Bucket] | None = None

    def buckets(self) -> list[Bucket]:
        """Local-hour buckets clipped to the period.

        Boundaries are the instants where the local wall clock shows HH:00. Stepping one UTC
        hour and flooring the local time handles DST (23/25-hour days) and half-hour offset
        changes without assuming anything about the zone.
        """
        if self._buckets is None:
            self._buckets = self._local_hours() if self.lo < self.hi else []
        return self._buckets

    def _local_hours(self) -> list[Bucket]:
        zone, lo, hi = self.zone, self.lo, self.hi
        out: list[Bucket] = []
        local = self.lo_dt.astimezone(zone)
        b = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
        b = min(b, self.lo_dt)
        while to_micros(b) < hi:
            nxt = self._next_hour_boundary(b)
            loc_b = b.astimezone(zone)
            label = loc_b.strftime("%Y-%m-%d %H:%M ") + (loc_b.tzname() or "")
            bs, be = max(to_micros(b), lo), min(to_micros(nxt), hi)
            if bs < be:
                out.append((bs, be, (from_micros(bs), from_micros(be), label)))
            b = nxt
        return out

    def _next_hour_boundary(self, b: datetime) -> datetime:
        """The next instant after ``b`` where the local clock shows HH:00, at most an hour on."""
        cand = b + _HOUR
        nxt = cand.astimezone(self.zone).replace(minute=0, second=0, microsecond=0)
        nxt = nxt.astimezone(UTC)
        return nxt if b < nxt <= cand else cand

    def band(self, start: time, end: time) -> list[Span]:
        """Occurrences of a daily local band within the period, merged."""
        key = (start, end)
        cached = self._bands.get(key)
        if cached is not None:
            return cached
        zone, lo, hi = self.zone, self.lo, self.hi
        day: date = self.lo_dt.astimezone(zone).date() - _DAY  # a wrapping band from yesterday
        last = self.hi_dt.astimezone(zone).date()
        pairs: list[Span] = []
        while day <= last:
            end_day = day if start < end else day + _DAY  # equal: 24 h; greater: wraps midnight
            s = max(to_micros(datetime.combine(day, start, tzinfo=zone)), lo)
            e = min(to_micros(datetime.combine(end_day, end, tzinfo=zone)), hi)
            if s < e:
                pairs.append((s, e))
            day += _DAY
        merged = merge_spans(pairs)
        self._bands[key] = merged
        return merged


def post_requirements(stds: Iterable[Standard], cal: LocalCalendar) -> list[Requirement]:
    """Non-overlapping requirement pieces of one post (strictest standard wins on overlap)."""
    occ = [piece for st in stds for piece in _standard_occurrences(st, cal)]
    if len(occ) <= 1:
        return occ
    occ.sort(key=_first)
    if all(occ[i][1] <= occ[i + 1][0] for i in range(len(occ) - 1)):
        return occ
    return _strictest_pieces(occ)


def _standard_occurrences(st: Standard, cal: LocalCalendar) -> list[Requirement]:
    """The band occurrences of one standard inside its validity and the period."""
    if st.min_personnel == 0 and not st.required_pillars:
        return []  # requires nothing: would only add empty pieces
    a = max(cal.lo, to_micros(st.valid_from))
    b = cal.hi if st.valid_until is None else min(cal.hi, to_micros(st.valid_until))
    if a >= b:
        return []
    n, pills = st.min_personnel, st.required_pillars
    out: list[Requirement] = []
    for s, e in cal.band(st.band_start, st.band_end):
        s2, e2 = max(s, a), min(e, b)
        if s2 < e2:
            out.append((s2, e2, n, pills))
    return out


def _strictest_pieces(occ: list[Requirement]) -> list[Requirement]:
    """Elementary pieces of overlapping occurrences, each with the max headcount and the union
    of pillars of the occurrences in force. Few standards per post, so the active set stays
    tiny and recomputing max/union per boundary is cheap."""
    events = sorted(
        [(s, 1, i) for i, (s, _e, _n, _p) in enumerate(occ)]
        + [(e, -1, i) for i, (_s, e, _n, _p) in enumerate(occ)],
        key=_first,
    )
    active: set[int] = set()
    out: list[Requirement] = []
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
