"""Integrations' background work: the webhook outbox's deliverers (apps.integrations.outbox).

`integrations.deliver_webhooks` runs on the beat in both modes (the embedded scheduler and
Celery beat) and starts one `deliver_endpoint` per endpoint with work, as every alert
change's commit does too (outbox.kick_after_commit). Retries need no broker-held delayed
task: a retrying delivery records when it is due, and the next run after that attempts it."""

from __future__ import annotations

from celery import shared_task

from apps.integrations import outbox


@shared_task(name="integrations.deliver_webhooks", time_limit=60, soft_time_limit=50,
             ignore_result=True)
def deliver_webhooks() -> int:
    return outbox.dispatch()


# A run starts no attempt after outbox.RUN_SECONDS; one attempt lasts at most a few
# WEBHOOK_TIMEOUTs; its lease (outbox.LEASE) outlives the hard limit.
@shared_task(name="integrations.deliver_endpoint", time_limit=180, soft_time_limit=150,
             ignore_result=True)
def deliver_endpoint(endpoint_id: int) -> int:
    return outbox.run(endpoint_id)
