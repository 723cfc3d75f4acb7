"""The webhook outbox: deliveries made from the alert events already in the database, read
after a cursor stored per endpoint, so no event is lost between its commit and its delivery.

Every change of an alert writes an AlertEvent row in the change's own transaction
(apps.alerts.services); that append-only table is the outbox, and nothing about webhooks is
written inside the alert's transaction. A deliverer per endpoint (`run`) reads the events
after the endpoint's cursor, makes each one's deliveries (`alert.<action>`, and
`incident.reported` for an incident report's own alert) and moves the cursor in one
transaction, then posts what is due: new deliveries, and retries whose time has come.

When it runs: after the commit of every alert change (`kick_after_commit`, for low latency),
and on the beat every few seconds in both modes (the embedded scheduler, Celery beat), which
catches up a lost kick, a process that died after a commit, a deliverer that was down, and
due retries.

At least once: a delivery exists once per endpoint, event and name (a unique constraint), its
id (X-Posko-Delivery) is the same on every attempt, and a crash between a post and the
writing of its outcome posts it again; receivers drop repeats by that id.

Ids committed out of order: a sequence hands out ids when rows are inserted, not when they
commit, so an event can become visible after one with a higher id was read. The cursor
therefore passes only events older than WEBHOOK_OUTBOX_LAG seconds; newer ones are read again
on every run (the unique constraint makes that harmless) until they are that old. Only an
event whose transaction stayed open longer than that could be passed; alert changes commit
in milliseconds.

One deliverer per endpoint at a time: a run claims the endpoint with a lease
(`claimed_until`), so the beat and a kick never post one delivery twice at once, and a slow
receiver holds up only its own endpoint; a run that dies holding it is replaced when the
lease ends."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Max, Q
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone, translation

from apps.alerts.models import Alert, AlertEvent
from apps.core.background import enqueue
from apps.integrations import delivery, payloads
from apps.integrations.models import WebhookDelivery, WebhookEndpoint
from apps.records.anchors import latest_witness_copy
from apps.records.models import IncidentAlertLink

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # longer than a run and its task's time limit
RUN_SECONDS = 60  # a run starts no attempt after this; the next run goes on
PAGE = 200
State = WebhookDelivery.State
UNFINISHED = (State.PENDING, State.RETRYING)


def head() -> int:
    """The newest alert event's id: where a new (or re-enabled) endpoint starts."""
    return AlertEvent.objects.aggregate(newest=Max("id"))["newest"] or 0


# --- when it runs ----------------------------------------------------------------------------


def kick_after_commit(*, endpoint_id: int | None = None) -> None:
    """Start the deliverers (or one endpoint's) once the current transaction commits: queued
    from the committing process itself, and only for endpoints with work, so an alert change
    where no webhook is configured costs one small query. Robust: a kick that cannot be queued
    never fails the change; the beat starts the deliverers anyway."""
    if endpoint_id is None:
        transaction.on_commit(dispatch, robust=True)
    else:
        transaction.on_commit(lambda: enqueue("integrations.deliver_endpoint", endpoint_id),
                              robust=True)


@receiver(post_save, sender=AlertEvent)
def _on_alert_event(sender, instance: AlertEvent, created: bool, **kwargs) -> None:
    if created:
        kick_after_commit()


def dispatch() -> int:
    """Start a deliverer for every endpoint with something to do: the active ones, and
    disabled ones with unfinished deliveries (which then fail as "endpoint disabled")."""
    configured = dict(WebhookEndpoint.objects.values_list("pk", "active"))
    endpoint_ids = [pk for pk, active in configured.items() if active]
    if len(endpoint_ids) < len(configured):
        endpoint_ids += (WebhookDelivery.objects
                         .filter(state__in=UNFINISHED, endpoint__active=False)
                         .values_list("endpoint_id", flat=True).distinct())
    for endpoint_id in endpoint_ids:
        enqueue("integrations.deliver_endpoint", endpoint_id)
    return len(endpoint_ids)


# --- one endpoint's deliverer ----------------------------------------------------------------


def run(endpoint_id: int, *, now=None) -> int:
    """Deliver for one endpoint while it has work and the run has time; returns the number
    of attempts made. `now` (tests) stands for the clock of the cursor's lag and of due
    retries; the lease always follows the real clock."""
    deadline = time.monotonic() + RUN_SECONDS
    attempts = 0
    while True:
        lease = _claim(endpoint_id)
        if lease is None:
            return attempts  # another run has it
        try:
            seen, made = _pass(endpoint_id, now=now, deadline=deadline)
            attempts += made
        finally:
            WebhookEndpoint.objects.filter(pk=endpoint_id, claimed_until=lease).update(
                claimed_until=None)
        # What arrived while the lease was held: its kick found the endpoint claimed.
        if time.monotonic() >= deadline or not _more(endpoint_id, seen):
            return attempts


def _claim(endpoint_id: int):
    now = timezone.now()
    lease = now + LEASE
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    if WebhookEndpoint.objects.filter(free, pk=endpoint_id).update(claimed_until=lease):
        return lease
    return None


def _more(endpoint_id: int, seen: int | None) -> bool:
    if seen is not None and AlertEvent.objects.filter(id__gt=seen).exists():
        return True
    return WebhookDelivery.objects.filter(endpoint_id=endpoint_id, state=State.PENDING).exists()


def _pass(endpoint_id: int, *, now, deadline: float) -> tuple[int | None, int]:
    """Make the deliveries of the events after the cursor, then attempt what is due. Returns
    the newest event id read (None for a disabled endpoint, which reads none) and the
    number of attempts."""
    endpoint = WebhookEndpoint.objects.select_related("region").filter(pk=endpoint_id).first()
    if endpoint is None:
        return None, 0
    seen = _make_deliveries(endpoint, now=now or timezone.now()) if endpoint.active else None
    return seen, _attempt_due(endpoint, now=now, deadline=deadline)


def _make_deliveries(endpoint: WebhookEndpoint, *, now) -> int:
    """Read every event after the cursor, page by page; each page's deliveries and the
    cursor's move commit together. The cursor passes only events older than the lag."""
    settled_before = now - timedelta(seconds=settings.WEBHOOK_OUTBOX_LAG)
    position = endpoint.cursor
    while True:
        events = list(AlertEvent.objects.filter(id__gt=position).order_by("id")
                      .select_related("alert__facility__region", "alert__camera")[:PAGE])
        if not events:
            return position
        settled = [event.pk for event in events if event.at <= settled_before]
        with transaction.atomic():
            _deliveries_for(endpoint, events)
            if settled:
                WebhookEndpoint.objects.filter(pk=endpoint.pk, cursor__lt=max(settled)).update(
                    cursor=max(settled))
        position = events[-1].pk
        if len(events) < PAGE:
            return position


def _deliveries_for(endpoint: WebhookEndpoint, events: list[AlertEvent]) -> None:
    """The deliveries these events make for this endpoint, each made once: those already
    made (an earlier read of the same events) are left alone."""
    made = set(WebhookDelivery.objects.filter(endpoint=endpoint,
                                              alert_event__in=[e.pk for e in events])
               .values_list("alert_event_id", "event"))
    reports = _incident_reports(endpoint, events)
    region = endpoint.region.path if endpoint.region_id else None
    wanted = []
    for event in events:
        alert = event.alert
        if region is not None and not alert.facility.region.path.startswith(region):
            continue
        if endpoint.send_alerts and alert.severity >= endpoint.min_severity:
            wanted.append((event, f"alert.{event.action}"))
        if event.action == AlertEvent.Action.RAISED and alert.pk in reports:
            wanted.append((event, "incident.reported"))
    wanted = [(event, name) for event, name in wanted if (event.pk, name) not in made]
    if not wanted:
        return
    # The latest signed anchor of the records chain rides along: every receiver keeps a copy
    # of it outside Posko's database (apps.records.anchors).
    chain_anchor = latest_witness_copy()
    rows = []
    with translation.override(settings.LANGUAGE_CODE):
        for event, name in wanted:
            try:
                data = (payloads.incident_data(reports[event.alert_id], event.alert)
                        if name == "incident.reported"
                        else payloads.alert_data(event.alert, seq=event.pk))
            except DatabaseError:
                raise
            except Exception:
                # One event that cannot be told must not hold up every later one.
                logger.exception("webhook %s: alert event %s skipped", endpoint.pk, event.pk)
                continue
            row = WebhookDelivery(endpoint=endpoint, alert_event=event, event=name)
            row.body = payloads.body(delivery_id=row.delivery_id, event=name, data=data,
                                     chain_anchor=chain_anchor)
            rows.append(row)
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)


def _incident_reports(endpoint: WebhookEndpoint, events: list[AlertEvent]) -> dict:
    """alert id -> its incident, for the raising of an incident report's own alert (the
    report links it itself; an alert a person links later is not a report)."""
    if not endpoint.send_incidents:
        return {}
    alert_ids = [e.alert_id for e in events
                 if e.action == AlertEvent.Action.RAISED and e.alert.kind == Alert.Kind.INCIDENT]
    if not alert_ids:
        return {}
    links = (IncidentAlertLink.objects.filter(alert_id__in=alert_ids, linked_by__isnull=True)
             .select_related("incident__facility__region", "incident__reporter_agency"))
    return {link.alert_id: link.incident for link in links}


def _attempt_due(endpoint: WebhookEndpoint, *, now, deadline: float) -> int:
    """Attempt the endpoint's new deliveries and due retries, oldest first, each once."""
    now = now or timezone.now()
    due = (WebhookDelivery.objects.filter(endpoint=endpoint)
           .filter(Q(state=State.PENDING) | Q(state=State.RETRYING, next_attempt_at__lte=now))
           .order_by("id"))
    attempts, last = 0, 0
    while True:
        batch = list(due.filter(id__gt=last)[:PAGE])
        for row in batch:
            if time.monotonic() >= deadline:
                return attempts
            row.endpoint = endpoint
            try:
                delivery.delivery_attempt(row)
            except DatabaseError:
                raise
            except Exception:
                logger.exception("webhook delivery %s: attempt failed", row.pk)
                delivery.record(row, status=None, error="internal error", retryable=True)
            attempts += 1
            last = row.pk
        if len(batch) < PAGE:
            return attempts
