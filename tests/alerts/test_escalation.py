"""The escalation chain of high-severity alerts, with a frozen clock: the people on duty are
told first (the command center's watch, the post's Padal on shift), else the chain's first
step at once; each step is due its delay after the previous notice, the last repeats until
someone acknowledges; the region's chain for the severity is used, else the default; two
sweeps never tell one step twice; every notice is in the history (shown in Indonesian), and
reaches each person's device as the feed would show it to them."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from apps.accounts.models import Role
from apps.alerts import escalation
from apps.alerts.models import (
    Alert,
    AlertEvent,
    CommandWatch,
    EscalationChain,
    EscalationStep,
)
from apps.alerts.services import (
    alert_acknowledge,
    alert_escalate_due,
    alert_escalation_fire,
    alert_raise,
)
from apps.cameras.models import Camera, Orientation
from apps.duty.models import GuardPost, Shift
from apps.notifications.models import PushSubscription
from apps.notifications.sending import send_alert
from tests.cast import person
from tests.notifications.receiver import push_service

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
CAMERA_NAME = "Ruang Arsip Surat Suara"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _raise(facility, severity=Alert.Severity.HIGH, key="gate", camera=None) -> Alert:
    return alert_raise(kind=Alert.Kind.MOTION, severity=severity, facility=facility,
                       camera=camera, dedup_key=key, title=f"Gerakan: {CAMERA_NAME}")[0]


def _notices(alert: Alert) -> list[tuple]:
    """(step, role, repeat, usernames told) of each notice, oldest first."""
    return [(e.step, e.role, e.repeat, sorted(u.username for u in e.notified.all()))
            for e in alert.events.exclude(step=None).order_by("id")]


def _sweep_at(clock, moment) -> list[int]:
    clock.move_to(moment)
    return alert_escalate_due()


def test_the_default_chain_tells_each_step_on_time_and_repeats_until_acknowledged(
        world, clock):
    operator, padal, commander = (world.a.users[n] for n in ("operator", "padal", "commander"))
    alert = _raise(world.a.facilities["warehouse"])
    # Nobody on duty: the chain's first step (the operators) is told at the raise.
    assert _notices(alert) == [(1, Role.OPERATOR, 0, [operator.username])]
    assert alert.events.get().action == AlertEvent.Action.RAISED
    alert.refresh_from_db()
    assert alert.escalation_due_at == NOW + 3 * MIN and alert.escalated_at is None

    assert _sweep_at(clock, NOW + 3 * MIN - timedelta(seconds=1)) == []
    assert _sweep_at(clock, NOW + 3 * MIN) == [alert.pk]  # Padal, 3 min after the operators
    assert _sweep_at(clock, NOW + 8 * MIN - timedelta(seconds=1)) == []
    assert _sweep_at(clock, NOW + 8 * MIN) == [alert.pk]  # commander, 5 min after the Padal
    assert _sweep_at(clock, NOW + 13 * MIN) == [alert.pk]  # again every 5 min
    assert _sweep_at(clock, NOW + 18 * MIN) == [alert.pk]
    assert _notices(alert) == [
        (1, Role.OPERATOR, 0, [operator.username]),
        (2, Role.POST_COMMANDER, 0, [padal.username]),
        (3, Role.COMMANDER, 0, [commander.username]),
        (3, Role.COMMANDER, 1, [commander.username]),
        (3, Role.COMMANDER, 2, [commander.username]),
    ]
    alert.refresh_from_db()
    assert alert.escalated_at == NOW + 3 * MIN  # the wall's escalated sound from step 2 on
    assert alert.escalation_due_at == NOW + 23 * MIN

    clock.move_to(NOW + 20 * MIN)
    alert_acknowledge(alert=alert, user=commander)
    alert.refresh_from_db()
    assert alert.escalation_due_at is None
    assert _sweep_at(clock, NOW + 60 * MIN) == []
    assert len(_notices(alert)) == 5


def test_the_people_on_duty_are_told_first(world, clock):
    warehouse = world.a.facilities["warehouse"]
    operator, padal = world.a.users["operator"], world.a.users["padal"]
    second_operator = person("operator_2_a", world.a.agencies["polres"], {Role.OPERATOR})
    CommandWatch.objects.create(person=operator, region=world.a.city, start=NOW - 4 * 60 * MIN,
                                end=NOW + 4 * 60 * MIN)
    CommandWatch.objects.create(person=second_operator, region=world.a.city,
                                start=NOW - 9 * 60 * MIN, end=NOW - 60 * MIN)  # ended
    gate = GuardPost.objects.create(facility=warehouse, name="Pos Gudang")
    Shift.objects.create(post=gate, person=padal, start=NOW - 60 * MIN, end=NOW + 7 * 60 * MIN,
                         published_at=NOW - 24 * 60 * MIN)
    # A Padal on a shift still in draft, or at another facility, is not on duty here.
    other_padal = person("padal_2_a", world.a.agencies["polres"], {Role.POST_COMMANDER})
    Shift.objects.create(post=gate, person=other_padal, start=NOW - 60 * MIN,
                         end=NOW + 60 * MIN)
    office = GuardPost.objects.create(facility=world.a.facilities["kpu_office"], name="Depan")
    Shift.objects.create(post=office, person=other_padal, start=NOW + 60 * MIN,
                         end=NOW + 2 * 60 * MIN, published_at=NOW - 60 * MIN)

    alert = _raise(warehouse)
    assert _notices(alert) == [(0, "", 0, sorted([operator.username, padal.username]))]
    alert.refresh_from_db()
    assert alert.escalation_due_at == NOW + 2 * MIN  # the chain's first step after them
    assert _sweep_at(clock, NOW + 2 * MIN) == [alert.pk]
    assert _notices(alert)[1] == (1, Role.OPERATOR, 0,
                                  sorted([operator.username, second_operator.username]))


def test_a_panic_press_is_told_at_once_to_every_operator_and_padal(world, clock):
    """Nobody is on a watch or a shift here: a motion alert would wait for the chain, a
    guard's panic reaches the command center and the Padal with its first notice."""
    warehouse = world.a.facilities["warehouse"]
    alert = alert_raise(kind=Alert.Kind.PANIC, severity=Alert.Severity.CRITICAL,
                        facility=warehouse, dedup_key="panic:t", title="Tombol panik")[0]
    told = _notices(alert)[0]
    assert told[:2] == (0, "")
    assert {world.a.users["operator"].username, world.a.users["padal"].username} <= set(told[3])
    assert world.a.users["field_polri"].username not in told[3]
    assert told[3] == sorted(u.username for u in escalation.step_people(alert, Role.OPERATOR)
                             | escalation.step_people(alert, Role.POST_COMMANDER))


def test_a_step_with_nobody_to_tell_hands_on_at_once(world, clock):
    world.a.users["operator"].set_roles({Role.FIELD_OFFICER})
    alert = _raise(world.a.facilities["warehouse"])
    assert _notices(alert) == [(1, Role.OPERATOR, 0, [])]
    alert.refresh_from_db()
    assert alert.escalation_due_at == NOW
    assert alert_escalate_due() == [alert.pk]
    assert _notices(alert)[1] == (2, Role.POST_COMMANDER, 0, [world.a.users["padal"].username])


def _chain(region, severity, steps, repeat=2) -> EscalationChain:
    chain = EscalationChain.objects.create(region=region, severity=severity,
                                           repeat_minutes=repeat)
    for position, (role, delay) in enumerate(steps, 1):
        EscalationStep.objects.create(chain=chain, position=position, role=role,
                                      delay_minutes=delay)
    return chain


def test_the_nearest_regions_chain_for_the_severity_is_used(world, clock):
    _chain(world.a.city, Alert.Severity.HIGH, [(Role.COMMANDER, 0), (Role.OPERATOR, 1)])
    _chain(world.a.province, Alert.Severity.HIGH, [(Role.POST_COMMANDER, 9)])
    _chain(world.a.province, Alert.Severity.CRITICAL, [(Role.POST_COMMANDER, 0)], repeat=7)
    warehouse = world.a.facilities["warehouse"]  # in a district of city A
    high = _raise(warehouse, key="high")
    assert _notices(high) == [(1, Role.COMMANDER, 0, [world.a.users["commander"].username])]
    high.refresh_from_db()
    assert high.escalation_due_at == NOW + MIN  # the city chain's second step
    assert _sweep_at(clock, NOW + MIN) == [high.pk]
    high.refresh_from_db()
    assert high.escalation_due_at == NOW + 3 * MIN  # its last step repeats every 2 min

    critical = _raise(warehouse, severity=Alert.Severity.CRITICAL, key="critical")
    assert _notices(critical)[0][:2] == (1, Role.POST_COMMANDER)
    critical.refresh_from_db()
    assert critical.escalation_due_at == NOW + 8 * MIN  # one step: repeats every 7 min
    assert critical.pk in _sweep_at(clock, NOW + 8 * MIN)
    assert _notices(critical)[-1][:3] == (1, Role.POST_COMMANDER, 1)  # its first repeat

    elsewhere = _raise(world.b.facilities["warehouse"], key="b")  # city B has no chain
    assert _notices(elsewhere)[0][:2] == (1, Role.OPERATOR)
    assert escalation.chain_for(elsewhere.facility, Alert.Severity.HIGH) == (
        escalation.DEFAULT_CHAIN)


def test_lower_severities_are_told_to_everyone_and_do_not_escalate(world, clock):
    alert = _raise(world.a.facilities["warehouse"], severity=Alert.Severity.MEDIUM)
    assert _notices(alert) == [] and alert.escalation_due_at is None
    assert _sweep_at(clock, NOW + 60 * MIN) == []


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_tell_a_step_once(world):
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL")
    alerts = [_raise(world.a.facilities["warehouse"], key=f"race:{i}") for i in range(3)]
    due = max(Alert.objects.filter(pk__in=[a.pk for a in alerts])
              .values_list("escalation_due_at", flat=True))
    barrier = threading.Barrier(4)
    swept, fired, errors = [], [], []

    def sweep():
        try:
            barrier.wait(timeout=10)
            swept.extend(alert_escalate_due(now=due))
            fired.append(alert_escalation_fire(alerts[0].pk, now=due))  # its scheduled task
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    told = swept + [alerts[0].pk for told_it in fired if told_it]
    assert sorted(told) == sorted(a.pk for a in alerts)
    for alert in alerts:
        assert alert.events.filter(action=AlertEvent.Action.ESCALATED).count() == 1


def test_the_scheduled_task_tells_its_step_only_when_it_is_still_due(world, clock):
    from apps.alerts.tasks import escalate_step

    alert = _raise(world.a.facilities["warehouse"])
    due = Alert.objects.get(pk=alert.pk).escalation_due_at
    assert escalate_step(alert.pk, due.isoformat()) is False  # early: not yet
    clock.move_to(due)
    assert escalate_step(alert.pk, due.isoformat()) is True
    assert escalate_step(alert.pk, due.isoformat()) is False  # that due time has passed
    assert len(_notices(alert)) == 2


def test_the_history_says_who_was_told_and_who_answered_in_indonesian(client, world, clock):
    padal = world.a.users["padal"]
    alert = _raise(world.a.facilities["warehouse"])
    _sweep_at(clock, NOW + 3 * MIN)
    clock.move_to(NOW + 4 * MIN)
    alert_acknowledge(alert=alert, user=padal)
    client.force_login(world.a.users["commander"])
    page = client.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    operator = str(world.a.users["operator"])
    assert f"Langkah 1 · Operator Posko: diberitahukan kepada {operator}" in page
    assert f"Langkah 2 · Perwira Pengendali (Padal): diberitahukan kepada {padal}" in page
    assert "Dijawab setelah pemberitahuan langkah 2 · Perwira Pengendali (Padal)" in page
    assert "Dieskalasi" in page


@pytest.fixture
def service():
    with push_service() as add:
        yield add


def test_each_step_reaches_its_people_as_the_feed_shows_it_to_them(
        world, service, django_capture_on_commit_callbacks):
    """An inward camera's alert: security staff are told its kind only, step after step;
    the KPU official who owns the camera is in no step of the chain."""
    warehouse = world.a.facilities["warehouse"]
    camera = Camera.objects.create(facility=warehouse, name=CAMERA_NAME, source_kind="rtsp",
                                   url="rtsp://192.168.77.14/arsip",
                                   orientation=Orientation.INWARD)
    devices = {}
    for who in ("operator", "padal", "commander", "kpu"):
        devices[who] = service(who)
        keys = devices[who].subscription()
        PushSubscription.objects.create(user=world.a.users[who], endpoint=keys["endpoint"],
                                        p256dh=keys["keys"]["p256dh"], auth=keys["keys"]["auth"])
    with django_capture_on_commit_callbacks(execute=True):
        alert = _raise(warehouse, camera=camera)
    for minutes in (3, 8):
        with django_capture_on_commit_callbacks(execute=True):
            assert alert_escalate_due(now=timezone.now() + minutes * MIN) == [alert.pk]
    with translation.override(settings.LANGUAGE_CODE):
        kind = str(alert.get_kind_display())
    titles = {who: [m["payload"]["title"] for m in device.received]
              for who, device in devices.items()}
    assert titles == {"operator": [kind], "padal": [f"Dieskalasi: {kind}"],
                      "commander": [f"Dieskalasi: {kind}"], "kpu": []}
    for device in devices.values():
        assert all(CAMERA_NAME not in str(m["payload"]) for m in device.received)
    # The same notice sent again reaches the same people only.
    step_two = alert.events.get(step=2)
    assert send_alert(step_two.pk) == 1
    assert len(devices["padal"].received) == 2


def test_a_reopened_alert_starts_the_chain_again_and_a_cleared_one_stops_it(world, clock):
    from apps.alerts.services import alert_clear

    warehouse = world.a.facilities["warehouse"]
    alert = _raise(warehouse)
    _sweep_at(clock, NOW + 3 * MIN)
    clock.move_to(NOW + 4 * MIN)
    alert_clear(dedup_keys=["gate"])
    alert.refresh_from_db()
    assert alert.escalation_due_at is None
    assert _sweep_at(clock, NOW + 30 * MIN) == []

    alert_raise(kind=Alert.Kind.MOTION, severity=Alert.Severity.HIGH, facility=warehouse,
                dedup_key="gate", title="Gerakan", cooldown=60 * MIN)
    alert.refresh_from_db()
    assert alert.state == Alert.State.OPEN and alert.escalated_at is None
    assert alert.events.order_by("id").last().action == AlertEvent.Action.REOPENED
    assert _notices(alert)[-1] == (1, Role.OPERATOR, 0, [world.a.users["operator"].username])
    assert alert.escalation_due_at == NOW + 33 * MIN


def test_the_sweep_tells_what_is_due_and_schedules_what_comes_before_the_next(
        world, clock, monkeypatch):
    from apps.alerts.tasks import escalate_due_alerts

    overdue, soon, later = (_raise(world.a.facilities["warehouse"], key=k)
                            for k in ("overdue", "soon", "later"))
    Alert.objects.filter(pk=overdue.pk).update(escalation_due_at=NOW - MIN)
    Alert.objects.filter(pk=soon.pk).update(escalation_due_at=NOW + timedelta(seconds=20))
    scheduled = []
    monkeypatch.setattr(escalation, "schedule", lambda *args: scheduled.append(args))
    assert escalate_due_alerts() == 1
    assert _notices(overdue)[-1][:2] == (2, Role.POST_COMMANDER)
    assert scheduled == [(soon.pk, NOW + timedelta(seconds=20))]  # not `later` (in 3 min)
    assert later.escalation_due_at == NOW + 3 * MIN
