from datetime import datetime, timedelta

from celery import shared_task
from django.utils import timezone

from apps.alerts import escalation
from apps.alerts.models import Alert
from apps.alerts.services import alert_escalate_due, alert_escalation_fire


@shared_task(name="alerts.escalate", time_limit=60, soft_time_limit=50, ignore_result=True)
def escalate_due_alerts() -> int:
    """The sweep: escalation steps whose scheduled task was lost are told now, and those due
    before the next sweep are scheduled again (the first sweep after a restart)."""
    told = len(alert_escalate_due())
    escalation.schedule_upcoming(timezone.now(),
                                 timedelta(seconds=escalation.SWEEP_SECONDS))
    return told


@shared_task(name="alerts.escalate_step", time_limit=60, soft_time_limit=50,
             ignore_result=True)
def escalate_step(alert_id: int, due: str) -> bool:
    """The alert's notice scheduled for `due`. A task for a due time the alert no longer has
    (answered, or told by the sweep) does nothing; one that runs early (another machine's
    clock) waits for its time again."""
    due_at = datetime.fromisoformat(due)
    if not Alert.objects.filter(pk=alert_id, escalation_due_at=due_at).exists():
        return False
    if due_at > timezone.now():
        escalation.schedule(alert_id, due_at)
        return False
    return alert_escalation_fire(alert_id)
