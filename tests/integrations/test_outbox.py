"""The webhook outbox: alert events are delivered from the database after a cursor per
endpoint, so a deliverer that is down, a lost kick or a crash loses nothing; a crash at any
step delivers again rather than never; ids committed out of order are not passed."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from apps.alerts.models import Alert, AlertEvent
from apps.alerts.services import alert_raise
from apps.core.periodic import beat_schedule
from apps.integrations import delivery, endpoints, outbox
from apps.integrations.models import WebhookDelivery, WebhookEndpoint
from apps.integrations.tasks import deliver_webhooks
from tests.integrations.receivers import receiver


class Crash(BaseException):
    """The process dying at that line: no handler in the code under test catches it."""


def _endpoint(hooks, url, **extra) -> WebhookEndpoint:
    return endpoints.endpoint_create(by=hooks.user("admin"), name="Pusdalops", url=url,
                                     **extra)[0]


def _raise(hooks, key: str, title: str = "Pintu gudang terbuka") -> Alert:
    return alert_raise(kind=Alert.Kind.OTHER, severity=Alert.Severity.HIGH,
                       facility=hooks.world.a.facilities["kpu_office"], dedup_key=key,
                       title=title)[0]


def _later() -> timezone.datetime:
    """A clock past the cursor's lag: every event so far is settled."""
    return timezone.now() + timedelta(seconds=settings.WEBHOOK_OUTBOX_LAG + 1)


def test_an_event_committed_while_the_deliverer_is_down_is_delivered_later(
        hooks, django_capture_on_commit_callbacks):
    with receiver() as (url, received):
        endpoint = _endpoint(hooks, url)
        with django_capture_on_commit_callbacks(execute=False):  # the kick never runs
            _raise(hooks, "down")
        assert not WebhookDelivery.objects.exists() and received == []
        assert deliver_webhooks.apply().get() == 1  # the beat: one endpoint to deliver for
        assert len(received) == 1
        assert json.loads(received[0]["body"])["data"]["title"] == "Pintu gudang terbuka"
        deliver_webhooks.apply()
        assert len(received) == 1  # read again (within the lag), delivered once
        outbox.run(endpoint.pk, now=_later())
        endpoint.refresh_from_db()
        assert endpoint.cursor == AlertEvent.objects.latest("id").pk
        assert WebhookDelivery.objects.get().state == "delivered" and len(received) == 1


def test_the_beat_runs_the_deliverers_in_both_modes():
    """One schedule (apps.core.periodic): Celery beat reads it in cluster mode, the
    in-process scheduler in embedded mode."""
    tasks = {entry["task"]: entry["schedule"] for entry in beat_schedule().values()}
    assert tasks["integrations.deliver_webhooks"] <= 30


def test_a_crash_after_the_post_before_its_outcome_is_saved_posts_it_again(
        hooks, monkeypatch, django_capture_on_commit_callbacks):
    with receiver() as (url, received):
        endpoint = _endpoint(hooks, url)
        with django_capture_on_commit_callbacks(execute=False):
            _raise(hooks, "crash-post")

        def die(*args, **kwargs):
            raise Crash

        with monkeypatch.context() as patch:
            patch.setattr(delivery, "record", die)
            with pytest.raises(Crash):
                outbox.run(endpoint.pk)
        assert len(received) == 1 and WebhookDelivery.objects.get().state == "pending"
        outbox.run(endpoint.pk)
        assert len(received) == 2
        first, second = (r["headers"]["X-Posko-Delivery"] for r in received)
        assert first == second  # the same delivery: the receiver drops the repeat
        assert WebhookDelivery.objects.get().state == "delivered"


def test_a_crash_between_making_the_deliveries_and_saving_the_cursor_makes_them_again_once(
        hooks, monkeypatch, django_capture_on_commit_callbacks):
    """The deliveries of a page and the cursor's move commit together: a crash in between
    leaves neither, and the next run reads the same events again."""
    with receiver() as (url, received):
        endpoint = _endpoint(hooks, url)
        with django_capture_on_commit_callbacks(execute=False):
            _raise(hooks, "crash-cursor")
        made = outbox._deliveries_for

        def make_then_die(*args, **kwargs):
            made(*args, **kwargs)
            raise Crash

        with monkeypatch.context() as patch:
            patch.setattr(outbox, "_deliveries_for", make_then_die)
            with pytest.raises(Crash):
                outbox.run(endpoint.pk, now=_later())
        endpoint.refresh_from_db()
        assert not WebhookDelivery.objects.exists() and received == []
        outbox.run(endpoint.pk, now=_later())
        endpoint.refresh_from_db()
        assert endpoint.cursor == AlertEvent.objects.latest("id").pk
        assert WebhookDelivery.objects.count() == 1 and len(received) == 1


def test_a_crash_after_the_cursor_moved_before_sending_still_sends(
        hooks, monkeypatch, django_capture_on_commit_callbacks):
    with receiver() as (url, received):
        endpoint = _endpoint(hooks, url)
        with django_capture_on_commit_callbacks(execute=False):
            _raise(hooks, "crash-send")

        def die(*args, **kwargs):
            raise Crash

        with monkeypatch.context() as patch:
            patch.setattr(outbox, "_attempt_due", die)
            with pytest.raises(Crash):
                outbox.run(endpoint.pk, now=_later())
        endpoint.refresh_from_db()
        assert endpoint.cursor == AlertEvent.objects.latest("id").pk  # passed the event...
        assert WebhookDelivery.objects.get().state == "pending"  # ...whose delivery waits
        outbox.run(endpoint.pk)
        assert len(received) == 1 and WebhookDelivery.objects.get().state == "delivered"


def test_the_cursor_never_passes_an_event_committed_out_of_id_order(hooks):
    """A sequence numbers rows when they are inserted: the event with the lower id can commit
    after the higher one was read. Here the higher id is written, delivered, and only then
    the lower one appears; it is delivered too, and each exactly once."""
    alert = Alert.objects.create(kind=Alert.Kind.OTHER, severity=Alert.Severity.HIGH,
                                 facility=hooks.world.a.facilities["kpu_office"],
                                 dedup_key="order", title="Urutan")
    with receiver() as (url, received):
        endpoint = _endpoint(hooks, url)
        base = outbox.head()
        AlertEvent.objects.create(id=base + 2, alert=alert, action="acknowledged")
        assert outbox.run(endpoint.pk) == 1
        endpoint.refresh_from_db()
        assert endpoint.cursor == base  # the new event is within the lag: not passed yet
        AlertEvent.objects.create(id=base + 1, alert=alert, action="raised")  # commits late
        assert outbox.run(endpoint.pk) == 1
        assert outbox.run(endpoint.pk, now=_later()) == 0
        endpoint.refresh_from_db()
        assert endpoint.cursor == base + 2
        seqs = sorted(json.loads(r["body"])["data"]["seq"] for r in received)
        assert seqs == [base + 1, base + 2]
        assert sorted(json.loads(r["body"])["event"] for r in received) == [
            "alert.acknowledged", "alert.raised"]


def test_one_deliverer_per_endpoint_at_a_time(hooks, django_capture_on_commit_callbacks):
    """A run holding the endpoint's lease keeps a second one out (the beat and a kick never
    post one delivery twice at once); a lease left by a run that died ends."""
    with receiver() as (url, received):
        endpoint = _endpoint(hooks, url)
        with django_capture_on_commit_callbacks(execute=False):
            _raise(hooks, "lease")
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            claimed_until=timezone.now() + timedelta(minutes=1))
        assert outbox.run(endpoint.pk) == 0 and received == []
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            claimed_until=timezone.now() - timedelta(seconds=1))
        assert outbox.run(endpoint.pk) == 1 and len(received) == 1
        endpoint.refresh_from_db()
        assert endpoint.claimed_until is None


def test_an_endpoint_hears_only_what_happens_while_it_exists_and_is_enabled(
        hooks, django_capture_on_commit_callbacks):
    with receiver() as (url, received):
        with django_capture_on_commit_callbacks(execute=False):
            _raise(hooks, "before", title="Sebelum")
        endpoint = _endpoint(hooks, url)
        admin = hooks.user("admin")
        endpoints.endpoint_update(endpoint=endpoint, by=admin, active=False)
        with django_capture_on_commit_callbacks(execute=True):
            _raise(hooks, "while-off", title="Saat mati")
        endpoints.endpoint_update(endpoint=endpoint, by=admin, active=True)
        with django_capture_on_commit_callbacks(execute=True):
            _raise(hooks, "after", title="Sesudah")
        assert [json.loads(r["body"])["data"]["title"] for r in received] == ["Sesudah"]


def test_a_disabled_endpoint_fails_what_it_had_not_sent(hooks, monkeypatch,
                                                        django_capture_on_commit_callbacks):
    with receiver() as (url, received):
        endpoint = _endpoint(hooks, url)
        with django_capture_on_commit_callbacks(execute=False):
            _raise(hooks, "disabled")
        with monkeypatch.context() as patch:
            patch.setattr(outbox, "RUN_SECONDS", 0)  # made, but out of time to send
            assert outbox.run(endpoint.pk) == 0
        endpoints.endpoint_update(endpoint=endpoint, by=hooks.user("admin"), active=False)
        assert deliver_webhooks.apply().get() == 1
        row = WebhookDelivery.objects.get()
        assert row.state == "failed" and row.last_error == "endpoint disabled"
        assert received == []
        assert deliver_webhooks.apply().get() == 0  # nothing left to do for it


def test_a_failing_deliverer_never_undoes_the_alert(hooks, monkeypatch,
                                                    django_capture_on_commit_callbacks):
    """Nothing about webhooks is written in the alert's transaction; the deliverer runs after
    the commit, and what it failed to do the next run does."""
    def broken(*args, **kwargs):
        raise RuntimeError("webhooks down")

    with receiver() as (url, received):
        _endpoint(hooks, url)
        with monkeypatch.context() as patch:
            patch.setattr(outbox, "_deliveries_for", broken)
            with django_capture_on_commit_callbacks(execute=True):
                alert = _raise(hooks, "broken", title="Tetap tercatat")
        assert Alert.objects.filter(pk=alert.pk, title="Tetap tercatat").exists()
        assert not WebhookDelivery.objects.exists() and received == []
        deliver_webhooks.apply()
        assert len(received) == 1
