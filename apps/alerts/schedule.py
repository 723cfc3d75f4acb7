"""Alerts' periodic task (apps.core.periodic collects it for Celery beat and the in-process
scheduler)."""

BEAT_SCHEDULE = {
    # Escalates what stayed unacknowledged for ALERT_ESCALATION_MINUTES.
    "alerts-escalate": {"task": "alerts.escalate", "schedule": 60.0},
}
