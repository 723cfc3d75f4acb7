"""Builders for the coverage unit tests (tests/duty/test_coverage_*.py): instants in
election week, standards, shifts and check-ins as apps.duty.coverage takes them, and a
`run` that fills in one Jakarta facility and one day."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from itertools import count
from zoneinfo import ZoneInfo

from apps.duty.coverage import (
    CoverageReport,
    FacilityCoverage,
    FacilityInput,
    HourCell,
    Interval,
    Presence,
    Shift,
    Standard,
    compute_coverage,
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
