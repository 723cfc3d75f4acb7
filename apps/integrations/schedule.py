"""Integrations' periodic task (apps.core.periodic collects it for Celery beat and the
in-process scheduler)."""

BEAT_SCHEDULE = {
    # Besides the kick after every alert change's commit, both modes run the deliverers on the
    # beat: a lost kick, a deliverer that was down and due retries wait at most this long.
    "integrations-deliver-webhooks": {"task": "integrations.deliver_webhooks", "schedule": 10.0},
}
