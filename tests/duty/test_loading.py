"""The coverage loader: a fixed number of queries whatever the length of the period, and the
rules it applies (operation default vs a post's own standards, published shifts only,
camera uptime from the state-change record, capped forgotten check-outs)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from apps.cameras.models import Camera, CameraStateChange
from apps.duty import coverage as cov
from apps.duty.loading import coverage_inputs
from apps.duty.models import CoverageStandard, GuardPost
from apps.places.models import Facility
from tests.duty.conftest import make_attendance, make_shift, night_standard

WIB = ZoneInfo("Asia/Jakarta")
DAY0 = datetime(2026, 11, 1, tzinfo=WIB)


def _facilities(world):
    return list(Facility.objects.filter(region__path__startswith=world.a.city.path)
                .select_related("region").order_by("pk"))


def _fill(duty, days: int) -> None:
    """Three 8-hour shifts a day at every post of city A, checked in, with a camera outage."""
    people = [duty.user(n) for n in ("field_polri", "field_tni", "field_pemda")]
    for k, facility in enumerate(("kpu_office", "bawaslu_office", "warehouse")):
        post = duty.post("A", facility)
        camera = Camera.objects.create(facility=post.facility, name=f"cam {k}",
                                       source_kind="mjpeg", url=f"http://127.0.0.1:8554/x{k}")
        CameraStateChange.objects.create(camera=camera, state="online", at=DAY0)
        for d in range(days):
            for s in range(3):
                # One person per shift, rotating over the posts so nobody overlaps.
                shift = make_shift(post, people[(s + k) % 3],
                                   DAY0 + timedelta(days=d, hours=8 * s), hours=8)
                make_attendance(shift, shift.start + timedelta(minutes=d % 7),
                                shift.end if d % 5 else None)
            CameraStateChange.objects.create(camera=camera, state="offline",
                                             at=DAY0 + timedelta(days=d, hours=3))
            CameraStateChange.objects.create(camera=camera, state="online",
                                             at=DAY0 + timedelta(days=d, hours=4))
    night_standard(duty.post("A", "warehouse"), DAY0 - timedelta(days=30))


def _count(world, days: int) -> int:
    period = cov.Interval(DAY0, DAY0 + timedelta(days=days))
    facilities = _facilities(world)
    with CaptureQueriesContext(connection) as captured:
        inputs = coverage_inputs(facilities=facilities, period=period,
                                 now=period.end + timedelta(hours=1))
    assert len(inputs.shifts) >= days * 9
    return len(captured.captured_queries)


def test_query_count_is_the_same_for_2_and_20_days(duty):
    _fill(duty, 20)
    assert _count(duty.world, 2) == _count(duty.world, 20) <= 10


def test_query_count_does_not_grow_with_facilities(duty):
    _fill(duty, 2)
    small = _count(duty.world, 2)
    for i in range(10):
        facility = Facility.objects.create(name=f"Gudang {i}", kind="kpu_warehouse",
                                           owner_agency=duty.world.a.agencies["kpu"],
                                           region=duty.world.a.d2)
        duty.world.a.operation.facilities.add(facility)
        post = GuardPost.objects.create(facility=facility, name="Pos", is_main=True)
        make_shift(post, None, DAY0)
    assert _count(duty.world, 2) == small


def _report(duty, period, now, facility="kpu_office", **kwargs):
    facilities = [duty.post("A", facility).facility]
    facilities = list(Facility.objects.filter(pk=facilities[0].pk).select_related("region"))
    inputs = coverage_inputs(facilities=facilities, period=period, now=now, **kwargs)
    return inputs, inputs.compute(now=now).facilities[0]


def test_the_operation_default_applies_to_the_main_post_until_its_own_standard(duty):
    post = duty.post("A")
    period = cov.Interval(DAY0, DAY0 + timedelta(days=2))
    _inputs, result = _report(duty, period, period.end)
    assert [h.required for h in result.hours[:2]] == [2, 2]  # the operation's min_guards
    CoverageStandard.objects.create(post=post, band_start=time(0), band_end=time(0),
                                    min_personnel=1, valid_from=DAY0 + timedelta(days=1))
    _inputs, result = _report(duty, period, period.end)
    required = [h.required for h in result.hours]
    assert set(required[:24]) == {2} and set(required[24:]) == {1}  # replaced mid-period


def test_a_warehouse_standard_with_pillars(duty):
    post = duty.post("A", "warehouse")
    night_standard(post, DAY0 - timedelta(days=1))
    tni, polri = duty.user("field_tni"), duty.user("field_polri")
    night = DAY0 + timedelta(hours=18)
    for person in (tni, polri):
        make_attendance(make_shift(post, person, night, hours=12))
    period = cov.Interval(night, night + timedelta(hours=12))
    _inputs, result = _report(duty, period, period.end, facility="warehouse")
    (gap,) = result.gaps
    assert gap.required == 3 and gap.present == 2 and gap.missing_pillars == {"pemda"}


def test_drafts_and_open_slots_are_not_rostered(duty):
    post = duty.post("A")
    make_shift(post, duty.user("field_polri"), DAY0, published=False)
    make_shift(post, None, DAY0)
    period = cov.Interval(DAY0, DAY0 + timedelta(hours=8))
    inputs, result = _report(duty, period, DAY0)
    assert inputs.shifts == [] and result.hours[0].rostered == 0
    inputs, _ = _report(duty, period, DAY0, include_drafts=True)
    assert len(inputs.shifts) == 1


def test_a_forgotten_check_out_is_capped_at_its_shift_end_even_outside_the_period(duty):
    shift = make_shift(duty.post("A"), duty.user("field_polri"), DAY0 - timedelta(hours=8))
    make_attendance(shift)  # never checked out
    period = cov.Interval(DAY0, DAY0 + timedelta(hours=4))
    _inputs, result = _report(duty, period, DAY0 + timedelta(days=1))
    # Planned end DAY0 + 1 h grace: one hour of presence inside the period, flagged.
    assert result.hours[0].present == 1 and result.hours[1].present == 0
    assert [f.kind for f in result.flags] == ["missing-checkout"]


def test_camera_uptime_from_state_changes(duty):
    facility = duty.post("A").facility
    a = Camera.objects.create(facility=facility, name="a", source_kind="mjpeg", url="http://x")
    b = Camera.objects.create(facility=facility, name="b", source_kind="mjpeg", url="http://y")
    at = lambda h: DAY0 + timedelta(hours=h)  # noqa: E731
    CameraStateChange.objects.bulk_create([
        CameraStateChange(camera=a, state="online", at=at(-5)),  # up when the period starts
        CameraStateChange(camera=a, state="offline", at=at(2)),
        CameraStateChange(camera=b, state="degraded", at=at(3)),  # degraded still watches
        CameraStateChange(camera=b, state="offline", at=at(5)),
        CameraStateChange(camera=a, state="online", at=at(6)),
        CameraStateChange(camera=a, state="offline", at=at(30)),  # after the period
    ])
    period = cov.Interval(DAY0, at(10))
    inputs, result = _report(duty, period, at(8))
    ups = sorted((c.start, c.end) for c in inputs.camera_up)
    assert ups == [(at(0), at(2)), (at(3), at(5)), (at(6), at(8))]
    assert result.camera_data_used
    # Nobody guarded at all: unobserved exactly where no camera was up, until now.
    assert [(i.start, i.end) for i in result.unobserved] == [(at(2), at(3)), (at(5), at(6))]


def test_no_camera_at_all_means_every_shortfall_is_unobserved(duty):
    period = cov.Interval(DAY0, DAY0 + timedelta(hours=3))
    _inputs, result = _report(duty, period, period.end)
    assert result.unobserved_minutes == 180


@pytest.mark.parametrize("vendor_fast", [True, False])
def test_timestamps_read_exactly(duty, monkeypatch, vendor_fast):
    """Microseconds survive the fast integer path on PostgreSQL (and the plain one)."""
    from apps.duty import loading

    if not vendor_fast:
        monkeypatch.setattr(loading, "timestamp_reader", lambda: (F, lambda v: v))
    start = datetime(2026, 11, 1, 1, 2, 3, 456789, tzinfo=UTC)
    shift = make_shift(duty.post("A"), duty.user("field_polri"), start)
    make_attendance(shift, start + timedelta(microseconds=1), None)
    period = cov.Interval(DAY0, DAY0 + timedelta(days=1))
    inputs, _ = _report(duty, period, period.end)
    assert [(s.start, s.end) for s in inputs.shifts] == [(shift.start, shift.end)]
    assert inputs.presences[0].check_in == start + timedelta(microseconds=1)
    assert inputs.presences[0].check_out is None
