"""Web Push: devices subscribe from their page, every raise and escalation reaches the devices
of the people who may see the alert (of a high alert, the people its escalation step told:
tests/alerts/test_escalation.py), encrypted for each device and signed with the portal's
VAPID key (a test push service decrypts and checks them), cut to what each person may see;
every attempt is recorded, a device the push service says is gone is removed, a hanging push
service holds only its own requests, and "Acknowledge" works once from the notification."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from apps.alerts.models import Alert
from apps.alerts.services import alert_escalate_due, alert_raise
from apps.cameras.models import Camera, Orientation
from apps.notifications import webpush
from apps.notifications.models import PushAttempt, PushSubscription
from tests.notifications.receiver import push_service

CAMERA_NAME = "Ruang Arsip Surat Suara"


@pytest.fixture
def service():
    with push_service() as add:
        yield add


def _subscribe(client, user, device) -> PushSubscription:
    client.force_login(user)
    response = client.post(reverse("notifications:subscribe"), device.subscription(),
                           content_type="application/json", HTTP_USER_AGENT="Android Chrome")
    assert response.status_code == 201, response.content
    client.logout()
    return PushSubscription.objects.get(pk=response.json()["id"])


def _raise(world, capture, key="gate:1", camera=None, title="Pintu gudang terbuka",
           severity=Alert.Severity.HIGH) -> Alert:
    """A high alert is told to the chain's first step (the operators: nobody is on duty);
    a medium one to everyone who may see it."""
    with capture(execute=True):
        return alert_raise(kind=Alert.Kind.MOTION, severity=severity,
                           facility=world.a.facilities["warehouse"], camera=camera,
                           dedup_key=key, title=title, detail="Rak 3")[0]


def test_a_raised_alert_reaches_the_device_encrypted_and_signed(
        client, world, service, django_capture_on_commit_callbacks):
    phone = service("phone")
    subscription = _subscribe(client, world.a.users["operator"], phone)
    assert subscription.user == world.a.users["operator"]
    alert = _raise(world, django_capture_on_commit_callbacks)
    [message] = phone.received
    payload = message["payload"]
    assert payload["title"] == "Pintu gudang terbuka"
    assert payload["url"] == alert.get_absolute_url() and payload["tag"] == f"alert-{alert.pk}"
    assert "Rak 3" in payload["body"] and alert.facility.name in payload["body"]
    assert payload["ack"]["label"] == "Tandai diterima"  # the default language
    assert message["claims"]["k"] == webpush.public_key(settings.VAPID_PRIVATE_KEY)
    assert message["claims"]["sub"] == settings.VAPID_SUBJECT
    assert message["headers"]["Urgency"] == "high"
    [attempt] = PushAttempt.objects.all()
    assert (attempt.subscription, attempt.alert, attempt.status) == (subscription, alert, 201)
    assert attempt.service == f"127.0.0.1:{phone.endpoint.split(':')[2].split('/')[0]}"


def test_an_escalation_is_sent_flagged_to_the_next_step(client, world, service,
                                                        django_capture_on_commit_callbacks):
    operator, padal = service("operator"), service("padal")
    _subscribe(client, world.a.users["operator"], operator)
    _subscribe(client, world.a.users["padal"], padal)
    _raise(world, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert alert_escalate_due(now=timezone.now() + timedelta(minutes=3))
    assert [m["payload"]["title"] for m in operator.received] == ["Pintu gudang terbuka"]
    assert [m["payload"]["title"] for m in padal.received] == [
        "Dieskalasi: Pintu gudang terbuka"]


def test_each_person_gets_only_what_they_may_see(client, world, service,
                                                django_capture_on_commit_callbacks):
    camera = Camera.objects.create(facility=world.a.facilities["warehouse"], name=CAMERA_NAME,
                                   source_kind="rtsp", url="rtsp://192.168.77.14/arsip",
                                   orientation=Orientation.INWARD)
    devices = {who: service(who) for who in ("operator", "field_tni", "kpu")}
    for who, device in devices.items():
        _subscribe(client, world.a.users[who], device)
    elsewhere = service("elsewhere")
    _subscribe(client, world.b.users["operator"], elsewhere)
    alert = _raise(world, django_capture_on_commit_callbacks, key="inward:1", camera=camera,
                   title=f"Gerakan: {CAMERA_NAME}", severity=Alert.Severity.MEDIUM)
    for who in ("operator", "field_tni"):
        [message] = devices[who].received
        assert CAMERA_NAME not in str(message["payload"]), who
        assert message["payload"]["title"] == str(alert.get_kind_display()), who
        assert "Rak 3" not in message["payload"]["body"]
    [owner] = devices["kpu"].received
    assert owner["payload"]["title"] == f"Gerakan: {CAMERA_NAME}"
    assert elsewhere.received == []  # may not see the alert: nothing at all
    assert PushAttempt.objects.filter(user=world.b.users["operator"]).count() == 0
    # Only those who may act on the alert are offered "Acknowledge".
    assert "ack" in devices["operator"].received[0]["payload"]
    assert "ack" not in devices["kpu"].received[0]["payload"]


def test_a_subscription_the_push_service_calls_gone_is_removed(
        client, world, service, django_capture_on_commit_callbacks):
    old = service("old", status=410)
    subscription = _subscribe(client, world.a.users["operator"], old)
    _raise(world, django_capture_on_commit_callbacks)
    assert len(old.received) == 1
    assert not PushSubscription.objects.filter(pk=subscription.pk).exists()
    [attempt] = PushAttempt.objects.all()
    assert attempt.status == 410 and attempt.subscription is None


def test_a_hanging_push_service_does_not_delay_the_others(
        client, world, service, settings, django_capture_on_commit_callbacks):
    settings.PUSH_TIMEOUT = 1.5
    stuck, phone = service("stuck", hang=True), service("phone")
    _subscribe(client, world.a.users["operator"], stuck)
    _subscribe(client, world.a.users["commander"], phone)
    _raise(world, django_capture_on_commit_callbacks, severity=Alert.Severity.MEDIUM)
    finished = time.monotonic()
    [message], [held] = phone.received, stuck.received
    # Sent side by side: the phone did not wait for the stuck service's timeout...
    assert abs(message["at"] - held["at"]) < settings.PUSH_TIMEOUT / 2
    # ...and the stuck request was given up after it.
    assert finished - held["at"] < settings.PUSH_TIMEOUT + 2.0
    attempts = {a.subscription.endpoint.rsplit("/", 1)[-1]: a for a in PushAttempt.objects.all()}
    assert attempts["phone"].status == 201 and attempts["phone"].duration_ms < 1500
    assert attempts["stuck"].status is None and attempts["stuck"].error == "TimeoutError"
    assert attempts["stuck"].duration_ms >= 1400


def test_acknowledge_from_the_notification_works_once(client, world, service,
                                                     django_capture_on_commit_callbacks):
    phone = service("phone")
    operator = world.a.users["operator"]
    _subscribe(client, operator, phone)
    alert = _raise(world, django_capture_on_commit_callbacks)
    ack = phone.received[0]["payload"]["ack"]
    anonymous = client.__class__()
    assert anonymous.post(ack["url"], {"token": ack["token"] + "x"}).status_code == 403
    assert anonymous.post(ack["url"], {"token": ack["token"]}).status_code == 204
    alert.refresh_from_db()
    assert alert.state == Alert.State.ACKNOWLEDGED and alert.acknowledged_by == operator
    assert anonymous.post(ack["url"], {"token": ack["token"]}).status_code == 403


def test_an_expired_acknowledge_token_is_refused(client, world, service, settings,
                                                  django_capture_on_commit_callbacks):
    phone = service("phone")
    _subscribe(client, world.a.users["operator"], phone)
    alert = _raise(world, django_capture_on_commit_callbacks)
    settings.PUSH_ACK_MAX_AGE = -1
    ack = phone.received[0]["payload"]["ack"]
    assert client.__class__().post(ack["url"], {"token": ack["token"]}).status_code == 403
    alert.refresh_from_db()
    assert alert.state == Alert.State.OPEN


@pytest.mark.parametrize("endpoint", ["https://10.1.2.3/push/x", "https://169.254.169.254/x",
                                      "ftp://push.example/x"])
def test_private_and_odd_endpoints_are_refused(client, world, endpoint):
    client.force_login(world.a.users["operator"])
    device = {"endpoint": endpoint, "keys": {"p256dh": "B" + "A" * 86, "auth": "A" * 22}}
    response = client.post(reverse("notifications:subscribe"), device,
                           content_type="application/json")
    assert response.status_code == 400
    assert not PushSubscription.objects.exists()


def test_loopback_endpoints_only_where_allowed(client, world, service, settings):
    settings.PUSH_ALLOW_LOOPBACK = False
    client.force_login(world.a.users["operator"])
    response = client.post(reverse("notifications:subscribe"), service("x").subscription(),
                           content_type="application/json")
    assert response.status_code == 400


def test_the_devices_page_lists_and_removes_only_ones_own(client, world, service):
    mine = _subscribe(client, world.a.users["operator"], service("mine"))
    theirs = _subscribe(client, world.a.users["commander"], service("theirs"))
    client.force_login(world.a.users["operator"])
    page = client.get(reverse("notifications:devices"))
    assert page.status_code == 200
    assert page.context["subscriptions"].get() == mine
    assert webpush.public_key(settings.VAPID_PRIVATE_KEY) in page.content.decode()
    assert settings.VAPID_PRIVATE_KEY not in page.content.decode()
    assert client.post(reverse("notifications:remove", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("notifications:remove", args=[mine.pk])).status_code == 302
    assert list(PushSubscription.objects.all()) == [theirs]


def test_administrators_read_the_attempts_in_the_admin(client, world, service,
                                                      django_capture_on_commit_callbacks):
    subscription = _subscribe(client, world.a.users["operator"], service("phone"))
    _raise(world, django_capture_on_commit_callbacks)
    attempt = PushAttempt.objects.get()
    client.force_login(world.a.users["admin"])
    for url in (reverse("admin:notifications_pushattempt_changelist"),
                reverse("admin:notifications_pushattempt_change", args=[attempt.pk]),
                reverse("admin:notifications_pushsubscription_changelist")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert subscription.endpoint not in response.content.decode()  # a capability URL
    client.force_login(world.a.users["operator"])
    response = client.get(reverse("admin:notifications_pushattempt_changelist"))
    assert response.status_code in (302, 403)


# The access matrix for notifications: what each person of both cities gets of an alert from
# an inward camera at city A's warehouse. "kind": the alert's kind only (no camera, no
# detail), "full": as raised; "+ack": offered "Acknowledge". Anyone else: nothing at all.
INWARD_ALERT_NOTIFIED = {
    ("A", "operator"): "kind+ack", ("A", "commander"): "kind+ack", ("A", "padal"): "kind+ack",
    ("A", "field_tni"): "kind", ("A", "field_pemda"): "kind",  # the operation's agencies
    ("A", "kpu"): "full",  # the owner agency
    ("A", "admin"): "kind", ("B", "admin"): "kind",
}


def test_the_access_matrix_of_notifications(client, world, service,
                                            django_capture_on_commit_callbacks):
    from apps.access import policy

    camera = Camera.objects.create(facility=world.a.facilities["warehouse"], name=CAMERA_NAME,
                                   source_kind="rtsp", url="rtsp://192.168.77.14/arsip",
                                   orientation=Orientation.INWARD)
    people = {(city.key, who): user for city in (world.a, world.b)
              for who, user in city.users.items()}
    devices = {person: service(f"{person[0]}-{person[1]}") for person in people}
    for person, device in devices.items():
        _subscribe(client, people[person], device)
    alert = _raise(world, django_capture_on_commit_callbacks, key="inward:1", camera=camera,
                   title=f"Gerakan: {CAMERA_NAME}", severity=Alert.Severity.MEDIUM)
    got = {}
    for person, device in devices.items():
        if not device.received:
            continue
        [message] = device.received
        payload = message["payload"]
        if CAMERA_NAME in str(payload):
            assert payload["title"] == f"Gerakan: {CAMERA_NAME}", person
            cut = "full"
        else:
            assert payload["title"] == str(alert.get_kind_display()), person
            assert "Rak 3" not in payload["body"] and "192.168" not in str(payload), person
            cut = "kind"
        got[person] = cut + ("+ack" if "ack" in payload else "")
    assert got == INWARD_ALERT_NOTIFIED
    for person, user in people.items():  # and the matrix is the policy's
        assert (person in got) == policy.can(user, policy.Action.VIEW, alert), person
        assert got.get(person, "").endswith("+ack") == policy.can(
            user, policy.Action.OPERATE, alert), person
