"""Unit tests for apps.duty.coverage, pure Python (no Django, no database): intervals,
standards' own checks and the basic report."""

from __future__ import annotations

import gc
import pickle
from datetime import UTC, datetime, time, timedelta

import pytest

from apps.duty.coverage import (
    FacilityInput,
    Interval,
    Standard,
    intersect_intervals,
    merge_intervals,
    subtract_intervals,
    total_duration,
)
from tests.duty.coverage_helpers import (
    DAY14,
    KPU,
    LONG_AGO,
    cell,
    here,
    only,
    run,
    shift,
    std,
    utc,
    wib,
)

# --------------------------------------------------------------------------------------------
# Intervals
# --------------------------------------------------------------------------------------------


class TestInterval:
    def test_rejects_naive_and_reversed(self):
        with pytest.raises(ValueError, match="timezone-aware"):
            Interval(datetime(2024, 2, 14), utc(15))
        with pytest.raises(ValueError, match="before start"):
            Interval(utc(15), utc(14))

    def test_half_open_touching_intervals_do_not_overlap(self):
        a, b = Interval(utc(14, 0), utc(14, 8)), Interval(utc(14, 8), utc(14, 16))
        assert not a.overlaps(b)
        assert a.intersection(b) is None
        assert a.contains(utc(14, 0)) and not a.contains(utc(14, 8))

    def test_intersection_and_clip(self):
        a = Interval(utc(14, 0), utc(14, 10))
        assert a.clip(Interval(utc(14, 5), utc(15))) == Interval(utc(14, 5), utc(14, 10))
        assert a.duration == timedelta(hours=10)
        assert Interval(utc(14), utc(14)).is_empty

    def test_merge_joins_overlapping_and_touching_and_returns_utc(self):
        merged = merge_intervals(
            [
                Interval(wib(14, 10), wib(14, 12)),
                Interval(wib(14, 8), wib(14, 10)),  # touches the first
                Interval(wib(14, 11), wib(14, 13)),  # overlaps it
                Interval(wib(14, 15), wib(14, 16)),
                Interval(wib(14, 17), wib(14, 17)),  # empty: dropped
            ]
        )
        assert merged == [Interval(wib(14, 8), wib(14, 13)), Interval(wib(14, 15), wib(14, 16))]
        assert all(i.start.tzinfo is UTC for i in merged)

    def test_subtract_and_intersect(self):
        base = [Interval(utc(14, 0), utc(14, 10))]
        holes = [Interval(utc(14, 2), utc(14, 3)), Interval(utc(14, 9), utc(14, 12))]
        assert subtract_intervals(base, holes) == [
            Interval(utc(14, 0), utc(14, 2)),
            Interval(utc(14, 3), utc(14, 9)),
        ]
        assert intersect_intervals(base, holes) == [
            Interval(utc(14, 2), utc(14, 3)),
            Interval(utc(14, 9), utc(14, 10)),
        ]
        assert subtract_intervals(base, []) == base
        assert intersect_intervals(base, []) == []

    def test_total_duration_counts_overlap_once(self):
        ivs = [Interval(utc(14, 0), utc(14, 2)), Interval(utc(14, 1), utc(14, 3))]
        assert total_duration(ivs) == timedelta(hours=3)


class TestStandardValidation:
    def test_rejects_bad_values(self):
        with pytest.raises(ValueError, match="naive"):
            Standard("p", LONG_AGO, None, time(6, tzinfo=UTC), time(18), 1)
        with pytest.raises(ValueError, match=">= 0"):
            std(n=-1)
        with pytest.raises(ValueError, match="after valid_from"):
            std(valid_from=utc(14), valid_until=utc(14))
        with pytest.raises(ValueError, match="timezone-aware"):
            Standard("p", datetime(2024, 1, 1), None, time(6), time(18), 1)

    def test_pillars_are_frozen(self):
        s = Standard("p", LONG_AGO, None, time(0), time(0), 1, {"tni"})  # type: ignore[arg-type]
        assert s.required_pillars == frozenset({"tni"})
        hash(s)


# --------------------------------------------------------------------------------------------
# Basic coverage
# --------------------------------------------------------------------------------------------


class TestBasics:
    def test_fully_guarded_day(self):
        r = run(
            [std(n=2)],
            [shift("a", wib(14), wib(15)), shift("b", wib(14), wib(15))],
            [here("a", wib(14), wib(15)), here("b", wib(14), wib(15))],
        )
        f = only(r)
        assert [c.local_label for c in f.hours[:2]] == [
            "2024-02-14 00:00 WIB",
            "2024-02-14 01:00 WIB",
        ]
        assert len(f.hours) == 24
        assert all(c.status == "ok" and c.required == 2 and c.present == 2 for c in f.hours)
        assert all(c.rostered == 2 and c.present_person_minutes == 120 for c in f.hours)
        assert f.hours[0].start_utc == utc(13, 17) and f.hours[0].start_utc.tzinfo is UTC
        assert f.gaps == () and f.roster_gaps == ()
        assert f.coverage_pct == f.rostered_pct == f.staffing_pct == 100.0
        assert f.required_minutes == 24 * 60 and f.short_minutes == 0
        assert f.unobserved == () and not f.camera_data_used and not r.camera_data_used
        assert f.flags == ()

    def test_nobody_present(self):
        f = only(run([std(n=2)], [shift("a", wib(14), wib(15))]))
        assert f.coverage_pct == 0.0 and f.staffing_pct == 0.0 and f.rostered_pct == 0.0
        (gap,) = f.gaps
        assert (gap.start, gap.end, gap.required, gap.present, gap.rostered, gap.shortfall) == (
            wib(14),
            wib(15),
            2,
            0,
            1,
            2,
        )
        assert gap.kind == "presence" and gap.post_id is None and gap.minutes == 24 * 60
        assert f.unobserved == (DAY14,)

    def test_no_standard_means_nothing_required(self):
        f = only(run([], [], [here("a", wib(14, 8), wib(14, 9))]))
        assert {c.status for c in f.hours} == {"no-standard"}
        assert f.coverage_pct is None and f.rostered_pct is None and f.staffing_pct is None
        assert cell(f, "2024-02-14 08:00 WIB").present == 1
        assert f.gaps == () and f.unobserved == ()

    def test_zero_personnel_standard_requires_nothing(self):
        f = only(run([std(n=0)]))
        assert {c.status for c in f.hours} == {"no-standard"} and f.gaps == ()

    def test_inputs_in_other_zones_come_out_in_utc(self):
        period = Interval(wib(14), wib(14, 2))
        f = only(run([std()], [], [here("a", wib(14, 0, 30), wib(14, 2))], period=period))
        (gap,) = f.gaps
        assert gap.start == utc(13, 17) and gap.start.tzinfo is UTC
        assert gap.end == utc(13, 17, 30) and gap.end.tzinfo is UTC

    def test_rows_for_unknown_posts_are_ignored(self):
        f = only(
            run(
                [std(), std(post="elsewhere", n=9)],
                [shift("x", wib(14), wib(15), post="elsewhere")],
                [here("x", wib(14), wib(15), post="elsewhere")],
            )
        )
        assert {c.required for c in f.hours} == {1} and {c.present for c in f.hours} == {0}

    def test_post_in_two_facilities_is_an_error(self):
        with pytest.raises(ValueError, match="two facilities"):
            run(facilities=[KPU, FacilityInput("other", "Asia/Jakarta", ("gate",))])

    def test_facility_listed_twice_is_an_error(self):
        with pytest.raises(ValueError, match="twice"):
            run(facilities=[KPU, KPU])

    def test_empty_period(self):
        f = only(run([std()], period=Interval(wib(14), wib(14))))
        assert f.hours == () and f.gaps == () and f.coverage_pct is None

    def test_naive_datetimes_are_rejected(self):
        with pytest.raises(ValueError, match=r"Shift\.start"):
            run([std()], [shift("a", datetime(2024, 2, 14), wib(15))])
        with pytest.raises(ValueError, match="now"):
            run(now=datetime(2024, 2, 20))

    def test_report_pickles(self):
        # The Django side may cache reports: they must survive pickling.
        r = run([std()], [shift("a", wib(14), wib(15))], [here("a", wib(14, 1), None)])
        assert pickle.loads(pickle.dumps(r)) == r  # noqa: S301 - our own bytes, just made

    def test_garbage_collector_is_never_touched(self, monkeypatch):
        # gc.disable() is process-wide: in a threaded server it would change every thread.
        def refuse():
            raise AssertionError("compute_coverage must not switch the garbage collector off")

        monkeypatch.setattr(gc, "disable", refuse)
        assert gc.isenabled()
        run([std()])
        with pytest.raises(ValueError):
            run(now=datetime(2024, 2, 20))
        assert gc.isenabled()

    def test_single_post_hours_are_the_facility_hours(self):
        f = only(run([std()], [], [here("a", wib(14, 3), wib(14, 9))], post_hours=True))
        assert f.post("gate").hours == f.hours
        assert [g.post_id for g in f.post("gate").gaps] == ["gate", "gate"]
        assert [g.post_id for g in f.gaps] == [None, None]

    def test_lookup_helpers(self):
        r = run([std()])
        assert r.facility("kpu").post("gate").post_id == "gate"
        with pytest.raises(KeyError):
            r.facility("nope")
        with pytest.raises(KeyError):
            r.facility("kpu").post("nope")

    def test_include_hours_false_skips_cells_only(self):
        args = ([std()], [shift("a", wib(14), wib(14, 12))], [here("a", wib(14, 1), wib(14, 5))])
        full, lean = only(run(*args)), only(run(*args, include_hours=False))
        assert lean.hours is None
        assert (lean.gaps, lean.coverage_pct, lean.unobserved) == (
            full.gaps,
            full.coverage_pct,
            full.unobserved,
        )
