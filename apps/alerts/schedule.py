"""Alerts' periodic task (apps.core.periodic collects it for Celery beat and the in-process
scheduler)."""

from apps.alerts.escalation import SWEEP_SECONDS

BEAT_SCHEDULE = {
    # Each escalation step is scheduled for its due time (apps.alerts.escalation); this sweep
    # tells the steps whose scheduled task was lost (a worker restart).
    "alerts-escalate": {"task": "alerts.escalate", "schedule": SWEEP_SECONDS},
}
