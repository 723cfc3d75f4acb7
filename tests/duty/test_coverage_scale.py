"""apps.duty.coverage at scale: a month of 300 facilities in three zones (correctness only;
timing is a benchmark)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from apps.duty.coverage import (
    CameraUp,
    FacilityInput,
    Gap,
    Interval,
    Presence,
    Shift,
    Standard,
    compute_coverage,
)
from tests.duty.coverage_helpers import HOUR, LONG_AGO


def month_of_guarding(n_facilities: int = 300, days: int = 31, seed: int = 7):
    """Three 8-hour shifts a day per facility (~28,000 shifts), one no-show shift per facility
    per week, jittered check-ins and a few forgotten check-outs."""
    rnd = random.Random(seed)
    zones = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
    start = datetime(2024, 2, 1, tzinfo=UTC)
    facs, standards, shifts, presences, cams = [], [], [], [], []
    no_shows: dict[int, list[Interval]] = {}
    for f in range(n_facilities):
        post = f"post-{f}"
        zone = ZoneInfo(zones[f % 3])
        facs.append(FacilityInput(f"fac-{f}", zones[f % 3], (post,)))
        standards.append(Standard(post, LONG_AGO, None, time(6), time(18), 1))
        standards.append(Standard(post, LONG_AGO, None, time(18), time(6), 1, frozenset({"tni"})))
        local0 = datetime(2024, 2, 1, 6, tzinfo=zone)
        no_shows[f] = []
        for d in range(-1, days + 1):
            for k in range(3):
                s = local0 + timedelta(days=d, hours=8 * k)
                e = s + timedelta(hours=8)
                pillar = "tni" if k else "polri"
                sid = f"{f}-{d}-{k}"
                shifts.append(Shift(sid, post, f"g{f}-{k}", pillar, s, e))
                if (d, k) == (7 * (f % 4) + 2, 1):
                    no_shows[f].append(Interval(s, e))
                    continue
                late = timedelta(minutes=rnd.choice([0, 0, 0, 5, 25]))
                # Forgotten check-outs, but not right before the no-show (it would hide its start).
                out = None if k and rnd.random() < 0.02 else e
                presences.append(Presence(sid, post, f"g{f}-{k}", pillar, s + late, out))
        cams.append(CameraUp(f"fac-{f}", start, start + timedelta(days=days)))
    period = Interval(start, start + timedelta(days=days))
    return facs, standards, shifts, presences, period, cams, no_shows


def test_month_of_300_facilities():
    facs, standards, shifts, presences, period, cams, no_shows = month_of_guarding()
    assert len(shifts) > 27_000
    report = compute_coverage(facs, standards, shifts, presences, period, period.end + HOUR, cams)
    assert len(report.facilities) == 300 and report.camera_data_used
    for i, f in enumerate(report.facilities):
        assert len(f.hours) == 31 * 24
        assert f.rostered_pct == 100.0  # the plan is complete; people just did not show up
        assert f.unobserved == ()  # cameras were up the whole month
        (no_show,) = no_shows[i]
        covering = [g for g in f.gaps if g.start <= no_show.start and no_show.end <= g.end]
        assert len(covering) == 1 and covering[0].rostered == 1 and covering[0].present == 0
        assert 0 < f.coverage_pct < 100
        assert sum(c.short_minutes for c in f.hours) == pytest.approx(f.short_minutes)
        assert all(g.end <= period.end for g in f.gaps)
    capped = [fl for fl in report.flags if fl.kind == "missing-checkout"]
    assert capped and all(fl.end - fl.start <= timedelta(hours=9) for fl in capped)
    assert {type(g) for f in report.facilities for g in f.gaps} == {Gap}
