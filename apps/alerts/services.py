"""Alert writes. The only code that creates or changes alerts; pushes happen after commit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.access import policy
from apps.accounts.models import User
from apps.alerts import escalation, fanout, texts
from apps.alerts.models import Alert, AlertEvent, EscalationChain, EscalationStep
from apps.cameras.models import Camera
from apps.places.models import Facility


def _record(alert: Alert, action: str, actor: User | None = None, comment: str = "", *,
            step: int | None = None, role: str = "", repeat: int = 0) -> AlertEvent:
    event = AlertEvent.objects.create(alert=alert, action=action, actor=actor, comment=comment,
                                      step=step, role=role, repeat=repeat)
    Alert.objects.filter(pk=alert.pk).update(last_seq=event.pk)
    alert.last_seq = event.pk
    transaction.on_commit(lambda: fanout.push_alert(alert.pk))
    return event


def alert_raise(
    *,
    kind: str,
    severity: int,
    facility: Facility,
    dedup_key: str,
    title: str = "",
    detail: str = "",
    params: dict | None = None,
    camera: Camera | None = None,
    cooldown: timedelta = timedelta(0),
) -> tuple[Alert, bool]:
    """Raise an alert, or count a repeat on the open one with the same key.

    `params` holds the message code and its parameters (see apps.alerts.texts): the alert is
    shown from them in the reader's language; `title`/`detail` are then written from them in
    the default language. Without `params` the given text is what is shown.

    Returns (alert, raised): raised is False for a repeat. A repeat counts on the alert
    (occurrences, last raised, current parameters) without a history line. A condition
    resolved less than `cooldown` ago is not a new alert: if it had resolved itself, the same
    alert opens again; if a person resolved it, the repeat is only counted, so a flapping
    condition cannot storm."""
    now = timezone.now()
    params = params or {}
    if params:
        with translation.override(settings.LANGUAGE_CODE):
            title, detail = texts.render(Alert(kind=kind, params=params, title=title,
                                               detail=detail))
    for _attempt in range(3):
        try:
            with transaction.atomic():
                existing = (
                    Alert.objects.select_for_update()
                    .filter(dedup_key=dedup_key)
                    .exclude(state=Alert.State.RESOLVED)
                    .first()
                )
                if existing is None and cooldown:
                    existing = (
                        Alert.objects.select_for_update()
                        .filter(dedup_key=dedup_key, resolved_at__gt=now - cooldown)
                        .order_by("-resolved_at")
                        .first()
                    )
                if existing is not None:
                    return existing, _repeat(existing, now, title, detail, params)
                alert = Alert.objects.create(
                    kind=kind, severity=severity, facility=facility, camera=camera,
                    dedup_key=dedup_key, params=params,
                    title=title[:200], detail=detail, first_raised_at=now, last_raised_at=now,
                )
                _first_notice(alert, AlertEvent.Action.RAISED, now)
                return alert, True
        except IntegrityError:
            continue  # Another writer opened the same condition first: merge into it.
    raise RuntimeError(f"Could not raise or merge alert {dedup_key!r}")


def _repeat(alert: Alert, now, title: str, detail: str, params: dict) -> bool:
    """Count a repeat on `alert`; reopen it if it had resolved itself. True when reopened."""
    changes = {"occurrences": alert.occurrences + 1, "last_raised_at": now}
    if params:  # e.g. how many are present now
        changes.update(params=params, title=title[:200], detail=detail)
    reopen = alert.state == Alert.State.RESOLVED and alert.resolved_by_id is None
    if reopen:
        changes.update(state=Alert.State.OPEN, resolved_at=None, acknowledged_by=None,
                       acknowledged_at=None, escalated_at=None)
    Alert.objects.filter(pk=alert.pk).update(**changes)
    for field, value in changes.items():
        setattr(alert, field, value)
    if reopen:
        _first_notice(alert, AlertEvent.Action.REOPENED, now)
    return reopen


def alert_clear(*, dedup_keys: Iterable[str]) -> list[int]:
    """The conditions behind these keys have ended: their unresolved alerts resolve
    themselves, each with a history line saying so. Returns the ids of the alerts resolved."""
    cleared = []
    now = timezone.now()
    for key in dedup_keys:
        with transaction.atomic():
            alert = (Alert.objects.select_for_update()
                     .filter(dedup_key=key).exclude(state=Alert.State.RESOLVED).first())
            if alert is None:
                continue
            alert.state, alert.resolved_by, alert.resolved_at = Alert.State.RESOLVED, None, now
            alert.escalation_due_at = None
            alert.save(update_fields=["state", "resolved_by", "resolved_at",
                                      "escalation_due_at"])
            _record(alert, AlertEvent.Action.CLEARED)
            cleared.append(alert.pk)
    return cleared


def unresolved_keys(prefix: str) -> set[str]:
    """The dedup keys starting with `prefix` that have an unresolved alert: the conditions a
    check must look at again to see whether they ended."""
    return set(Alert.objects.filter(dedup_key__startswith=prefix)
               .exclude(state=Alert.State.RESOLVED).values_list("dedup_key", flat=True))


def _require(user: User, alert: Alert) -> None:
    if not policy.can(user, policy.Action.OPERATE, alert):
        raise PermissionDenied(_("You may not act on this alert."))


@transaction.atomic
def alert_acknowledge(*, alert: Alert, user: User, comment: str = "") -> Alert:
    _require(user, alert)
    if alert.state != Alert.State.OPEN:
        return alert
    alert.state = Alert.State.ACKNOWLEDGED
    alert.acknowledged_by = user
    alert.acknowledged_at = timezone.now()
    alert.escalation_due_at = None  # answered: the chain stops
    alert.save(update_fields=["state", "acknowledged_by", "acknowledged_at",
                              "escalation_due_at"])
    _record(alert, AlertEvent.Action.ACKNOWLEDGED, user, comment)
    return alert


@transaction.atomic
def alert_assign(*, alert: Alert, user: User, assignee: User, comment: str = "") -> Alert:
    _require(user, alert)
    if not policy.alert_assignees(alert).filter(pk=assignee.pk).exists():
        raise PermissionDenied(_("That person may not act on this alert."))
    alert.assigned_to = assignee
    alert.save(update_fields=["assigned_to"])
    _record(alert, AlertEvent.Action.ASSIGNED, user, comment or str(assignee))
    return alert


@transaction.atomic
def alert_resolve(*, alert: Alert, user: User, comment: str) -> Alert:
    _require(user, alert)
    if alert.state == Alert.State.RESOLVED:
        return alert
    if not comment.strip():
        raise ValueError(_("Say how the alert was resolved."))
    now = timezone.now()
    if alert.acknowledged_at is None:
        alert.acknowledged_by, alert.acknowledged_at = user, now
    alert.state = Alert.State.RESOLVED
    alert.resolved_by, alert.resolved_at = user, now
    alert.escalation_due_at = None
    alert.save(update_fields=["state", "acknowledged_by", "acknowledged_at", "resolved_by",
                              "resolved_at", "escalation_due_at"])
    _record(alert, AlertEvent.Action.RESOLVED, user, comment)
    return alert


# --- the escalation chain (apps.alerts.escalation) ----------------------------------------


def _first_notice(alert: Alert, action: str, now) -> None:
    """Record the raise (or reopening); a high alert is told first to the people on duty
    (and a panic press to every operator and Padal: escalation.first_told), or, with nobody
    to tell, to the chain's first step at once."""
    if not escalation.escalates(alert):
        _record(alert, action)
        return
    chain = escalation.chain_for(alert.facility, alert.severity)
    people = list(escalation.first_told(alert, now))
    step, role = 0, ""
    if not people:
        step, role = 1, chain.step(1).role
        people = list(escalation.step_people(alert, role))
    event = _record(alert, action, step=step, role=role)
    _notified(alert, event, people, chain, now)


def _notified(alert: Alert, event: AlertEvent, people: list[User], chain: escalation.Chain,
              now) -> None:
    """`event` told `people`; the chain's next notice is due after the step's wait."""
    event.notified.set(people)
    due = now + chain.wait_after(event.step, told_anyone=bool(people))
    Alert.objects.filter(pk=alert.pk).update(escalation_step=event.step, escalation_due_at=due)
    alert.escalation_step, alert.escalation_due_at = event.step, due
    transaction.on_commit(lambda: escalation.schedule(alert.pk, due), robust=True)


def alert_escalation_fire(alert_id: int, *, now=None) -> bool:
    """Tell the next step of the chain about the alert if its notice is due and nobody has
    answered. The conditional update on the step and due time decides: of two workers (the
    scheduled task and the sweep, or two sweeps) only one tells a step. True when told."""
    now = now or timezone.now()
    with transaction.atomic():
        alert = (Alert.objects.select_related("facility__region")
                 .filter(pk=alert_id, state=Alert.State.OPEN, escalation_due_at__lte=now)
                 .first())
        if alert is None:
            return False
        chain = escalation.chain_for(alert.facility, alert.severity)
        step = chain.next_position(alert.escalation_step)
        if not Alert.objects.filter(
                pk=alert.pk, state=Alert.State.OPEN, escalation_step=alert.escalation_step,
                escalation_due_at=alert.escalation_due_at,
        ).update(escalation_step=step, escalation_due_at=None,
                 escalated_at=Coalesce("escalated_at", Value(now))):
            return False
        alert.escalated_at = alert.escalated_at or now
        # How often this step told before, since the alert was last raised or reopened.
        since = (alert.events.filter(action__in=[AlertEvent.Action.RAISED,
                                                 AlertEvent.Action.REOPENED])
                 .order_by("-pk").values_list("pk", flat=True).first()) or 0
        repeat = alert.events.filter(step=step, pk__gte=since).count()
        role = chain.step(step).role
        event = _record(alert, AlertEvent.Action.ESCALATED, step=step, role=role,
                        repeat=repeat)
        _notified(alert, event, list(escalation.step_people(alert, role)), chain, now)
    return True


def alert_escalate_due(*, now=None) -> list[int]:
    """The sweep: tell every step whose notice is due (its scheduled task was lost, e.g. in a
    worker restart). Returns the ids of the alerts whose step this call told."""
    now = now or timezone.now()
    due = Alert.objects.filter(state=Alert.State.OPEN, escalation_due_at__lte=now
                               ).order_by("escalation_due_at").values_list("pk", flat=True)
    return [alert_id for alert_id in list(due) if alert_escalation_fire(alert_id, now=now)]


@transaction.atomic
def escalation_chain_set(*, user: User, region, severity: int, repeat_minutes: int,
                         steps: list[tuple[str, int]]) -> EscalationChain | None:
    """Set the region's chain for `severity` to `steps` (role, minutes after the previous
    notice), in order; no steps removes it (the region falls back to its parent's chain or
    the default). Alerts already open take the new chain from their next notice on."""
    if not policy.escalation_regions(user).filter(pk=region.pk).exists():
        raise PermissionDenied(_("You may not set up escalation for this region."))
    if not steps:
        EscalationChain.objects.filter(region=region, severity=severity).delete()
        return None
    chain, _created = EscalationChain.objects.update_or_create(
        region=region, severity=severity, defaults={"repeat_minutes": repeat_minutes})
    chain.steps.all().delete()
    EscalationStep.objects.bulk_create(
        EscalationStep(chain=chain, position=position, role=role, delay_minutes=delay)
        for position, (role, delay) in enumerate(steps, 1))
    return chain
