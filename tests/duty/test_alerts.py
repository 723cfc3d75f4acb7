"""Duty alerts through the alerts core, with dedup keys so repeats merge: a post below its
standard now, a missed check-in, an open slot starting soon; the periodic task behind them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from apps.alerts.models import Alert
from apps.duty.alerting import duty_checks_run
from apps.duty.models import Shift
from tests.duty.conftest import NOW, make_attendance, make_shift, night_standard


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_a_post_below_its_standard_raises_one_alert_that_repeats(duty, frozen):
    post = duty.post("A")  # the operation asks 2 guards around the clock
    make_attendance(make_shift(post, duty.user("field_polri"), NOW - timedelta(hours=1)))
    first = duty_checks_run()
    assert first.understaffed == 6  # every covered facility's post in both cities
    alert = Alert.objects.get(dedup_key=f"duty:understaffed:post:{post.pk}")
    assert alert.kind == Alert.Kind.POST_UNDERSTAFFED
    assert alert.facility == post.facility and alert.severity == Alert.Severity.HIGH
    assert "1" in alert.title and "2" in alert.title
    frozen.shift(timedelta(minutes=1))
    duty_checks_run()
    alert.refresh_from_db()
    assert Alert.objects.filter(kind=Alert.Kind.POST_UNDERSTAFFED).count() == 6
    assert alert.occurrences == 2


def test_nobody_present_is_critical_and_a_missing_pillar_counts(duty, frozen):
    duty_checks_run()
    empty = Alert.objects.get(dedup_key=f"duty:understaffed:post:{duty.post('A').pk}")
    assert empty.severity == Alert.Severity.CRITICAL
    warehouse = duty.post("A", "warehouse")
    night_standard(warehouse, NOW - timedelta(days=1))
    # 10:00 WIB: the day band asks 2, no pillar; two present satisfies it.
    for name in ("field_polri", "field_pemda"):
        make_attendance(make_shift(warehouse, duty.user(name), NOW - timedelta(hours=2)))
    duty_checks_run()
    # Raised once before (nobody there), not repeated now that the day band is met.
    assert Alert.objects.get(dedup_key=f"duty:understaffed:post:{warehouse.pk}"
                             ).occurrences == 1


def test_a_missing_pillar_at_night_is_understaffed(duty):
    warehouse = duty.post("A", "warehouse")
    night = NOW + timedelta(hours=13)  # 23:00 WIB
    night_standard(warehouse, NOW - timedelta(days=1))
    for name in ("field_polri", "field_pemda", "padal"):
        make_attendance(make_shift(warehouse, duty.user(name), night - timedelta(hours=1)))
    with time_machine.travel(night, tick=False):
        duty_checks_run()
    alert = Alert.objects.get(dedup_key=f"duty:understaffed:post:{warehouse.pk}")
    assert "TNI" in alert.detail  # three present, but no TNI


def test_a_missed_check_in_is_recorded_and_alerted_once(duty, frozen):
    grace = settings.DUTY_MISSED_CHECK_IN_MINUTES
    shift = make_shift(duty.post("A"), duty.user("field_polri"),
                       NOW - timedelta(minutes=grace - 1))
    assert duty_checks_run().missed == 0  # not yet
    frozen.shift(timedelta(minutes=2))
    assert duty_checks_run().missed == 1
    shift.refresh_from_db()
    assert shift.missed_check_in_at is not None
    alert = Alert.objects.get(kind=Alert.Kind.MISSED_CHECK_IN)
    assert alert.dedup_key == f"duty:missed:shift:{shift.pk}"
    assert duty_checks_run().missed == 0  # claimed: never twice
    assert Alert.objects.filter(kind=Alert.Kind.MISSED_CHECK_IN).count() == 1


def test_drafts_and_checked_in_shifts_are_not_missed(duty, frozen):
    make_shift(duty.post("A"), duty.user("field_polri"), NOW - timedelta(hours=1),
               published=False)
    make_attendance(make_shift(duty.post("A"), duty.user("field_tni"),
                               NOW - timedelta(hours=1)))
    assert duty_checks_run().missed == 0


def test_an_open_slot_starting_soon_is_alerted_once(duty, frozen):
    lookahead = timedelta(hours=settings.DUTY_UNASSIGNED_LOOKAHEAD_HOURS)
    soon = make_shift(duty.post("A"), None, NOW + lookahead - timedelta(minutes=1))
    make_shift(duty.post("A"), None, NOW + lookahead + timedelta(minutes=1))  # later
    assert duty_checks_run().unassigned == 1
    assert duty_checks_run().unassigned == 0
    alert = Alert.objects.get(kind=Alert.Kind.UNASSIGNED_SHIFT)
    assert alert.dedup_key == f"duty:unassigned:shift:{soon.pk}" and alert.occurrences == 1


def test_alert_titles_are_in_the_readers_language(duty, frozen):
    duty_checks_run()
    alert = Alert.objects.get(dedup_key=f"duty:understaffed:post:{duty.post('A').pk}")
    post = duty.post("A").name
    assert alert.title == f"Kurang personel: {post}, 0 dari 2 hadir"  # stored: the default
    with translation.override("en"):
        assert alert.shown_title == f"Understaffed: {post}, 0 of 2 present"
    with translation.override("id"):
        assert alert.shown_title == alert.title and "Pos Pos" not in alert.shown_title


def test_the_live_alert_reaches_the_operators_feed(client, duty, frozen,
                                                   django_capture_on_commit_callbacks):
    """Done when: a live understaffed alert reaches the operator's alert feed (page and
    websocket group)."""
    layer = get_channel_layer()
    operator = duty.user("operator")
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(f"user.{operator.pk}", channel)
    with django_capture_on_commit_callbacks(execute=True):
        duty_checks_run()
    pushed = async_to_sync(layer.receive)(channel)
    assert pushed["kind"] == Alert.Kind.POST_UNDERSTAFFED
    alert = Alert.objects.get(dedup_key=f"duty:understaffed:post:{duty.post('A').pk}")
    client.force_login(operator)
    feed = client.get(reverse("alerts:feed")).content.decode()
    assert f"/{alert.pk}/" in feed and "kpu_office A" in feed
    client.force_login(duty.user("operator", "B"))  # another city sees none of it
    feed_b = client.get(reverse("alerts:feed")).content.decode()
    assert "kpu_office A" not in feed_b and f"/{alert.pk}/" not in feed_b


def test_the_periodic_task_is_registered_and_scheduled(duty, frozen):
    from portal.celery import app

    task = app.tasks["duty.check_guarding"]
    entry = app.conf.beat_schedule["duty-check-guarding"]
    assert entry["task"] == "duty.check_guarding" and entry["schedule"] == 60.0
    assert task.time_limit and task.soft_time_limit and task.soft_time_limit < task.time_limit
    result = task.apply().get()
    assert result["understaffed"] >= 1


def test_no_shift_at_a_facility_without_posts_changes_nothing(db, world):
    assert duty_checks_run().understaffed == 0
    assert not Shift.objects.exists() and not Alert.objects.exists()
