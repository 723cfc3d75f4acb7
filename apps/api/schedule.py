"""The API's periodic tasks (apps.core.periodic collects them for Celery beat and the
in-process scheduler)."""

BEAT_SCHEDULE = {
    "api-prune-idempotency": {"task": "api.prune_idempotency", "schedule": 3600.0},
}
