"""Guard duty's periodic task (apps.core.periodic collects it for Celery beat and the
in-process scheduler): the checks that raise duty alerts, every minute."""

BEAT_SCHEDULE = {
    "duty-check-guarding": {"task": "duty.check_guarding", "schedule": 60.0},
}
