"""Field records' periodic tasks (apps.core.periodic collects them for Celery beat and the
in-process scheduler): patrol compliance every 5 minutes raises "patrol overdue" alerts; the
chain head is anchored once a day (the task is idempotent, so hourly is safe); the whole chain
is walked every RECORDS_VERIFY_HOURS."""

from django.conf import settings

BEAT_SCHEDULE = {
    "records-check-patrols": {"task": "records.check_patrols", "schedule": 300.0},
    "records-anchor-chain": {"task": "records.anchor_chain", "schedule": 3600.0},
    "records-verify-chain": {
        "task": "records.verify_chain", "schedule": settings.RECORDS_VERIFY_HOURS * 3600,
    },
}
