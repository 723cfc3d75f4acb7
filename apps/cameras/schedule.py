"""Cameras' periodic task (apps.core.periodic collects it for Celery beat and the in-process
scheduler)."""

BEAT_SCHEDULE = {
    "cameras-prune-timeline": {"task": "cameras.prune_timeline", "schedule": 3600.0},
}
