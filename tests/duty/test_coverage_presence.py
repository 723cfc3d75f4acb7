"""Unit tests for apps.duty.coverage, pure Python: presence arithmetic and unobserved time
(guards and cameras)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from apps.duty.coverage import CameraUp, Interval
from tests.duty.coverage_helpers import DAY14, cell, here, only, run, shift, spans, std, wib

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
