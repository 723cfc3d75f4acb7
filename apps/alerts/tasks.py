from datetime import timedelta

from celery import shared_task
from django.conf import settings

from apps.alerts.services import alert_escalate_overdue


@shared_task(name="alerts.escalate", time_limit=60, soft_time_limit=50, ignore_result=True)
def escalate_overdue_alerts() -> int:
    return len(alert_escalate_overdue(
        older_than=timedelta(minutes=settings.ALERT_ESCALATION_MINUTES)))
