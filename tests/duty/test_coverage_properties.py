"""Property tests for apps.duty.coverage: a brute-force oracle on a 15-minute grid."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.duty.coverage import (
    CameraUp,
    FacilityCoverage,
    FacilityInput,
    Interval,
    Presence,
    Shift,
    Standard,
    compute_coverage,
    subtract_intervals,
)
from tests.duty.coverage_helpers import HOUR, MIN

GRID = timedelta(minutes=15)
BASE = datetime(2024, 2, 14, tzinfo=UTC)
PILLARS = ("polri", "tni", "pemda")
PERSON_PILLAR = {"p0": "polri", "p1": "polri", "p2": "tni", "p3": "pemda", "p4": "tni"}
GRACE = timedelta(hours=1)
CAP = timedelta(hours=6)


def grid(lo: int, hi: int):
    return st.integers(lo, hi).map(lambda k: BASE + k * GRID)


@st.composite
def scenarios(draw):
    # All instants (and local band times, since these zones have offsets in whole quarter
    # hours) lie on a 15-minute grid, so the state is constant within each grid slot and the
    # oracle only has to look at slot starts.
    tz = draw(st.sampled_from(["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", "Asia/Kolkata"]))
    posts = ("A", "B")[: draw(st.integers(1, 2))]
    start = draw(grid(0, 8))
    period = Interval(start, start + draw(st.integers(1, 160)) * GRID)
    band_time = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
    standards = []
    for _ in range(draw(st.integers(0, 4))):
        valid_from = draw(grid(-100, 120))
        until = draw(st.one_of(st.none(), st.integers(1, 200)))
        standards.append(
            Standard(
                draw(st.sampled_from(posts)),
                valid_from,
                None if until is None else valid_from + until * GRID,
                draw(band_time),
                draw(band_time),
                draw(st.integers(0, 3)),
                frozenset(draw(st.lists(st.sampled_from(PILLARS), max_size=2))),
            )
        )
    shifts = []
    for i in range(draw(st.integers(0, 7))):
        person = draw(st.sampled_from(sorted(PERSON_PILLAR)))
        s = draw(grid(-40, 170))
        shifts.append(
            Shift(
                f"s{i}",
                draw(st.sampled_from(posts)),
                person,
                PERSON_PILLAR[person],
                s,
                s + draw(st.integers(-1, 48)) * GRID,
            )
        )
    presences = []
    for _ in range(draw(st.integers(0, 7))):
        person = draw(st.sampled_from(sorted(PERSON_PILLAR)))
        ci = draw(grid(-40, 170))
        out = draw(st.one_of(st.none(), st.integers(-1, 48)))
        sid = draw(st.one_of(st.none(), st.sampled_from([s.shift_id for s in shifts] or ["x"])))
        presences.append(
            Presence(
                sid,
                draw(st.sampled_from(posts)),
                person,
                PERSON_PILLAR[person],
                ci,
                None if out is None else ci + out * GRID,
            )
        )
    cams = draw(
        st.one_of(
            st.none(),
            st.lists(
                st.tuples(grid(-10, 170), st.integers(1, 40)).map(
                    lambda p: CameraUp("F", p[0], p[0] + p[1] * GRID)
                ),
                max_size=3,
            ),
        )
    )
    now = draw(grid(-10, 180))
    fac = FacilityInput("F", tz, posts)
    return fac, standards, shifts, presences, period, now, cams


def compute(sc, **kw) -> FacilityCoverage:
    fac, standards, shifts, presences, period, now, cams = sc
    report = compute_coverage(
        [fac],
        standards,
        shifts,
        presences,
        period,
        now,
        cams,
        missing_checkout_grace=GRACE,
        missing_checkout_cap=CAP,
        post_hours=True,
        **kw,
    )
    return report.facilities[0]


class Oracle:
    """The definitions, evaluated instant by instant with no cleverness at all."""

    def __init__(self, sc) -> None:
        fac, self.standards, self.shifts, presences, self.period, self.now, self.cams = sc
        self.zone = ZoneInfo(fac.tz)
        self.posts = fac.post_ids
        ends = {s.shift_id: s.end for s in self.shifts if s.end > s.start}
        self.presence: list[tuple[str, str, datetime, datetime]] = []
        for p in presences:
            if p.check_out is not None:
                end = p.check_out
            elif p.check_in > self.now:
                continue
            else:
                planned = ends.get(p.shift_id)
                cap = planned + GRACE if planned and planned + GRACE > p.check_in else None
                cap = cap or p.check_in + CAP
                end = min(cap, self.now)
            self.presence.append((p.post_id, p.person_id, p.check_in, end))
        self.observed_until = min(max(self.now, self.period.start), self.period.end)

    def required(self, m: datetime, posts) -> tuple[int, set[str]]:
        local = m.astimezone(self.zone).time()
        total, pillars = 0, set()
        for post in posts:
            best, pills = 0, set()
            for s in self.standards:
                if s.post_id != post or not (s.min_personnel or s.required_pillars):
                    continue
                if m < s.valid_from or (s.valid_until is not None and m >= s.valid_until):
                    continue
                bs, be = s.band_start, s.band_end
                if bs == be or (bs < be and bs <= local < be) or (bs > be and not be <= local < bs):
                    best = max(best, s.min_personnel)
                    pills |= s.required_pillars
            total += best
            pillars |= pills
        return total, pillars

    def people(self, m: datetime, posts, kind: str) -> set[str]:
        if kind == "roster":
            return {s.person_id for s in self.shifts if s.post_id in posts and s.start <= m < s.end}
        if m >= self.now:
            return set()
        return {who for post, who, s, e in self.presence if post in posts and s <= m < e}

    def state(self, m: datetime, posts, kind: str) -> tuple[bool, bool, int, set[str]]:
        """(active, satisfied, required, people) at instant m."""
        req, pillars = self.required(m, posts)
        who = self.people(m, posts, kind)
        have = {PERSON_PILLAR[p] for p in who}
        return bool(req or pillars), len(who) >= req and pillars <= have, req, who

    def slots(self):
        m = self.period.start
        while m < self.period.end:
            yield m
            m += GRID


def in_any(m: datetime, intervals) -> bool:
    return any(i.start <= m < i.end for i in intervals)


PROPS = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,  # deterministic CI: the same examples every run
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@PROPS
@given(scenarios())
def test_matches_brute_force_oracle(sc):
    f = compute(sc)
    oracle = Oracle(sc)
    req_slots = ok_slots = r_req_slots = r_ok_slots = req_people = credited_people = 0
    cells: dict[datetime, dict] = {}  # per hour cell, what the oracle saw in its slots
    for m in oracle.slots():
        active, ok, req, who = oracle.state(m, oracle.posts, "presence")
        r_active, r_ok, _, rostered = oracle.state(m, oracle.posts, "roster")
        observed = m < oracle.observed_until
        assert in_any(m, f.gaps) == (observed and active and not ok), m
        assert in_any(m, f.roster_gaps) == (r_active and not r_ok), m
        assert in_any(m, f.unobserved) == (
            observed and len(who) < req and not (f.camera_data_used and in_any(m, oracle.cams))
        ), m
        (c,) = [c for c in f.hours if c.start_utc <= m < c.end_utc]
        acc = cells.setdefault(c.start_utc, {"req": 0, "rost": 99, "pres": 99, "pm": 0, "mix": {}})
        acc["req"] = max(acc["req"], req)
        acc["rost"] = min(acc["rost"], len(rostered))
        if observed:
            acc["pres"] = min(acc["pres"], len(who))
            acc["pm"] += 15 * len(who)
            for pillar in PILLARS:
                n = sum(PERSON_PILLAR[p] == pillar for p in who)
                acc["mix"][pillar] = min(acc["mix"].get(pillar, n), n)
            req_slots += active
            ok_slots += active and ok
            req_people += req
            credited_people += min(req, len(who))
        r_req_slots += r_active
        r_ok_slots += r_active and r_ok
        for post in oracle.posts:
            pc = f.post(post)
            p_active, p_ok, _, _ = oracle.state(m, (post,), "presence")
            assert in_any(m, pc.gaps) == (observed and p_active and not p_ok), (m, post)
    # Per-hour measures, exactly: max required, min rostered, min present, person-minutes and
    # per-pillar minimum headcount over the (observed part of the) hour.
    for c in f.hours:
        acc = cells[c.start_utc]
        assert (c.required, c.rostered) == (acc["req"], acc["rost"]), c
        if c.start_utc >= oracle.observed_until:
            assert c.status == "future" and c.present is None
            continue
        assert (c.present, c.present_person_minutes) == (acc["pres"], acc["pm"]), c
        assert {p: n for p, n in c.pillar_mix if n} == {p: n for p, n in acc["mix"].items() if n}
    if req_slots:
        assert f.coverage_pct == pytest.approx(100 * ok_slots / req_slots)
        assert f.required_minutes == req_slots * 15
    else:
        assert f.coverage_pct is None
    if req_people:
        assert f.staffing_pct == pytest.approx(100 * credited_people / req_people)
    else:
        assert f.staffing_pct is None
    if r_req_slots:
        assert f.rostered_pct == pytest.approx(100 * r_ok_slots / r_req_slots)
    else:
        assert f.rostered_pct is None


@PROPS
@given(scenarios())
def test_structural_invariants(sc):
    f = compute(sc)
    _, _, _, _, period, now, _ = sc
    observed_until = min(max(now, period.start), period.end)
    for pct in (f.coverage_pct, f.rostered_pct, f.staffing_pct):
        assert pct is None or 0.0 <= pct <= 100.0
    for gaps, limit in ((f.gaps, observed_until), (f.roster_gaps, period.end)):
        for g in gaps:
            assert period.start <= g.start < g.end <= limit
            assert g.shortfall >= 0 and (g.shortfall > 0 or g.missing_pillars)
        for a, b in pairwise(gaps):
            assert a.end < b.start  # disjoint and not touching: adjacent shortfalls merged
    for pc in f.posts:
        assert all(g.post_id == pc.post_id for g in (*pc.gaps, *pc.roster_gaps))
    # Hours tile the period exactly and their minutes add up to the gaps.
    assert f.hours[0].start_utc == period.start and f.hours[-1].end_utc == period.end
    for a, b in pairwise(f.hours):
        assert a.end_utc == b.start_utc and b.end_utc - b.start_utc <= HOUR
    gap_minutes = sum(g.minutes for g in f.gaps)
    assert sum(c.short_minutes for c in f.hours) == pytest.approx(gap_minutes)
    assert f.short_minutes == pytest.approx(gap_minutes)
    # Unobserved time is headcount shortfall (a subset of the gaps) not covered by a camera.
    assert subtract_intervals(f.unobserved, [Interval(g.start, g.end) for g in f.gaps]) == []
    for c in f.hours:
        if c.status == "future":
            assert c.start_utc >= now and c.present is None
        else:
            assert c.present is not None and c.present_person_minutes >= 0
            minutes = (min(c.end_utc, max(now, c.start_utc)) - c.start_utc) / MIN
            assert c.present * minutes <= c.present_person_minutes + 1e-9
            assert c.short_minutes <= minutes + 1e-9
            # Per-pillar minimums can never add up to more than the minimum headcount.
            assert sum(n for _, n in c.pillar_mix) <= c.present
            assert [p for p, _ in c.pillar_mix] == sorted({p for p, _ in c.pillar_mix})


@PROPS
@given(scenarios(), st.sampled_from(sorted(PERSON_PILLAR)), grid(-20, 170), st.integers(1, 40))
def test_adding_a_person_never_hurts(sc, person, check_in, quarters):
    fac, standards, shifts, presences, period, now, cams = sc
    extra = Presence(
        None, fac.post_ids[0], person, PERSON_PILLAR[person], check_in, check_in + quarters * GRID
    )
    before = compute(sc)
    after = compute((fac, standards, shifts, [*presences, extra], period, now, cams))
    for a, b in zip(before.hours, after.hours, strict=True):
        assert (a.present is None) == (b.present is None)
        if a.present is not None:
            assert b.present >= a.present
            assert b.present_person_minutes >= a.present_person_minutes - 1e-9
            assert b.short_minutes <= a.short_minutes + 1e-9
    assert after.short_minutes <= before.short_minutes + 1e-9
    assert after.unobserved_minutes <= before.unobserved_minutes + 1e-9
    if before.coverage_pct is not None:
        assert after.coverage_pct >= before.coverage_pct - 1e-9
    if before.staffing_pct is not None:  # None when only pillars were required
        assert after.staffing_pct >= before.staffing_pct - 1e-9


@PROPS
@given(scenarios())
def test_duplicated_rows_change_nothing(sc):
    # The same person rostered/checked in twice for the same time is still one guard.
    fac, standards, shifts, presences, period, now, cams = sc
    twice = [
        *shifts,
        *(
            Shift(f"dup-{s.shift_id}", s.post_id, s.person_id, s.pillar, s.start, s.end)
            for s in shifts
            if s.end > s.start
        ),
    ]
    checked_twice = [*presences, *(p for p in presences if p.check_out is not None)]
    a = compute(sc)
    b = compute((fac, standards, twice, checked_twice, period, now, cams))
    assert a.hours == b.hours
    assert a.gaps == b.gaps and a.roster_gaps == b.roster_gaps
    assert (a.coverage_pct, a.rostered_pct, a.unobserved) == (
        b.coverage_pct,
        b.rostered_pct,
        b.unobserved,
    )


@PROPS
@given(scenarios())
def test_union_of_shifts_is_what_counts(sc):
    # Splitting every shift into two touching halves must not change the roster figures.
    fac, standards, shifts, presences, period, now, cams = sc
    halves = []
    for s in shifts:
        if s.end - s.start >= 2 * GRID:
            mid = s.start + (s.end - s.start) // 2 // GRID * GRID
            halves += [
                Shift(f"{s.shift_id}a", s.post_id, s.person_id, s.pillar, s.start, mid),
                Shift(f"{s.shift_id}b", s.post_id, s.person_id, s.pillar, mid, s.end),
            ]
        else:
            halves.append(s)
    no_open = [p for p in presences if p.check_out is not None]  # caps depend on shift ends
    a = compute((fac, standards, shifts, no_open, period, now, cams))
    b = compute((fac, standards, halves, no_open, period, now, cams))
    assert [c.rostered for c in a.hours] == [c.rostered for c in b.hours]
    assert a.roster_gaps == b.roster_gaps and a.rostered_pct == b.rostered_pct


@PROPS
@given(scenarios())
def test_the_summary_alone_has_the_same_figures(sc):
    # The daily report's mode: percentages and minutes as the full computation's, no detail.
    full, summary = compute(sc), compute(sc, summary_only=True)
    assert (summary.coverage_pct, summary.rostered_pct, summary.staffing_pct,
            summary.required_minutes, summary.short_minutes) == (
        full.coverage_pct, full.rostered_pct, full.staffing_pct, full.required_minutes,
        full.short_minutes)
    assert (summary.gaps, summary.roster_gaps, summary.unobserved, summary.posts) == (
        (), (), (), ())
