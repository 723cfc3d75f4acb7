"""An alert whose condition ends resolves itself with a history line saying so; a repeat counts
on the alert instead of adding a line each minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from apps.alerts.models import Alert, AlertEvent
from apps.alerts.services import alert_clear, alert_raise, alert_resolve
from apps.cameras.models import Camera, Orientation
from apps.duty.alerting import duty_checks_run
from apps.records.services.compliance import patrol_overdue_check
from apps.records.services.patrols import patrol_visit_record
from apps.streams.watcher import DjangoSink, _HealthTracker
from apps.vision.motion import MotionResult, ZoneMotion
from apps.vision.source import StreamHealth, StreamState
from apps.vision.tamper import TamperEvent, TamperKind
from tests.duty.conftest import NOW, duty, make_attendance, make_shift  # noqa: F401
from tests.records.conftest import points, visit  # noqa: F401 - the fixture is used below


def _actions(alert: Alert) -> list[str]:
    return list(alert.events.order_by("id").values_list("action", flat=True))


def _raise(facility, key="door:open", **extra):
    return alert_raise(kind=Alert.Kind.OTHER, severity=Alert.Severity.HIGH, facility=facility,
                       dedup_key=key, title="Pintu gudang terbuka", **extra)[0]


# --- the service -----------------------------------------------------------------------------


def test_a_cleared_condition_resolves_its_alert_once_with_a_line_saying_so(world):
    alert = _raise(world.a.facilities["warehouse"])
    assert alert_clear(dedup_keys=["door:open", "nothing:open"]) == [alert.pk]
    assert alert_clear(dedup_keys=["door:open"]) == []
    alert.refresh_from_db()
    assert alert.state == Alert.State.RESOLVED and alert.resolved_by is None
    assert alert.resolved_at is not None
    assert _actions(alert) == ["raised", "cleared"]
    assert alert.last_seq == alert.events.latest("id").pk  # pushed like every change
    cleared = alert.events.get(action="cleared")
    with translation.override("id"):
        assert cleared.get_action_display() == "Selesai otomatis"


def test_a_condition_back_within_its_cooldown_reopens_the_alert_that_cleared_itself(world):
    facility = world.a.facilities["warehouse"]
    alert = _raise(facility)
    alert_clear(dedup_keys=["door:open"])
    again, raised = alert_raise(kind=Alert.Kind.OTHER, severity=Alert.Severity.HIGH,
                                facility=facility, dedup_key="door:open", title="x",
                                cooldown=timedelta(minutes=5))
    assert raised and again.pk == alert.pk
    alert.refresh_from_db()
    assert alert.state == Alert.State.OPEN and alert.resolved_at is None
    assert alert.occurrences == 2
    assert _actions(alert) == ["raised", "cleared", "reopened"]


def test_a_person_resolving_within_the_cooldown_is_not_overruled(world):
    facility = world.a.facilities["warehouse"]
    alert = _raise(facility)
    alert_resolve(alert=alert, user=world.a.users["operator"], comment="Sudah dicek")
    _raise(facility, cooldown=timedelta(minutes=5))
    alert.refresh_from_db()
    assert alert.state == Alert.State.RESOLVED and alert.occurrences == 2
    assert _actions(alert) == ["raised", "resolved"]


def test_the_history_page_says_why_the_alert_resolved_itself(client, world):
    camera = Camera.objects.create(facility=world.a.facilities["kpu_office"], name="Halaman",
                                   source_kind="rtsp", url="rtsp://192.168.77.31/halaman",
                                   orientation=Orientation.OUTWARD)
    alert, _ = alert_raise(kind=Alert.Kind.CAMERA_OFFLINE, severity=Alert.Severity.HIGH,
                           facility=camera.facility, camera=camera, dedup_key="off",
                           params={"msg": "camera.offline", "camera": camera.name})
    alert_clear(dedup_keys=["off"])
    client.force_login(world.a.users["kpu"])
    page = client.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert "Selesai otomatis" in page and "Kamera kembali terhubung." in page


# --- the camera watcher ----------------------------------------------------------------------


@pytest.fixture
def camera(world):
    return Camera.objects.create(facility=world.a.facilities["warehouse"], name="Gerbang",
                                 source_kind="rtsp", url="rtsp://192.168.77.32/gerbang",
                                 orientation=Orientation.OUTWARD)


def _health(state: StreamState) -> StreamHealth:
    return StreamHealth(state=state, fps=5.0 if state != StreamState.OFFLINE else 0.0,
                        bitrate=None, last_frame_at=None, last_frame_age=None, reconnects=0,
                        frames=0, corrupt_frames=0, error="connection refused")


def test_a_camera_back_online_resolves_its_offline_alert(camera, settings):
    settings.CAMERA_OFFLINE_ALERT_AFTER = 0
    tracker = _HealthTracker(camera)
    tracker.flush(_health(StreamState.OFFLINE), "w")
    alert = Alert.objects.get(camera=camera, kind=Alert.Kind.CAMERA_OFFLINE)
    assert alert.params == {"msg": "camera.offline", "camera": "Gerbang"}
    assert alert.detail == "connection refused"
    tracker.flush(_health(StreamState.ONLINE), "w")
    alert.refresh_from_db()
    assert alert.state == Alert.State.RESOLVED and _actions(alert) == ["raised", "cleared"]


def test_an_offline_alert_of_an_earlier_watcher_resolves_when_frames_arrive(camera):
    alert, _ = alert_raise(kind=Alert.Kind.CAMERA_OFFLINE, severity=Alert.Severity.HIGH,
                           facility=camera.facility, camera=camera,
                           dedup_key=f"camera:{camera.pk}:offline",
                           params={"msg": "camera.offline", "camera": camera.name})
    _HealthTracker(camera).flush(_health(StreamState.ONLINE), "w")  # a new watcher
    alert.refresh_from_db()
    assert alert.state == Alert.State.RESOLVED


def test_tampering_that_stops_resolves_its_alert(camera):
    sink = DjangoSink(camera)
    sink.tamper(TamperEvent(TamperKind.COVERED, True, 1.0), None, None)
    sink.tamper(TamperEvent(TamperKind.MOVED, True, 1.0), None, None)
    covered = Alert.objects.get(dedup_key=f"camera:{camera.pk}:tamper:covered")
    assert covered.params == {"msg": "camera.tamper", "tamper": "covered", "camera": "Gerbang"}
    sink.tamper(TamperEvent(TamperKind.COVERED, False, 9.0), None, None)
    covered.refresh_from_db()
    assert covered.state == Alert.State.RESOLVED
    moved = Alert.objects.get(dedup_key=f"camera:{camera.pk}:tamper:moved")
    assert moved.state == Alert.State.OPEN  # another kind goes on


def test_motion_is_stored_with_its_zones(camera):
    sink = DjangoSink(camera)
    zones = (ZoneMotion("frame", 0.2, ((0.1, 0.1, 0.2, 0.2),)), ZoneMotion("rak", 0.0, ()))
    sink.motion(MotionResult(zones=zones, changed_fraction=0.2, rebaselined=False), None, None)
    alert = Alert.objects.get(camera=camera, kind=Alert.Kind.MOTION)
    assert alert.params == {"msg": "camera.motion", "zones": ["frame"], "camera": "Gerbang"}


# --- the duty checks -------------------------------------------------------------------------


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_a_guard_checking_in_resolves_the_missed_check_in_and_the_understaffed_post(
        duty, frozen):  # noqa: F811
    post = duty.post("A")  # two guards around the clock
    grace = settings.DUTY_MISSED_CHECK_IN_MINUTES
    present = make_shift(post, duty.user("field_polri"), NOW - timedelta(hours=1))
    make_attendance(present)
    late = make_shift(post, duty.user("field_tni"), NOW - timedelta(minutes=grace + 1))
    duty_checks_run()
    missed = Alert.objects.get(dedup_key=f"duty:missed:shift:{late.pk}")
    understaffed = Alert.objects.get(dedup_key=f"duty:understaffed:post:{post.pk}")
    frozen.shift(timedelta(minutes=1))
    duty_checks_run()  # still missing: a repeat, no new history line
    understaffed.refresh_from_db()
    assert understaffed.occurrences == 2 and _actions(understaffed) == ["raised"]
    make_attendance(late, check_in=NOW + timedelta(minutes=1))
    frozen.shift(timedelta(minutes=1))  # the next run, a minute after the check-in
    assert duty_checks_run().cleared >= 2
    for alert in (missed, understaffed):
        alert.refresh_from_db()
        assert alert.state == Alert.State.RESOLVED, alert.kind
        assert _actions(alert) == ["raised", "cleared"], alert.kind


def test_the_missed_check_in_resolves_the_moment_the_guard_checks_in(duty, frozen):  # noqa: F811
    from apps.duty.services import attendance_check_in

    guard = duty.user("field_tni")
    late = make_shift(duty.post("A"), guard,
                      NOW - timedelta(minutes=settings.DUTY_MISSED_CHECK_IN_MINUTES + 1))
    duty_checks_run()
    alert = Alert.objects.get(dedup_key=f"duty:missed:shift:{late.pk}")
    attendance_check_in(shift=late, user=guard)
    alert.refresh_from_db()
    assert alert.state == Alert.State.RESOLVED
    with translation.override("id"):
        assert alert.events.get(action="cleared").shown_comment == "Petugas sudah lapor diri."


def test_assigning_an_open_slot_resolves_its_alert(duty, frozen):  # noqa: F811
    lookahead = timedelta(hours=settings.DUTY_UNASSIGNED_LOOKAHEAD_HOURS)
    slot = make_shift(duty.post("A"), None, NOW + lookahead - timedelta(minutes=1))
    duty_checks_run()
    alert = Alert.objects.get(dedup_key=f"duty:unassigned:shift:{slot.pk}")
    slot.person = duty.user("field_polri")
    slot.save(update_fields=["person"])
    duty_checks_run()
    alert.refresh_from_db()
    assert alert.state == Alert.State.RESOLVED


# --- patrols ---------------------------------------------------------------------------------


def test_a_patrol_visit_resolves_the_overdue_alert(world, points, settings):  # noqa: F811
    settings.RECORDS_PATROL_GRACE_MINUTES = 15
    now = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    officer = world.a.users["field_polri"]
    patrol_visit_record(user=officer, entry=visit(points.gate), now=now - timedelta(hours=2))
    later = now + timedelta(hours=1, minutes=20)
    patrol_overdue_check(now=later)
    kpu_office = world.a.facilities["kpu_office"]
    alert = Alert.objects.get(kind=Alert.Kind.PATROL_OVERDUE, facility=kpu_office)
    with translation.override("en"):
        assert alert.shown_title.startswith("Patrol overdue at ")
    patrol_visit_record(user=officer, entry=visit(points.gate), now=later)
    patrol_overdue_check(now=later + timedelta(minutes=5))
    alert.refresh_from_db()
    assert alert.state == Alert.State.RESOLVED
    assert AlertEvent.objects.filter(alert=alert, action="cleared").count() == 1
