"""Alert writes. The only code that creates or changes alerts; pushes happen after commit."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.access import policy
from apps.accounts.models import User
from apps.alerts import fanout
from apps.alerts.models import Alert, AlertEvent
from apps.cameras.models import Camera
from apps.places.models import Facility


def _record(alert: Alert, action: str, actor: User | None = None, comment: str = "") -> None:
    event = AlertEvent.objects.create(alert=alert, action=action, actor=actor, comment=comment)
    Alert.objects.filter(pk=alert.pk).update(last_seq=event.pk)
    alert.last_seq = event.pk
    transaction.on_commit(lambda: fanout.push_alert(alert.pk))


def alert_raise(
    *,
    kind: str,
    severity: int,
    facility: Facility,
    dedup_key: str,
    title: str,
    detail: str = "",
    camera: Camera | None = None,
    cooldown: timedelta = timedelta(0),
) -> tuple[Alert, bool]:
    """Raise an alert, or count a repeat on the open one with the same key.

    Returns (alert, created). A condition resolved less than `cooldown` ago counts as a repeat
    of that alert instead of opening a new one, so a flapping condition cannot storm."""
    now = timezone.now()
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
                    Alert.objects.filter(pk=existing.pk).update(
                        occurrences=existing.occurrences + 1, last_raised_at=now
                    )
                    existing.occurrences += 1
                    existing.last_raised_at = now
                    _record(existing, AlertEvent.Action.REPEATED)
                    return existing, False
                alert = Alert.objects.create(
                    kind=kind, severity=severity, facility=facility, camera=camera,
                    dedup_key=dedup_key,
                    title=title[:200], detail=detail, first_raised_at=now, last_raised_at=now,
                )
                _record(alert, AlertEvent.Action.RAISED)
                return alert, True
        except IntegrityError:
            continue  # Another writer opened the same condition first: merge into it.
    raise RuntimeError(f"Could not raise or merge alert {dedup_key!r}")


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
    alert.save(update_fields=["state", "acknowledged_by", "acknowledged_at"])
    _record(alert, AlertEvent.Action.ACKNOWLEDGED, user, comment)
    return alert


@transaction.atomic
def alert_assign(*, alert: Alert, user: User, assignee: User, comment: str = "") -> Alert:
    _require(user, alert)
    if not policy.can(assignee, policy.Action.OPERATE, alert):
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
    alert.save(
        update_fields=["state", "acknowledged_by", "acknowledged_at", "resolved_by", "resolved_at"]
    )
    _record(alert, AlertEvent.Action.RESOLVED, user, comment)
    return alert


def alert_escalate_overdue(*, older_than: timedelta, now=None) -> list[int]:
    """Escalate open high-severity alerts nobody acknowledged in time: each is marked once and
    pushed again, now flagged, so the commanders who may see it are told. The conditional
    update decides, so two schedulers cannot escalate one alert twice."""
    now = now or timezone.now()
    escalated = []
    overdue = Alert.objects.filter(
        state=Alert.State.OPEN, severity__gte=Alert.Severity.HIGH, escalated_at__isnull=True,
        first_raised_at__lte=now - older_than,
    ).values_list("pk", flat=True)
    for alert_id in overdue:
        with transaction.atomic():
            if not Alert.objects.filter(pk=alert_id, escalated_at__isnull=True).update(
                escalated_at=now
            ):
                continue
            alert = Alert.objects.get(pk=alert_id)
            minutes = int(older_than.total_seconds() // 60)
            _record(alert, AlertEvent.Action.ESCALATED,
                    comment=_("Not acknowledged within %(minutes)d minutes.")
                    % {"minutes": minutes})
            escalated.append(alert_id)
    return escalated
