"""The piecewise-constant headcount of one facility or post, and what is read off it.

One sweep over the boundary events of requirements, rostered people and present people cuts
the period into segments of constant state; gaps, totals, unwatched time and hour cells are
then walks over those segments.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Hashable, Iterable
from operator import itemgetter
from typing import Any, NamedTuple

from apps.duty.coverage.calendar import Bucket, Requirement
from apps.duty.coverage.intervals import (
    US_PER_HOUR,
    US_PER_MINUTE,
    Span,
    from_micros,
    merge_spans,
)
from apps.duty.coverage.model import NO_PILLARS, Gap, GapKind, HourCell

# One person's merged presence or roster time: (start, end, pillar).
PersonSpan = tuple[int, int, str]
# Boundary event: (time, kind, +1/-1, payload); kinds below.
_Event = tuple[int, int, int, Any]
_REQUIREMENT, _ROSTER, _PRESENCE, _MARKER = 0, 1, 2, 3
# The HourCell fields after the head (start, end, label): required .. status.
_CellValues = tuple[Any, ...]
_NONE_YET = 1 << 62  # start of a running minimum
_first = itemgetter(0)


class SegmentState(NamedTuple):
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
) -> SegmentState:
    mix = dict(present_pillars)
    for p in reqp:
        mix.setdefault(p, 0)
    miss_p = frozenset(p for p in reqp if not mix[p])
    miss_r = reqp - rostered_pillars
    active = req > 0 or bool(reqp)
    return SegmentState(
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


def _boundary_events(
    reqs: Iterable[Requirement],
    roster: list[PersonSpan],
    present: list[PersonSpan],
    lo: int,
    hi: int,
    obs: int,
) -> list[_Event]:
    """Start and end events of everything, sorted by time; markers make ``lo``, ``obs`` and
    ``hi`` boundaries even where nothing changes."""
    ev: list[_Event] = [(lo, _MARKER, 0, None), (hi, _MARKER, 0, None)]
    if lo < obs < hi:
        ev.append((obs, _MARKER, 0, None))
    for s, e, n, pills in reqs:
        ev.append((s, _REQUIREMENT, 1, (n, pills)))
        ev.append((e, _REQUIREMENT, -1, (n, pills)))
    for s, e, pillar in roster:
        ev.append((s, _ROSTER, 1, pillar))
        ev.append((e, _ROSTER, -1, pillar))
    for s, e, pillar in present:
        ev.append((s, _PRESENCE, 1, pillar))
        ev.append((e, _PRESENCE, -1, pillar))
    ev.sort(key=_first)
    return ev


def _sweep(ev: list[_Event]) -> tuple[list[int], list[SegmentState]]:
    """Segment starts and their states. One loop with local counters: it runs once per event
    of every facility and post, so per-event function calls would show in the report time."""
    t: list[int] = []
    st: list[SegmentState] = []
    states: dict[tuple[object, ...], SegmentState] = {}
    req = rost = pres = 0
    reqc: dict[str, int] = {}
    rostc: dict[str, int] = {}
    presc: dict[str, int] = {}
    reqp: frozenset[str] = NO_PILLARS
    pkey: tuple[tuple[str, int], ...] = ()
    rkey: frozenset[str] = NO_PILLARS
    dirty_q = dirty_r = dirty_p = False
    i, n_ev = 0, len(ev)
    while True:
        at = ev[i][0]
        while i < n_ev and ev[i][0] == at:
            _, kind, sign, payload = ev[i]
            if kind == _PRESENCE:
                pres += sign
                presc[payload] = presc.get(payload, 0) + sign
                dirty_p = True
            elif kind == _ROSTER:
                rost += sign
                rostc[payload] = rostc.get(payload, 0) + sign
                dirty_r = True
            elif kind == _REQUIREMENT:
                cnt, pills = payload
                req += sign * cnt
                for p in pills:
                    reqc[p] = reqc.get(p, 0) + sign
                dirty_q = True
            i += 1
        if i >= n_ev:
            return t, st  # ``at`` is hi: no segment starts there
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


class Timeline:
    """Piecewise-constant state over [lo, hi): segment i is [t[i], t[i+1]) in state st[i].

    Built by one sweep over sorted boundary events, so cost is O(n log n) in the number of
    shifts, presences and requirement pieces. ``obs`` (observed-until) is always a boundary,
    so every segment lies wholly before or wholly after it; segments [0, n_obs) are observed.
    """

    __slots__ = ("n_obs", "obs", "st", "t")

    def __init__(
        self,
        reqs: Iterable[Requirement],
        roster: list[PersonSpan],
        present: list[PersonSpan],
        lo: int,
        hi: int,
        obs: int,
    ) -> None:
        t, st = _sweep(_boundary_events(reqs, roster, present, lo, hi, obs))
        t.append(hi)
        self.t, self.st, self.obs = t, st, obs
        self.n_obs = bisect_left(t, obs, 0, len(st))

    def gaps(self, kind: GapKind, post_id: Hashable | None) -> list[Gap]:
        """Maximal runs of short segments: observed ones for presence, all for the roster."""
        t, st = self.t, self.st
        presence = kind == "presence"
        n = self.n_obs if presence else len(st)
        short = [s.short_p for s in st[:n]] if presence else [s.short_r for s in st]
        out: list[Gap] = []
        i = 0
        while True:
            try:
                start = short.index(True, i)  # C-speed skip over the (usual) satisfied stretch
            except ValueError:
                return out
            i = start
            while i < n and short[i]:
                i += 1
            out.append(_gap_over(kind, post_id, st[start:i], t[start], t[i]))

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

    def head_short_spans(self) -> list[Span]:
        """Observed time with fewer people present than required, merged."""
        t, st = self.t, self.st
        return merge_spans((t[i], t[i + 1]) for i in range(self.n_obs) if st[i].head_short)

    def hours(self, buckets: list[Bucket]) -> list[HourCell]:
        """One cell per bucket. Most hours lie inside one segment and take the fast path; a
        month of 300 facilities is 223k cells, so the loop keeps its work per cell small."""
        t, st, obs = self.t, self.st, self.obs
        if not st or not buckets:
            return []  # empty period
        new = tuple.__new__  # skips NamedTuple's Python-level __new__
        out: list[HourCell] = []
        append = out.append
        j = 0  # the segment in force at the bucket's start
        seg_end = t[1]
        # Values of a full hour inside st[j]: the same for every such hour, since a segment
        # lies wholly before or wholly after ``obs``.
        full_hour: _CellValues | None = None
        for bs, be, head in buckets:
            if seg_end <= bs:  # move on to the segment the bucket starts in
                j += 1
                while t[j + 1] <= bs:
                    j += 1
                seg_end = t[j + 1]
                full_hour = None
            if seg_end < be:
                values = _mixed_hour(t, st, obs, j, bs, be)
            elif be - bs == US_PER_HOUR:
                if full_hour is None:
                    full_hour = _one_state_hour(st[j], US_PER_HOUR, bs >= obs)
                values = full_hour
            else:  # clipped by the period
                values = _one_state_hour(st[j], be - bs, bs >= obs)
            append(new(HourCell, head + values))
        return out


def _gap_over(
    kind: GapKind, post_id: Hashable | None, states: list[SegmentState], start: int, end: int
) -> Gap:
    """The gap of one run of short segments; one pass, as a badly guarded month has many."""
    presence = kind == "presence"
    req_max = shortfall = 0
    have_min = rost_min = _NONE_YET
    missing: frozenset[str] = NO_PILLARS
    for s in states:
        have = s.pres if presence else s.rost
        req_max = max(req_max, s.req)
        have_min = min(have_min, have)
        rost_min = min(rost_min, s.rost)
        shortfall = max(shortfall, s.req - have)
        miss = s.miss_p if presence else s.miss_r
        if miss:
            missing = missing | miss
    return Gap(
        kind,
        post_id,
        from_micros(start),
        from_micros(end),
        req_max,
        have_min if presence else None,
        rost_min,
        shortfall,
        missing,
    )


def _mixed_hour(
    t: list[int], st: list[SegmentState], obs: int, j: int, bs: int, be: int
) -> _CellValues:
    """Values of an hour crossing segment boundaries, starting in segment ``j``: maximum
    requirement, minimum headcounts, sums of person-time and short time."""
    req_max = 0
    rost_min = pres_min = _NONE_YET
    person_us = short_us = 0
    any_obs = any_active = False
    pmix: dict[str, int] | None = None
    last_mix: dict[str, int] | None = None
    for k in range(j, len(st)):
        seg_start = t[k]
        if seg_start >= be:
            break
        s = st[k]
        # Comparisons rather than max()/min(): a month has tens of thousands of such hours.
        if s.req > req_max:
            req_max = s.req
        if s.rost < rost_min:
            rost_min = s.rost
        if seg_start < obs:
            d = min(be, t[k + 1]) - max(bs, seg_start)
            any_obs = True
            if s.pres < pres_min:
                pres_min = s.pres
            person_us += s.pres * d
            if s.short_p:
                short_us += d
            any_active = any_active or s.active
            m = s.mix_d
            if pmix is None:
                pmix = dict(m)
            elif m is not last_mix:  # interned states: equal mixes are the same object
                # Minimum per pillar: a pillar missing from a segment had 0 there, and one
                # first seen here joins at 0 since an earlier segment lacked it. Inline:
                # this runs for most segments of the hours that cross a boundary.
                for p, c in pmix.items():
                    if c:
                        pmix[p] = min(c, m.get(p, 0))
                for p in m:
                    pmix.setdefault(p, 0)
            last_mix = m
    if not any_obs:
        return _future(req_max, rost_min)
    status = "short" if short_us else ("ok" if any_active else "no-standard")
    return (
        req_max,
        rost_min,
        pres_min,
        person_us / US_PER_MINUTE,
        short_us / US_PER_MINUTE,
        tuple(sorted((pmix or {}).items())),
        status,
    )


def _future(required: int, rostered: int) -> _CellValues:
    """An hour not observed yet: only the plan is known."""
    return (required, rostered, None, 0.0, 0.0, (), "future")


def _one_state_hour(s: SegmentState, span_us: int, future: bool) -> _CellValues:
    """An hour (or the part of one in the period) spent wholly in state ``s``."""
    if future:
        return _future(s.req, s.rost)
    minutes = span_us / US_PER_MINUTE
    status = "short" if s.short_p else ("ok" if s.active else "no-standard")
    return (s.req, s.rost, s.pres, s.pres * minutes, minutes if s.short_p else 0.0, s.mix, status)
