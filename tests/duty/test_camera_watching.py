"""A covered (tampered) or disabled camera does not watch: the fused coverage does not count
it, and the facility's camera uptime shows it as tampered or disabled, not up."""

from __future__ import annotations

from datetime import timedelta

from apps.alerts.models import Alert, AlertEvent
from apps.cameras.models import Camera, CameraStateChange
from apps.cameras.uptime import DISABLED, TAMPERED, uptime_by_camera, uptime_fraction
from apps.duty import coverage as cov
from tests.duty.test_loading import DAY0, _report


def at(hours: float):
    return DAY0 + timedelta(hours=hours)


def online_camera(facility, name: str, **kwargs) -> Camera:
    camera = Camera.objects.create(facility=facility, name=name, source_kind="mjpeg",
                                   url=f"http://127.0.0.1:8554/{name}", **kwargs)
    CameraStateChange.objects.create(camera=camera, state="online", at=at(-5))
    return camera


def tamper(camera: Camera, start: float, end: float | None, *, resolved_by_hand=False) -> None:
    alert = Alert.objects.create(
        kind=Alert.Kind.TAMPER, severity=Alert.Severity.HIGH, facility=camera.facility,
        camera=camera, title="Lensa tertutup", dedup_key=f"camera:{camera.pk}:tamper:{start}",
        first_raised_at=at(start), last_raised_at=at(start),
        state=Alert.State.OPEN if end is None else Alert.State.RESOLVED,
        resolved_at=None if end is None else at(end))
    AlertEvent.objects.create(alert=alert, action=AlertEvent.Action.RAISED, at=at(start))
    if end is not None:
        action = AlertEvent.Action.RESOLVED if resolved_by_hand else AlertEvent.Action.CLEARED
        AlertEvent.objects.create(alert=alert, action=action, at=at(end))


def test_a_tampered_camera_does_not_watch_in_the_fused_coverage(duty):
    camera = online_camera(duty.post("A").facility, "gerbang")
    tamper(camera, 2, 4)
    tamper(camera, 7, None)  # still covered
    inputs, result = _report(duty, cov.Interval(DAY0, at(10)), at(9))
    assert sorted((c.start, c.end) for c in inputs.camera_up) == [(at(0), at(2)), (at(4), at(7))]
    assert [(i.start, i.end) for i in result.unobserved] == [(at(2), at(4)), (at(7), at(9))]


def test_a_disabled_camera_does_not_watch_in_the_fused_coverage(duty):
    online_camera(duty.post("A").facility, "mati", enabled=False)
    inputs, result = _report(duty, cov.Interval(DAY0, at(4)), at(4))
    assert inputs.camera_up == []
    assert result.unobserved_minutes == 240


def test_the_uptime_strip_shows_tampered_and_disabled_time_as_down(duty):
    facility = duty.post("A").facility
    covered = online_camera(facility, "tertutup")
    tamper(covered, 6, 12, resolved_by_hand=True)
    off = online_camera(facility, "nonaktif", enabled=False)
    well = online_camera(facility, "baik")
    parts = uptime_by_camera([covered.pk, off.pk, well.pk], at(0), at(24))
    assert [(p.state, p.start, p.end) for p in parts[covered.pk]] == [
        ("online", at(0), at(6)), (TAMPERED, at(6), at(12)), ("online", at(12), at(24))]
    assert uptime_fraction(parts[covered.pk]) == 0.75
    assert [p.state for p in parts[off.pk]] == [DISABLED]
    assert uptime_fraction(parts[off.pk]) == 0
    assert uptime_fraction(parts[well.pk]) == 1


def test_the_daily_report_counts_tampered_and_disabled_time_as_down(duty):
    from apps.records.report import daily_report

    facility = duty.post("A").facility
    covered = online_camera(facility, "tertutup")
    tamper(covered, 6, 12, resolved_by_hand=True)
    off = online_camera(facility, "nonaktif", enabled=False)
    well = online_camera(facility, "baik")
    report = daily_report(user=duty.user("kpu"), operation=duty.world.a.operation,
                          day=DAY0.date(), now=at(30))
    uptime = {line.name: line.uptime_pct for line in report.cameras}
    assert uptime == {covered.name: 75.0, off.name: 0.0, well.name: 100.0}
