"""Recordings' periodic tasks (apps.core.periodic collects them for Celery beat and the
in-process scheduler)."""

BEAT_SCHEDULE = {
    "recordings-retention": {"task": "recordings.retention", "schedule": 600.0},
    "recordings-exports-interrupted": {"task": "recordings.exports_interrupted",
                                       "schedule": 600.0},
}
