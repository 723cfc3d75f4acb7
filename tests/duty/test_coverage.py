"""Unit tests for apps.duty.coverage: pure Python, no Django, no database."""

from __future__ import annotations

import gc
import pickle
import random
from datetime import UTC, datetime, time, timedelta
from itertools import count, pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.duty.coverage import (
    CameraUp,
    CoverageReport,
    FacilityCoverage,
    FacilityInput,
    Gap,
    HourCell,
    Interval,
    Presence,
    Shift,
    Standard,
    compute_coverage,
    intersect_intervals,
    merge_intervals,
    subtract_intervals,
    total_duration,
)

JKT = ZoneInfo("Asia/Jakarta")  # WIB, UTC+7
MKS = ZoneInfo("Asia/Makassar")  # WITA, UTC+8
JAP = ZoneInfo("Asia/Jayapura")  # WIT, UTC+9
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def wib(day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """An instant on 2024-02-<day> in Jakarta local time (election week)."""
    return datetime(2024, 2, day, hour, minute, second, tzinfo=JKT)


def utc(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2024, 2, day, hour, minute, tzinfo=UTC)


DAY14 = Interval(wib(14), wib(15))  # one Jakarta-local day
AFTER = wib(20)  # "now" well after the period: everything observed
KPU = FacilityInput("kpu", "Asia/Jakarta", ("gate",))


def std(
    post: str = "gate",
    n: int = 1,
    band: tuple[int, int] | tuple[time, time] = (0, 0),
    pillars: frozenset[str] | set[str] = frozenset(),
    valid_from: datetime = LONG_AGO,
    valid_until: datetime | None = None,
) -> Standard:
    bs, be = band
    bs = bs if isinstance(bs, time) else time(bs)
    be = be if isinstance(be, time) else time(be)
    return Standard(post, valid_from, valid_until, bs, be, n, frozenset(pillars))


_ids = count()


def shift(
    person: str, start: datetime, end: datetime, post: str = "gate", pillar: str = "polri", sid=None
) -> Shift:
    return Shift(next(_ids) if sid is None else sid, post, person, pillar, start, end)


def here(
    person: str,
    check_in: datetime,
    check_out: datetime | None,
    post: str = "gate",
    pillar: str = "polri",
    sid=None,
) -> Presence:
    return Presence(sid, post, person, pillar, check_in, check_out)


def run(
    standards=(),
    shifts=(),
    presences=(),
    *,
    facilities=(KPU,),
    period: Interval = DAY14,
    now: datetime = AFTER,
    camera_up=None,
    **kw,
) -> CoverageReport:
    return compute_coverage(
        list(facilities),
        list(standards),
        list(shifts),
        list(presences),
        period,
        now,
        camera_up,
        **kw,
    )


def only(report: CoverageReport) -> FacilityCoverage:
    assert len(report.facilities) == 1
    return report.facilities[0]


def cell(fac: FacilityCoverage, label: str) -> HourCell:
    assert fac.hours is not None
    matches = [c for c in fac.hours if c.local_label == label]
    assert len(matches) == 1, (label, [c.local_label for c in fac.hours])
    return matches[0]


def spans(gaps) -> list[tuple[datetime, datetime]]:
    return [(g.start, g.end) for g in gaps]


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


# --------------------------------------------------------------------------------------------
# Time: midnight, bands, zones, DST, period edges, "now"
# --------------------------------------------------------------------------------------------


class TestTime:
    def test_shift_across_midnight(self):
        period = Interval(wib(14), wib(16))
        f = only(
            run(
                [std(band=(22, 6))],
                [shift("a", wib(14, 22), wib(15, 6))],
                [here("a", wib(14, 22), wib(15, 6))],
                period=period,
            )
        )
        assert cell(f, "2024-02-14 23:00 WIB").status == "ok"
        assert cell(f, "2024-02-15 00:00 WIB").status == "ok"
        assert cell(f, "2024-02-15 05:00 WIB").status == "ok"
        assert cell(f, "2024-02-15 06:00 WIB").status == "no-standard"
        # The band of the first night (13th 22:00 -> 14th 06:00) and of the 15th are unguarded.
        assert spans(f.gaps) == [(wib(14, 0), wib(14, 6)), (wib(15, 22), wib(16, 0))]

    def test_band_wrapping_midnight_with_day_band(self):
        f = only(run([std(n=1, band=(6, 18)), std(n=3, band=(18, 6))]))
        assert [cell(f, f"2024-02-14 {h:02d}:00 WIB").required for h in (0, 5, 6, 17, 18, 23)] == [
            3,
            3,
            1,
            1,
            3,
            3,
        ]
        assert f.required_minutes == 24 * 60

    def test_around_the_clock_band(self):
        f = only(run([std(band=(time(7, 30), time(7, 30)))]))
        assert {c.required for c in f.hours} == {1} and f.required_minutes == 24 * 60

    def test_band_starting_mid_hour_counts_exact_minutes(self):
        period = Interval(wib(14, 17), wib(14, 20))
        f = only(
            run(
                [std(n=1, band=(time(6), time(18, 30))), std(n=2, band=(time(18, 30), time(6)))],
                [],
                [here("a", wib(14, 17), wib(14, 20))],
                period=period,
            )
        )
        h18 = cell(f, "2024-02-14 18:00 WIB")
        assert (h18.required, h18.present, h18.short_minutes, h18.status) == (2, 1, 30.0, "short")
        assert spans(f.gaps) == [(wib(14, 18, 30), wib(14, 20))]
        assert cell(f, "2024-02-14 17:00 WIB").status == "ok"

    def test_facilities_in_three_zones_in_one_report(self):
        # 14 UTC hours; each facility is guarded 08:00-16:00 of its own local time.
        period = Interval(utc(13, 22), utc(14, 12))
        facs = [
            FacilityInput("jkt", "Asia/Jakarta", ("j",)),
            FacilityInput("mks", "Asia/Makassar", ("m",)),
            FacilityInput("jap", "Asia/Jayapura", ("p",)),
        ]
        standards, shifts, presences = [], [], []
        for post, zone in (("j", JKT), ("m", MKS), ("p", JAP)):
            start = datetime(2024, 2, 14, 8, tzinfo=zone)
            end = datetime(2024, 2, 14, 16, tzinfo=zone)
            standards.append(std(post=post, band=(8, 16)))
            shifts.append(shift(post + "1", start, end, post=post))
            presences.append(here(post + "1", start, end, post=post))
        r = run(standards, shifts, presences, facilities=facs, period=period)
        first = {f.facility_id: f.hours[0].local_label for f in r.facilities}
        assert first == {
            "jkt": "2024-02-14 05:00 WIB",
            "mks": "2024-02-14 06:00 WITA",
            "jap": "2024-02-14 07:00 WIT",
        }
        for f, zone in zip(r.facilities, (JKT, MKS, JAP), strict=True):
            assert len(f.hours) == 14 and f.gaps == () and f.coverage_pct == 100.0
            ok = [c for c in f.hours if c.status == "ok"]
            assert ok[0].start_utc == datetime(2024, 2, 14, 8, tzinfo=zone)
            assert ok[-1].end_utc == datetime(2024, 2, 14, 16, tzinfo=zone)
            assert len(ok) == 8

    def test_half_hour_offset_zone_buckets_follow_local_hours(self):
        # India (UTC+5:30): local hours start at HH:30 UTC. Nothing assumes whole-hour offsets.
        fac = FacilityInput("x", "Asia/Kolkata", ("gate",))
        f = only(run([std()], facilities=[fac], period=Interval(utc(14, 0), utc(14, 3))))
        assert [(c.start_utc, c.end_utc, c.local_label) for c in f.hours] == [
            (utc(14, 0), utc(14, 0, 30), "2024-02-14 05:00 IST"),
            (utc(14, 0, 30), utc(14, 1, 30), "2024-02-14 06:00 IST"),
            (utc(14, 1, 30), utc(14, 2, 30), "2024-02-14 07:00 IST"),
            (utc(14, 2, 30), utc(14, 3), "2024-02-14 08:00 IST"),
        ]
        assert f.hours[0].short_minutes == 30.0

    @pytest.mark.parametrize(
        ("day", "hours", "labels"),
        [
            ((2024, 3, 31), 23, ["01:00 CET", "03:00 CEST"]),  # spring forward: no 02:00
            ((2024, 10, 27), 25, ["02:00 CEST", "02:00 CET"]),  # fall back: 02:00 twice
        ],
    )
    def test_dst_days_have_23_or_25_buckets(self, day, hours, labels):
        berlin = ZoneInfo("Europe/Berlin")
        start = datetime(*day, tzinfo=berlin)
        period = Interval(start, datetime.combine(start.date() + timedelta(days=1), time(), berlin))
        fac = FacilityInput("x", "Europe/Berlin", ("gate",))
        f = only(run([std(band=(0, 0))], facilities=[fac], period=period, now=start))
        assert len(f.hours) == hours
        assert all(c.end_utc - c.start_utc == HOUR for c in f.hours)
        got = [c.local_label[11:] for c in f.hours]
        assert " ".join(labels) in " ".join(got)
        assert {c.status for c in f.hours} == {"future"}
        (gap,) = f.roster_gaps
        assert gap.duration == timedelta(hours=hours)  # the 24/7 band is 23 h / 25 h long

    def test_period_not_aligned_to_hours_clips_first_and_last_cells(self):
        period = Interval(wib(14, 8, 15), wib(14, 10, 45))
        f = only(run([std()], [], [here("a", wib(14), wib(15))], period=period))
        assert [(c.local_label[11:16], c.end_utc - c.start_utc) for c in f.hours] == [
            ("08:00", 45 * MIN),
            ("09:00", HOUR),
            ("10:00", 45 * MIN),
        ]
        assert f.hours[0].present_person_minutes == 45.0
        assert f.required_minutes == 150.0 and f.coverage_pct == 100.0

    def test_now_splits_observed_and_future(self):
        now = wib(14, 10, 30)
        f = only(
            run(
                [std()],
                [shift("a", wib(14, 8), wib(14, 16))],
                [here("a", wib(14, 8), None, sid=None)],
                period=Interval(wib(14, 8), wib(14, 16)),
                now=now,
            )
        )
        assert cell(f, "2024-02-14 09:00 WIB").status == "ok"
        current = cell(f, "2024-02-14 10:00 WIB")
        assert (current.status, current.present, current.present_person_minutes) == ("ok", 1, 30.0)
        future = cell(f, "2024-02-14 11:00 WIB")
        assert (future.status, future.present, future.rostered, future.required) == (
            "future",
            None,
            1,
            1,
        )
        assert f.required_minutes == 150.0 and f.coverage_pct == 100.0
        assert f.flags == ()  # still on duty: an open check-in is not a missing check-out

    def test_now_before_period_everything_future(self):
        f = only(run([std()], [shift("a", wib(14, 8), wib(14, 16))], now=wib(13)))
        assert {c.status for c in f.hours} == {"future"}
        assert f.coverage_pct is None and f.gaps == () and f.unobserved == ()
        assert f.rostered_pct == pytest.approx(100 * 8 / 24)
        assert spans(f.roster_gaps) == [(wib(14), wib(14, 8)), (wib(14, 16), wib(15))]

    def test_roster_gaps_cover_future_presence_gaps_do_not(self):
        f = only(run([std()], [shift("a", wib(14), wib(14, 12))], now=wib(14, 6)))
        assert spans(f.gaps) == [(wib(14), wib(14, 6))]
        assert spans(f.roster_gaps) == [(wib(14, 12), wib(15))]
        assert f.roster_gaps[0].kind == "roster" and f.roster_gaps[0].present is None


# --------------------------------------------------------------------------------------------
# Presence arithmetic
# --------------------------------------------------------------------------------------------


class TestPresence:
    def test_partial_presence_in_an_hour(self):
        # Two required; b shows up only 09:40-10:00: hour 09 has min headcount 1,
        # 60 + 20 = 80 person-minutes, and a 40-minute gap.
        f = only(
            run(
                [std(n=2)],
                [shift("a", wib(14, 9), wib(14, 10)), shift("b", wib(14, 9), wib(14, 10))],
                [here("a", wib(14, 9), wib(14, 10)), here("b", wib(14, 9, 40), wib(14, 10))],
                period=Interval(wib(14, 9), wib(14, 10)),
            )
        )
        (h,) = f.hours
        assert (h.required, h.rostered, h.present) == (2, 2, 1)
        assert (h.present_person_minutes, h.short_minutes, h.status) == (80.0, 40.0, "short")
        assert h.pillar_mix == (("polri", 1),)
        (gap,) = f.gaps
        assert (gap.start, gap.end, gap.shortfall, gap.present, gap.rostered) == (
            wib(14, 9),
            wib(14, 9, 40),
            1,
            1,
            2,
        )
        assert f.coverage_pct == pytest.approx(100 / 3)
        assert f.staffing_pct == pytest.approx(100 * 80 / 120)

    def test_gaps_have_exact_resolution(self):
        f = only(run([std()], [], [here("a", wib(14, 8, 7, 30), wib(15))], period=DAY14))
        assert spans(f.gaps) == [(wib(14), wib(14, 8, 7, 30))]

    def test_consecutive_short_segments_merge_into_one_gap(self):
        # 3 required; 0 present until 02:00, then 1 until 04:00, then 3.
        f = only(
            run(
                [std(n=3)],
                [],
                [
                    here("a", wib(14, 2), wib(15)),
                    here("b", wib(14, 4), wib(15)),
                    here("c", wib(14, 4), wib(15)),
                ],
            )
        )
        (gap,) = f.gaps
        assert (gap.start, gap.end) == (wib(14), wib(14, 4))
        assert (gap.required, gap.present, gap.shortfall) == (3, 0, 3)

    def test_missing_checkout_capped_at_shift_end_plus_grace_and_flagged(self):
        s = shift("a", wib(14, 0), wib(14, 8), sid="S1")
        f = only(
            run(
                [std()],
                [s],
                [here("a", wib(14, 0), None, sid="S1")],
                missing_checkout_grace=timedelta(minutes=30),
            )
        )
        assert spans(f.gaps) == [(wib(14, 8, 30), wib(15))]
        (flag,) = f.flags
        assert (flag.kind, flag.person_id, flag.shift_id, flag.post_id, flag.facility_id) == (
            "missing-checkout",
            "a",
            "S1",
            "gate",
            "kpu",
        )
        assert flag.end == wib(14, 8, 30) and "grace" in flag.detail
        assert cell(f, "2024-02-14 08:00 WIB").present_person_minutes == 30.0

    def test_missing_checkout_without_shift_capped_after_check_in(self):
        f = only(
            run([std()], [], [here("a", wib(14, 2), None)], missing_checkout_cap=timedelta(hours=5))
        )
        assert spans(f.gaps) == [(wib(14), wib(14, 2)), (wib(14, 7), wib(15))]
        (flag,) = f.flags
        assert flag.kind == "missing-checkout" and flag.end == wib(14, 7)

    def test_missing_checkout_never_counts_past_now(self):
        # Shift ends tomorrow, grace irrelevant: presence runs until now, unflagged.
        now = wib(14, 12)
        f = only(
            run(
                [std()],
                [shift("a", wib(14), wib(16), sid="S")],
                [here("a", wib(14), None, sid="S")],
                now=now,
            )
        )
        assert f.gaps == () and f.flags == () and f.coverage_pct == 100.0
        assert cell(f, "2024-02-14 12:00 WIB").status == "future"

    def test_missing_checkout_after_shift_ended_uses_generic_cap(self):
        # Checked in after the planned end + grace: the shift cap would be before check-in.
        f = only(
            run(
                [std()],
                [shift("a", wib(14, 0), wib(14, 1), sid="S")],
                [here("a", wib(14, 6), None, sid="S")],
                missing_checkout_cap=timedelta(hours=2),
            )
        )
        assert spans(f.gaps) == [(wib(14), wib(14, 6)), (wib(14, 8), wib(15))]
        assert f.flags[0].end == wib(14, 8)

    def test_invalid_presences_are_flagged_and_ignored(self):
        f = only(
            run(
                [std()],
                [shift("a", wib(14, 5), wib(14, 4))],
                [here("a", wib(14, 5), wib(14, 4)), here("b", wib(21), None)],
            )
        )
        assert sorted(fl.kind for fl in f.flags) == [
            "invalid-presence",
            "invalid-presence",
            "invalid-shift",
        ]
        assert f.coverage_pct == 0.0 and f.rostered_pct == 0.0

    def test_check_out_after_now_is_clipped(self):
        f = only(run([std()], [], [here("a", wib(14), wib(16))], now=wib(14, 12)))
        assert f.coverage_pct == 100.0 and f.required_minutes == 12 * 60

    def test_same_person_twice_counts_once_two_people_count_two(self):
        f = only(
            run(
                [std(n=2)],
                [
                    shift("a", wib(14, 0), wib(14, 12)),
                    shift("a", wib(14, 6), wib(14, 18)),  # overlapping duplicate rostering
                    shift("b", wib(14, 0), wib(15)),
                ],
                [
                    here("a", wib(14, 0), wib(14, 12)),
                    here("a", wib(14, 3), wib(14, 4)),  # double check-in
                    here("b", wib(14, 0), wib(15)),
                ],
            )
        )
        assert cell(f, "2024-02-14 07:00 WIB").rostered == 2
        assert cell(f, "2024-02-14 03:00 WIB").present == 2
        assert cell(f, "2024-02-14 19:00 WIB").rostered == 1
        assert spans(f.gaps) == [(wib(14, 12), wib(15))]
        assert spans(f.roster_gaps) == [(wib(14, 18), wib(15))]


# --------------------------------------------------------------------------------------------
# Standards, pillars, posts
# --------------------------------------------------------------------------------------------


class TestStandards:
    def test_standard_changes_mid_period_mid_hour(self):
        change = wib(14, 12, 30)
        f = only(
            run(
                [std(n=1, valid_until=change), std(n=2, valid_from=change)],
                [],
                [here("a", wib(14), wib(15))],
            )
        )
        assert cell(f, "2024-02-14 11:00 WIB").status == "ok"
        h12 = cell(f, "2024-02-14 12:00 WIB")
        assert (h12.required, h12.short_minutes) == (2, 30.0)
        assert spans(f.gaps) == [(change, wib(15))]

    def test_standard_not_yet_valid_or_expired_requires_nothing(self):
        f = only(run([std(valid_from=wib(16)), std(valid_from=LONG_AGO, valid_until=wib(13))]))
        assert f.coverage_pct is None and {c.status for c in f.hours} == {"no-standard"}

    def test_overlapping_standards_strictest_wins(self):
        f = only(
            run(
                [std(n=2, band=(0, 0)), std(n=3, band=(18, 6), pillars={"tni"})],
                [],
                [here(p, wib(14), wib(15)) for p in ("a", "b", "c")],
            )
        )
        assert cell(f, "2024-02-14 12:00 WIB").required == 2
        assert cell(f, "2024-02-14 12:00 WIB").status == "ok"
        night = cell(f, "2024-02-14 20:00 WIB")
        assert night.required == 3 and night.status == "short"
        assert night.pillar_mix == (("polri", 3), ("tni", 0))
        assert [g.missing_pillars for g in f.gaps] == [frozenset({"tni"})] * 2
        assert all(g.shortfall == 0 for g in f.gaps)  # enough heads, wrong mix

    def test_warehouse_night_pillar_mix(self):
        pillars = {"polri", "tni", "pemda"}
        wh = FacilityInput("gudang", "Asia/Makassar", ("g",))
        night = Interval(
            datetime(2024, 2, 14, 18, tzinfo=MKS), datetime(2024, 2, 15, 6, tzinfo=MKS)
        )

        def at(h: int, d: int = 14) -> datetime:
            return datetime(2024, 2, d, h, tzinfo=MKS)

        people = [
            here("p1", at(18), at(6, 15), post="g", pillar="polri"),
            here("p2", at(18), at(6, 15), post="g", pillar="polri"),
            here("t1", at(18), at(22), post="g", pillar="tni"),  # TNI leaves at 22:00
            here("m1", at(18), at(6, 15), post="g", pillar="pemda"),
        ]
        f = only(
            run(
                [std(post="g", n=3, band=(18, 6), pillars=pillars)],
                [],
                people,
                facilities=[wh],
                period=night,
            )
        )
        assert cell(f, "2024-02-14 21:00 WITA").status == "ok"
        late = cell(f, "2024-02-14 22:00 WITA")
        assert late.status == "short" and late.present == 3
        assert late.pillar_mix == (("pemda", 1), ("polri", 2), ("tni", 0))
        (gap,) = f.gaps
        assert (gap.start, gap.end, gap.missing_pillars, gap.shortfall) == (
            at(22),
            at(6, 15),
            frozenset({"tni"}),
            0,
        )
        assert f.coverage_pct == pytest.approx(100 * 4 / 12)
        assert f.staffing_pct == 100.0  # heads were always enough
        assert f.unobserved == ()  # enough people watching: a mix problem, not a blind spot

    def test_pillar_leaving_mid_hour(self):
        wh = FacilityInput("gudang", "Asia/Jakarta", ("g",))
        f = only(
            run(
                [std(post="g", n=2, band=(18, 6), pillars={"polri", "tni"})],
                [],
                [
                    here("p1", wib(14, 18), wib(14, 23), post="g", pillar="polri"),
                    here("t1", wib(14, 18), wib(14, 22, 30), post="g", pillar="tni"),
                    here("p2", wib(14, 22, 45), wib(14, 23), post="g", pillar="polri"),
                ],
                facilities=[wh],
                period=Interval(wib(14, 22), wib(14, 23)),
            )
        )
        (h,) = f.hours
        assert h.pillar_mix == (("polri", 1), ("tni", 0))
        assert (h.present, h.present_person_minutes, h.short_minutes) == (1, 105.0, 30.0)
        (gap,) = f.gaps
        assert (gap.start, gap.shortfall, gap.missing_pillars) == (
            wib(14, 22, 30),
            1,
            frozenset({"tni"}),
        )

    def test_facility_with_several_posts(self):
        # Gate needs 2, warehouse door needs 1. Gate has 3, door has 0 from 10:00 to 12:00.
        fac = FacilityInput("kpu", "Asia/Jakarta", ("gate", "door"))
        f = only(
            run(
                [std(post="gate", n=2), std(post="door", n=1)],
                [],
                [
                    *(here(p, wib(14), wib(15), post="gate") for p in ("a", "b", "c")),
                    here("d", wib(14), wib(14, 10), post="door"),
                    here("d", wib(14, 12), wib(15), post="door"),
                ],
                facilities=[fac],
            )
        )
        assert {c.required for c in f.hours} == {3}
        assert f.gaps == ()  # 3 people >= 2 + 1 all the time
        assert f.post("gate").gaps == ()
        (door_gap,) = f.post("door").gaps
        assert (door_gap.post_id, door_gap.start, door_gap.end) == (
            "door",
            wib(14, 10),
            wib(14, 12),
        )
        assert f.post("door").coverage_pct == pytest.approx(100 * 22 / 24)
        assert f.post("gate").hours is None

    def test_several_posts_facility_gap_and_post_hours(self):
        fac = FacilityInput("kpu", "Asia/Jakarta", ("gate", "door"))
        f = only(
            run(
                [std(post="gate", n=1), std(post="door", n=1, band=(18, 6))],
                [],
                [here("a", wib(14), wib(15), post="gate")],
                facilities=[fac],
                post_hours=True,
            )
        )
        assert cell(f, "2024-02-14 12:00 WIB").required == 1
        assert cell(f, "2024-02-14 20:00 WIB").required == 2
        assert spans(f.gaps) == [(wib(14), wib(14, 6)), (wib(14, 18), wib(15))]
        assert all(g.post_id is None for g in f.gaps)
        assert spans(f.post("door").gaps) == spans(f.gaps)
        door_hours = f.post("door").hours
        assert door_hours is not None and len(door_hours) == 24
        assert door_hours[12].status == "no-standard" and door_hours[20].status == "short"

    def test_person_rostered_at_two_posts_counts_once_for_facility_and_is_flagged(self):
        fac = FacilityInput("kpu", "Asia/Jakarta", ("gate", "door"))
        f = only(
            run(
                [std(post="gate"), std(post="door")],
                [
                    shift("a", wib(14, 0), wib(15), post="gate"),
                    shift("a", wib(14, 6), wib(14, 9), post="door", sid="D"),
                    shift("b", wib(14, 0), wib(15), post="door"),
                ],
                facilities=[fac],
                now=wib(13),
            )
        )
        assert f.roster_gaps == ()  # a at the gate, b at the door
        assert f.post("door").roster_gaps == () and f.post("gate").roster_gaps == ()
        assert cell(f, "2024-02-14 07:00 WIB").rostered == 2  # not 3
        (flag,) = f.flags
        assert (flag.kind, flag.person_id, flag.shift_id, flag.start, flag.end) == (
            "double-booked",
            "a",
            "D",
            wib(14, 6),
            wib(14, 9),
        )

    def test_pillar_conflict_is_flagged(self):
        f = only(
            run(
                [std()],
                [shift("a", wib(14), wib(14, 6), pillar="tni"), shift("a", wib(14, 8), wib(15))],
            )
        )
        assert [fl.kind for fl in f.flags] == ["pillar-conflict"]


# --------------------------------------------------------------------------------------------
# Unobserved time (guards and cameras)
# --------------------------------------------------------------------------------------------


class TestUnobserved:
    presences = (here("a", wib(14, 6), wib(14, 18)),)

    def test_without_camera_data_it_is_the_headcount_shortfall(self):
        r = run([std()], [], self.presences)
        f = only(r)
        assert not r.camera_data_used and not f.camera_data_used
        assert f.unobserved == (
            Interval(wib(14), wib(14, 6)),
            Interval(wib(14, 18), wib(15)),
        )
        assert f.unobserved_minutes == 12 * 60

    def test_cameras_cover_part_of_the_shortfall(self):
        cams = [
            CameraUp("kpu", wib(13, 20), wib(14, 2)),
            CameraUp("kpu", wib(14, 1), wib(14, 3)),  # overlapping camera intervals
            CameraUp("kpu", wib(14, 20), wib(14, 21)),
            CameraUp("other", wib(14), wib(15)),  # someone else's camera does not help
        ]
        r = run([std()], [], self.presences, camera_up=cams)
        f = only(r)
        assert r.camera_data_used and f.camera_data_used
        assert f.unobserved == (
            Interval(wib(14, 3), wib(14, 6)),
            Interval(wib(14, 18), wib(14, 20)),
            Interval(wib(14, 21), wib(15)),
        )
        assert f.gaps[0].start == wib(14)  # cameras do not close guard gaps

    def test_empty_camera_list_means_cameras_were_down(self):
        f = only(run([std()], [], self.presences, camera_up=[]))
        assert f.camera_data_used and f.unobserved_minutes == 12 * 60

    def test_unobserved_stops_at_now(self):
        f = only(run([std()], [], [], now=wib(14, 5), camera_up=[]))
        assert f.unobserved == (Interval(wib(14), wib(14, 5)),)


# --------------------------------------------------------------------------------------------
# Property tests: a brute-force oracle on a 15-minute grid
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Scale: a month of 300 facilities in three zones (correctness only; timing is a benchmark)
# --------------------------------------------------------------------------------------------


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
