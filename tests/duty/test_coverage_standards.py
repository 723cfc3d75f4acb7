"""Unit tests for apps.duty.coverage, pure Python: standards, pillars and posts."""

from __future__ import annotations

from datetime import datetime

import pytest

from apps.duty.coverage import FacilityInput, Interval
from tests.duty.coverage_helpers import LONG_AGO, MKS, cell, here, only, run, shift, spans, std, wib


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
