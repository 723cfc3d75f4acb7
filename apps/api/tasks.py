"""API background work: webhook deliveries and idempotency-key pruning.

Cluster mode: `deliver_webhook` retries through Celery with `webhooks.backoff` (30 s, 1 min,
2 min, … up to an hour, each with jitter; WEBHOOK_MAX_ATTEMPTS in all). Embedded mode has no
broker to hold a delayed retry, so the task records when to try again and the scheduler's
"api-retry-webhooks" entry (every 30 s) sends what is due."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from apps.api import idempotency, webhooks
from apps.api.models import WebhookDelivery


@shared_task(bind=True, name="api.deliver_webhook", max_retries=settings.WEBHOOK_MAX_ATTEMPTS,
             time_limit=60, soft_time_limit=45, ignore_result=True)
def deliver_webhook(self, delivery_id: int) -> str:
    eager = bool(self.request.is_eager)
    state = webhooks.delivery_attempt(delivery_id=delivery_id, schedule_retry=eager)
    if state == WebhookDelivery.State.RETRYING and not eager:
        # The receiver was unreachable or answered 5xx/408/429: the same backoff as the
        # embedded sweeper uses; the delivery row counts attempts and decides when to stop.
        raise self.retry(countdown=webhooks.backoff(self.request.retries + 1))
    return state


@shared_task(name="api.retry_webhooks", time_limit=60, soft_time_limit=50, ignore_result=True)
def retry_webhooks() -> int:
    return webhooks.retry_due()


@shared_task(name="api.prune_idempotency", time_limit=120, soft_time_limit=100,
             ignore_result=True)
def prune_idempotency() -> int:
    return idempotency.prune()
