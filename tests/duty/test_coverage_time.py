"""Unit tests for apps.duty.coverage, pure Python: time (midnight, bands, zones, DST, period
edges, "now")."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from apps.duty.coverage import FacilityInput, Interval
from tests.duty.coverage_helpers import (
    HOUR,
    JAP,
    JKT,
    MIN,
    MKS,
    cell,
    here,
    only,
    run,
    shift,
    spans,
    std,
    utc,
    wib,
)


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
