"""Field safety (issue 21, item 4): the panic button from the field pages and the API, its
audience per role, idempotency, rate limit and the no-location case; the lone-post check
with a frozen clock, and who may confirm it."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.test import Client as DjangoClient
from django.urls import reverse

from apps.access import policy
from apps.alerts.models import Alert, AlertEvent
from apps.duty.alerting import duty_checks_run
from apps.duty.models import PanicPress, SafetyConfirmation
from apps.duty.safety import PANIC_LIMIT
from tests.api.conftest import device
from tests.duty.conftest import NOW, make_attendance, make_shift

PANIC_URL = "/api/panic/"


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _on_post(duty, name="field_polri", facility="kpu_office", **post_fields):
    post = duty.post("A", facility)
    for field, value in post_fields.items():
        setattr(post, field, value)
    post.save()
    shift = make_shift(post, duty.user(name), NOW - timedelta(hours=1))
    make_attendance(shift, NOW - timedelta(minutes=50))
    return shift


def _field_client(user) -> tuple[DjangoClient, str]:
    """A phone's browser: a session, CSRF checked as in production, the token from the page."""
    from tests.conftest import verify_otp

    client = DjangoClient(enforce_csrf_checks=True)
    client.force_login(user)
    verify_otp(client, user)
    page = client.get(reverse("duty:my_duty"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "data-panic-button" in html and 'data-panic-url="/api/panic/"' in html
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    return client, token


def _press(client, token, key=None, **body):
    return client.post(PANIC_URL, {"client_key": str(key or uuid.uuid4()), **body},
                       content_type="application/json", HTTP_X_CSRFTOKEN=token)


def test_panic_from_the_field_page_raises_a_critical_alert_with_location(duty, frozen):
    shift = _on_post(duty)
    client, token = _field_client(duty.user("field_polri"))
    response = _press(client, token, latitude="-6.200001", longitude="106.816666",
                      accuracy_m=12, device_time=NOW.isoformat())
    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["with_location"] is True and answer["located_by"] == "shift"
    assert answer["received_local"] == "10.00 WIB" or answer["received_local"].endswith("WIB")
    alert = Alert.objects.get(pk=answer["alert"])
    assert alert.kind == Alert.Kind.PANIC == "panic"
    assert alert.severity == Alert.Severity.CRITICAL
    assert alert.facility == shift.post.facility
    assert str(duty.user("field_polri")) in alert.title and shift.post.name in alert.title
    assert "-6.200001" in alert.detail and "106.816666" in alert.detail and "12" in alert.detail
    assert alert.shown_title.startswith("Tombol darurat")
    press = PanicPress.objects.get()
    assert press.post == shift.post and press.person == duty.user("field_polri")


def test_the_page_without_csrf_token_is_refused(duty, frozen):
    _on_post(duty)
    client, _token = _field_client(duty.user("field_polri"))
    assert _press(client, "wrong").status_code == 403
    assert not Alert.objects.filter(kind=Alert.Kind.PANIC).exists()


def test_a_device_token_presses_too(duty, frozen):
    response = device(duty.user("field_tni")).post(
        PANIC_URL, {"client_key": str(uuid.uuid4())}, content_type="application/json")
    assert response.status_code == 201


def test_no_location_still_raises_and_says_so(duty, frozen):
    response = device(duty.user("field_polri")).post(
        PANIC_URL, {"client_key": str(uuid.uuid4())}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["with_location"] is False
    # No shift, no visit: a facility of the officer's region (one they may see).
    assert response.json()["located_by"] == "region"
    alert = Alert.objects.get(kind=Alert.Kind.PANIC)
    assert "Lokasi tidak diketahui" in alert.detail
    assert alert.facility == duty.world.a.facilities["kpu_office"]


def test_a_resend_is_the_same_press_and_presses_merge_into_one_alert(
        duty, frozen, monkeypatch, django_capture_on_commit_callbacks):
    _on_post(duty)
    client, token = _field_client(duty.user("field_polri"))
    key = uuid.uuid4()
    first = _press(client, token, key)
    again = _press(client, token, key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["duplicate"] is True and again.json()["id"] == first.json()["id"]
    assert PanicPress.objects.count() == 1
    assert Alert.objects.get(kind=Alert.Kind.PANIC).occurrences == 1
    frozen.shift(timedelta(seconds=20))
    pushed = []
    monkeypatch.setattr("apps.alerts.fanout.push_alert", pushed.append)
    with django_capture_on_commit_callbacks(execute=True):
        other = _press(client, token, latitude="-6.3", longitude="106.9")
    assert pushed == [first.json()["alert"]]  # the open pages see the new press at once
    assert other.status_code == 201 and other.json()["alert"] == first.json()["alert"]
    alert = Alert.objects.get(kind=Alert.Kind.PANIC)
    assert alert.occurrences == 2 and "-6.3" in alert.detail  # the latest location


@pytest.mark.parametrize("answer", ["acknowledged", "resolved"])
def test_a_press_after_the_alert_was_answered_alarms_again(
        duty, frozen, monkeypatch, settings, django_capture_on_commit_callbacks, answer):
    from apps.alerts.services import alert_acknowledge, alert_resolve

    _on_post(duty)
    client, token = _field_client(duty.user("field_polri"))
    first = Alert.objects.get(pk=_press(client, token).json()["alert"])
    operator = duty.user("operator")
    if answer == "acknowledged":
        alert_acknowledge(alert=first, user=operator)
    else:
        alert_resolve(alert=first, user=operator, comment="Aman")
    frozen.shift(timedelta(minutes=3))
    settings.VAPID_PRIVATE_KEY = "a key: pushes are queued"
    walls, pushes = [], []
    monkeypatch.setattr("apps.alerts.fanout.push_alert", walls.append)
    monkeypatch.setattr("apps.notifications.sending.enqueue",
                        lambda task, event_id: pushes.append((task, event_id)))
    with django_capture_on_commit_callbacks(execute=True):
        again = _press(client, token, latitude="-6.3", longitude="106.9")
    assert again.status_code == 201
    alert = Alert.objects.get(pk=again.json()["alert"])
    # A new emergency: a new open critical alert, raised like the first (the wall sounds an
    # open alert; the raise is pushed to the command center and the Padal).
    assert alert.pk != first.pk and alert.state == Alert.State.OPEN
    assert alert.severity == Alert.Severity.CRITICAL and "-6.3" in alert.detail
    raised = AlertEvent.objects.get(alert=alert, action=AlertEvent.Action.RAISED)
    assert alert.pk in walls and ("notifications.send_alert", raised.pk) in pushes
    audience = set(policy.users_who_may_view_alert(alert))
    assert {duty.user("operator"), duty.user("padal")} <= audience
    first.refresh_from_db()
    assert first.state == answer  # the answered alert stays with whoever is on it
    # Further presses while the new alert is open merge into it.
    assert _press(client, token).json()["alert"] == alert.pk
    assert Alert.objects.filter(kind=Alert.Kind.PANIC).count() == 2


def test_presses_are_rate_limited(duty, frozen):
    _on_post(duty)
    client, token = _field_client(duty.user("field_polri"))
    for _ in range(PANIC_LIMIT):
        assert _press(client, token).status_code == 201
    refused = _press(client, token)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    frozen.shift(timedelta(minutes=6))
    assert _press(client, token).status_code == 201


def test_only_security_staff_have_the_button(duty, frozen, client):
    assert device(duty.user("kpu")).post(
        PANIC_URL, {"client_key": str(uuid.uuid4())},
        content_type="application/json").status_code == 403
    client.force_login(duty.user("kpu"))
    assert "data-panic-button" not in client.get(reverse("duty:my_duty")).content.decode()


def test_the_patrol_page_has_the_button(duty, client):
    client.force_login(duty.user("field_polri"))
    assert "data-panic-button" in client.get(reverse("records:my_patrol")).content.decode()


# Who hears a panic at a facility no operation covers (only the extension reaches operators
# and Padal there): every person of both cities, "V" sees, "O" acts on it.
PANIC_AUDIENCE = {
    ("A", "operator"): "VO", ("A", "commander"): "VO", ("A", "padal"): "VO",
    ("A", "kpu"): "V", ("A", "admin"): "V", ("B", "admin"): "V",
}


def test_the_panic_audience_per_role(duty, frozen):
    _on_post(duty, facility="uncovered")
    press = device(duty.user("field_polri")).post(
        PANIC_URL, {"client_key": str(uuid.uuid4())}, content_type="application/json")
    alert = Alert.objects.get(pk=press.json()["alert"])
    assert alert.facility == duty.world.a.facilities["uncovered"]
    recipients = set(policy.users_who_may_view_alert(alert))
    for city in (duty.world.a, duty.world.b):
        for name, user in city.users.items():
            expected = PANIC_AUDIENCE.get((city.key, name), "")
            got = ("V" if policy.can(user, policy.Action.VIEW, alert) else "") + (
                "O" if policy.can(user, policy.Action.OPERATE, alert) else "")
            assert got == expected, (city.key, name)
            assert (user in recipients) == ("V" in expected), (city.key, name)


def test_other_alerts_at_that_facility_stay_unseen_by_operators(duty, frozen):
    from apps.alerts.services import alert_raise

    other, _ = alert_raise(kind=Alert.Kind.OTHER, severity=Alert.Severity.HIGH,
                           facility=duty.world.a.facilities["uncovered"], dedup_key="t:x",
                           title="x")
    assert not policy.can(duty.user("operator"), policy.Action.VIEW, other)


# --- the lone-post check -----------------------------------------------------------------


def test_an_overdue_guard_is_alerted_and_confirming_clears_it(duty, frozen, client):
    shift = _on_post(duty, lone_check_minutes=60)  # checked in 50 minutes ago
    assert duty_checks_run().lone_overdue == 0
    frozen.shift(timedelta(minutes=11))
    assert duty_checks_run().lone_overdue == 1
    alert = Alert.objects.get(kind=Alert.Kind.LONE_WORKER_OVERDUE)
    assert alert.dedup_key == f"duty:lone:shift:{shift.pk}"
    assert alert.facility == shift.post.facility and alert.severity == Alert.Severity.HIGH
    assert shift.post.name in alert.title
    client.force_login(duty.user("field_polri"))
    page = client.get(reverse("duty:my_duty")).content.decode()
    assert reverse("duty:safe_confirm", args=[shift.pk]) in page
    response = client.post(reverse("duty:safe_confirm", args=[shift.pk]),
                           {"latitude": "-6.2", "longitude": "106.8", "accuracy_m": "9"})
    assert response.status_code == 302
    confirmation = SafetyConfirmation.objects.get()
    assert (confirmation.person, confirmation.post, confirmation.accuracy_m) == (
        duty.user("field_polri"), shift.post, 9)
    alert.refresh_from_db()
    assert alert.state == Alert.State.RESOLVED and alert.resolved_by is None
    cleared = alert.events.get(action=AlertEvent.Action.CLEARED)
    assert "aman" in cleared.shown_comment
    assert duty_checks_run().lone_overdue == 0  # the interval starts again
    frozen.shift(timedelta(minutes=61))
    assert duty_checks_run().lone_overdue == 1


def test_checking_out_ends_the_alert_and_a_post_without_timer_is_never_alerted(duty, frozen):
    shift = _on_post(duty, lone_check_minutes=30)
    _on_post(duty, name="field_tni", facility="warehouse")  # no timer
    assert duty_checks_run().lone_overdue == 1
    assert Alert.objects.filter(kind=Alert.Kind.LONE_WORKER_OVERDUE).count() == 1
    shift.attendance.checked_out_at = NOW
    shift.attendance.save()
    duty_checks_run()
    assert not Alert.objects.filter(kind=Alert.Kind.LONE_WORKER_OVERDUE).exclude(
        state=Alert.State.RESOLVED).exists()


def test_only_the_guard_on_that_shift_may_confirm(duty, frozen, client):
    shift = _on_post(duty, lone_check_minutes=30)
    url = reverse("duty:safe_confirm", args=[shift.pk])
    for name in ("field_tni", "padal", "operator", "commander"):
        assert not policy.lone_check_shifts(duty.user(name)).filter(pk=shift.pk).exists()
        client.force_login(duty.user(name))
        assert client.post(url).status_code == 404, name
    assert list(policy.lone_check_shifts(duty.user("field_polri"))) == [shift]
    assert SafetyConfirmation.objects.count() == 0
    # The guard's own shift, but not checked in (or already out): not on post.
    later = make_shift(shift.post, duty.user("field_polri"), NOW + timedelta(hours=8))
    assert not policy.lone_check_shifts(duty.user("field_polri")).filter(pk=later.pk).exists()
    client.force_login(duty.user("field_polri"))
    assert client.post(reverse("duty:safe_confirm", args=[later.pk])).status_code == 302
    assert SafetyConfirmation.objects.count() == 0


def test_the_padal_sets_the_lone_check_and_a_guard_may_not(duty, client):
    post = duty.post("A")
    url = reverse("duty:post_lone_check", args=[post.pk])
    client.force_login(duty.user("field_polri"))
    assert client.post(url, {"lone_check_minutes": "30"}).status_code == 404
    client.force_login(duty.user("padal"))
    assert client.post(url, {"lone_check_minutes": "30"}).status_code == 302
    post.refresh_from_db()
    assert post.lone_check_minutes == 30
    assert reverse("duty:post_lone_check", args=[post.pk]) in client.get(
        reverse("duty:standards", args=[post.pk])).content.decode()
    client.post(url, {"lone_check_minutes": ""})
    post.refresh_from_db()
    assert post.lone_check_minutes is None
