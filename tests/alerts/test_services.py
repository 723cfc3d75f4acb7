from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from apps.alerts.models import Alert, AlertEvent
from apps.alerts.services import alert_acknowledge, alert_assign, alert_raise, alert_resolve


def _raise(facility, key="door:open", **extra):
    return alert_raise(kind=Alert.Kind.OTHER, severity=Alert.Severity.HIGH, facility=facility,
                       dedup_key=key, title="Pintu gudang terbuka", **extra)


def test_repeats_update_the_open_alert_instead_of_flooding(world):
    facility = world.a.facilities["warehouse"]
    first, created = _raise(facility)
    again, created_again = _raise(facility)
    assert created and not created_again
    assert again.pk == first.pk
    first.refresh_from_db()
    assert first.occurrences == 2 and first.last_raised_at >= first.first_raised_at
    assert Alert.objects.count() == 1
    # A repeat counts on the alert: no history line (and no push) each minute.
    assert list(first.events.values_list("action", flat=True)) == ["raised"]


def test_sequence_numbers_grow_with_every_change(world):
    alert, _ = _raise(world.a.facilities["warehouse"])
    seq_raised = alert.last_seq
    alert_acknowledge(alert=alert, user=world.a.users["operator"], comment="dicek")
    alert.refresh_from_db()
    assert alert.last_seq > seq_raised
    assert alert.last_seq == AlertEvent.objects.filter(alert=alert).latest("id").id


def test_a_resolved_condition_opens_a_new_alert_after_its_cooldown(world):
    facility = world.a.facilities["warehouse"]
    alert, _ = _raise(facility)
    alert_resolve(alert=alert, user=world.a.users["operator"], comment="Ditutup petugas")
    again, created = _raise(facility, cooldown=timedelta(minutes=5))
    assert not created and again.pk == alert.pk  # flapping within the cooldown merges
    Alert.objects.filter(pk=alert.pk).update(resolved_at=timezone.now() - timedelta(minutes=6))
    fresh, created = _raise(facility, cooldown=timedelta(minutes=5))
    assert created and fresh.pk != alert.pk


def test_workflow_records_who_and_when(world):
    operator = world.a.users["operator"]
    commander = world.a.users["commander"]
    alert, _ = _raise(world.a.facilities["kpu_office"])
    alert_acknowledge(alert=alert, user=operator, comment="Unit meluncur")
    alert_assign(alert=alert, user=operator, assignee=commander)
    with pytest.raises(ValueError):
        alert_resolve(alert=alert, user=operator, comment="  ")
    alert_resolve(alert=alert, user=operator, comment="Aman, hanya angin")
    alert.refresh_from_db()
    assert alert.state == Alert.State.RESOLVED
    assert alert.acknowledged_by == operator and alert.resolved_by == operator
    assert alert.assigned_to == commander
    assert list(alert.events.values_list("action", "actor__username")) == [
        ("raised", None), ("acknowledged", operator.username),
        ("assigned", operator.username), ("resolved", operator.username),
    ]


def test_only_permitted_people_act_on_alerts(world):
    alert, _ = _raise(world.a.facilities["kpu_office"])
    for who in (world.a.users["kpu"], world.a.users["field_polri"], world.b.users["operator"],
                world.a.users["admin"]):
        with pytest.raises(PermissionDenied):
            alert_acknowledge(alert=alert, user=who)
    with pytest.raises(PermissionDenied):
        alert_assign(alert=alert, user=world.a.users["operator"],
                     assignee=world.b.users["operator"])


@pytest.mark.django_db(transaction=True)
def test_pushes_reach_exactly_the_allowed_people_after_commit(world):
    layer = get_channel_layer()
    channels = {}
    for city in (world.a, world.b):
        for name, user in city.users.items():
            channel = async_to_sync(layer.new_channel)()
            async_to_sync(layer.group_add)(f"user.{user.pk}", channel)
            channels[(city.key, name)] = channel
    alert, _ = _raise(world.a.facilities["bawaslu_office"])

    def received(key) -> bool:
        if not layer.channels.get(channels[key]):  # in-memory layer: nothing queued
            return False
        return async_to_sync(layer.receive)(channels[key])["id"] == alert.pk

    got = {key for key in channels if received(key)}
    expected = {("A", n) for n in ("operator", "commander", "padal", "field_tni",
                                   "field_pemda", "bawaslu", "admin")} | {("B", "admin")}
    # field_polri (district 1) and the KPU do not see the Bawaslu office; of city B only the
    # administrator (who sees everything) does.
    assert got == expected


@pytest.mark.django_db(transaction=True)
def test_concurrent_raises_of_one_condition_make_one_alert(world):
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL")
    facility = world.a.facilities["warehouse"]
    barrier = threading.Barrier(8)
    errors = []

    def worker():
        try:
            barrier.wait(timeout=10)
            _raise(facility, key="race")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    alert = Alert.objects.get(dedup_key="race")
    assert alert.occurrences == 8


def test_unacknowledged_high_alerts_escalate_once(world):
    from apps.alerts.services import alert_escalate_due

    high, _ = _raise(world.a.facilities["warehouse"], key="high")
    alert_raise(kind=Alert.Kind.OTHER, severity=Alert.Severity.LOW,
                         facility=world.a.facilities["warehouse"], dedup_key="low", title="x")
    acknowledged, _ = _raise(world.a.facilities["warehouse"], key="acked")
    alert_acknowledge(alert=acknowledged, user=world.a.users["operator"])
    later = timezone.now() + timedelta(minutes=11)
    assert alert_escalate_due(now=later) == [high.pk]
    assert alert_escalate_due(now=later) == []
    high.refresh_from_db()
    assert high.escalated_at == later
    assert high.events.filter(action="escalated").count() == 1
    assert alert_escalate_due(now=timezone.now()) == []
