"""API background work: idempotency-key pruning."""

from __future__ import annotations

from celery import shared_task

from apps.api import idempotency


@shared_task(name="api.prune_idempotency", time_limit=120, soft_time_limit=100,
             ignore_result=True)
def prune_idempotency() -> int:
    return idempotency.prune()
