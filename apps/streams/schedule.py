"""The stream runtime's periodic task (apps.core.periodic collects it for Celery beat and the
in-process scheduler)."""

BEAT_SCHEDULE = {
    # Lease expiry (15 s) + this interval keeps camera takeover well under 30 s.
    "cameras-supervise": {"task": "cameras.supervise", "schedule": 5.0},
}
