"""Check-in and check-out from a phone: time rules, late, early leave, handover notes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from apps.duty import services
from apps.duty.models import Attendance
from tests.duty.conftest import NOW, make_attendance, make_shift

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def shift(duty):
    """field_polri's published shift at the city A KPU office, started 5 minutes ago."""
    return make_shift(duty.post("A"), duty.user("field_polri"), NOW - timedelta(minutes=5))


def test_check_in_on_time(shift):
    attendance = services.attendance_check_in(shift=shift, user=shift.person)
    assert attendance.checked_in_at == NOW == attendance.check_in_received_at
    assert attendance.late_minutes == 0 and not attendance.check_in_delayed
    assert attendance.pillar == "polri" and attendance.post == shift.post


def test_check_in_after_the_late_threshold_is_recorded_late(duty):
    shift = make_shift(duty.post("A"), duty.user("field_polri"), NOW - timedelta(minutes=23))
    assert services.attendance_check_in(shift=shift, user=shift.person).late_minutes == 23


def test_check_in_window(duty):
    officer = duty.user("field_polri")
    early = make_shift(duty.post("A"), officer, NOW + timedelta(minutes=31))
    with pytest.raises(ValidationError) as error:
        services.attendance_check_in(shift=early, user=officer)
    assert error.value.code == "early"
    ended = make_shift(duty.post("A"), officer, NOW - timedelta(hours=9))
    with pytest.raises(ValidationError) as error:
        services.attendance_check_in(shift=ended, user=officer)
    assert error.value.code == "ended"
    other = duty.user("field_tni")
    soon = make_shift(duty.post("A"), other, NOW + timedelta(minutes=29), hours=1)
    assert services.attendance_check_in(shift=soon, user=other).late_minutes == 0


def test_only_the_person_on_a_published_shift_checks_in(duty, shift):
    with pytest.raises(PermissionDenied):
        services.attendance_check_in(shift=shift, user=duty.user("field_tni"))
    draft = make_shift(duty.post("A", "warehouse"), duty.user("field_tni"), NOW,
                       published=False)
    with pytest.raises(PermissionDenied):
        services.attendance_check_in(shift=draft, user=draft.person)


@pytest.mark.parametrize(("offset", "outcome"), [
    (timedelta(minutes=4), "ok"),
    (timedelta(minutes=6), "future"),
    (-timedelta(minutes=59), "ok"),
    (-timedelta(hours=2), "delayed"),
    (-timedelta(hours=23, minutes=59), "delayed"),
    (-timedelta(hours=24, minutes=1), "too_old"),
])
def test_device_time_rules(duty, offset, outcome):
    """T-IN-13: > 5 min ahead refused, > 24 h old refused, > 1 h old accepted and flagged."""
    device = NOW + offset
    shift = make_shift(duty.post("A"), duty.user("field_polri"), device - timedelta(minutes=1))
    if outcome in ("future", "too_old"):
        with pytest.raises(ValidationError) as error:
            services.attendance_check_in(shift=shift, user=shift.person, device_time=device)
        assert error.value.code == outcome
        return
    attendance = services.attendance_check_in(shift=shift, user=shift.person,
                                              device_time=device)
    assert attendance.check_in_received_at == NOW  # the server's time is kept, unchanged
    assert attendance.check_in_device_time == device
    assert attendance.checked_in_at == min(device, NOW)
    assert attendance.check_in_delayed == (outcome == "delayed")


def test_a_second_check_in_is_refused(shift):
    services.attendance_check_in(shift=shift, user=shift.person)
    with pytest.raises(ValidationError) as error:
        services.attendance_check_in(shift=shift, user=shift.person)
    assert error.value.code == "duplicate"
    assert Attendance.objects.count() == 1


def test_check_out_records_early_leave_and_the_handover(shift):
    attendance = services.attendance_check_in(shift=shift, user=shift.person)
    with time_machine.travel(shift.end - timedelta(minutes=50), tick=False):
        out = services.attendance_check_out(attendance=attendance, user=shift.person,
                                            handover_note="  Segel gudang utuh.  ")
    assert out.early_leave_minutes == 50 and out.handover_note == "Segel gudang utuh."
    with pytest.raises(ValidationError):
        services.attendance_check_out(attendance=attendance, user=shift.person)


def test_leaving_at_the_end_is_not_early(shift):
    attendance = services.attendance_check_in(shift=shift, user=shift.person)
    with time_machine.travel(shift.end - timedelta(minutes=4), tick=False):
        out = services.attendance_check_out(attendance=attendance, user=shift.person)
    assert out.early_leave_minutes == 0


def test_check_out_before_check_in_is_refused(shift):
    attendance = services.attendance_check_in(shift=shift, user=shift.person)
    with pytest.raises(ValidationError):
        services.attendance_check_out(attendance=attendance, user=shift.person,
                                      device_time=NOW - timedelta(minutes=1))


def test_nobody_else_checks_someone_out(duty, shift):
    attendance = services.attendance_check_in(shift=shift, user=shift.person)
    with pytest.raises(PermissionDenied):
        services.attendance_check_out(attendance=attendance, user=duty.user("padal"))


# --- through the phone page ------------------------------------------------------------------


def test_my_duty_page_checks_in_and_shows_the_handover(client, duty):
    officer, tni = duty.user("field_polri"), duty.user("field_tni")
    before = make_shift(duty.post("A"), tni, NOW - timedelta(hours=8, minutes=5))
    make_attendance(before, check_out=before.end,
                    handover_note="Lampu sorot timur mati, sudah dilaporkan.")
    shift = make_shift(duty.post("A"), officer, NOW - timedelta(minutes=5))
    client.force_login(officer)
    page = client.get(reverse("duty:my_duty")).content.decode()
    assert "Lampu sorot timur mati" in page
    assert reverse("duty:check_in", args=[shift.pk]) in page
    response = client.post(reverse("duty:check_in", args=[shift.pk]), {
        "device_time": (NOW - timedelta(minutes=1)).isoformat(),
        "latitude": "-8.0954321", "longitude": "112.1609876", "accuracy_m": "12"})
    assert response.status_code == 302
    attendance = Attendance.objects.get(shift=shift)
    assert str(attendance.latitude) == "-8.095432" and attendance.accuracy_m == 12
    page = client.get(reverse("duty:my_duty")).content.decode()
    assert reverse("duty:check_out", args=[shift.pk]) in page


@pytest.mark.parametrize("device_time", ["2026-11-23T10:00", "1700000000", "NaN",
                                         "2026-02-30T10:00:00+07:00"])
def test_unreadable_or_naive_device_times_are_a_400(client, shift, device_time):
    client.force_login(shift.person)
    response = client.post(reverse("duty:check_in", args=[shift.pk]),
                           {"device_time": device_time})
    assert response.status_code == 400
    assert not Attendance.objects.exists()


def test_a_phone_clock_ahead_is_a_400_with_a_message(client, shift):
    client.force_login(shift.person)
    response = client.post(reverse("duty:check_in", args=[shift.pk]),
                           {"device_time": (NOW + timedelta(minutes=10)).isoformat()})
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()


def test_check_out_through_the_page(client, shift):
    make_attendance(shift)
    client.force_login(shift.person)
    response = client.post(reverse("duty:check_out", args=[shift.pk]),
                           {"handover_note": "Aman terkendali."})
    assert response.status_code == 302
    assert Attendance.objects.get(shift=shift).handover_note == "Aman terkendali."
    again = client.post(reverse("duty:check_out", args=[shift.pk]), {})
    assert again.status_code == 400


def test_someone_elses_shift_is_a_404(client, duty, shift):
    client.force_login(duty.user("field_tni"))
    assert client.post(reverse("duty:check_in", args=[shift.pk])).status_code == 404
    assert client.post(reverse("duty:check_out", args=[shift.pk])).status_code == 404
