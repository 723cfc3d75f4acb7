"""Periodic record work for Celery beat (cluster) and the in-process scheduler (embedded).

Scheduled in apps/records/schedule.py: "records-check-patrols" (every 5 minutes),
"records-anchor-chain" (hourly; anchors yesterday's chain head once, and copies a signed
checkpoint of the chain to the witness directory) and "records-verify-chain" (every
RECORDS_VERIFY_HOURS; walks the whole chain for the integrity page)."""

from __future__ import annotations

from celery import shared_task

from apps.records.anchors import witness_checkpoint
from apps.records.services.compliance import anchor_yesterday, patrol_overdue_check
from apps.records.services.integrity import verification_run


@shared_task(name="records.check_patrols", time_limit=120, soft_time_limit=100,
             ignore_result=True)
def check_patrols() -> int:
    return patrol_overdue_check()


@shared_task(name="records.anchor_chain", time_limit=120, soft_time_limit=100,
             ignore_result=True)
def anchor_chain() -> int:
    """Yesterday's signed anchor once, and every run a signed checkpoint of the entries
    appended since the last one, copied outside the database (apps.records.anchors)."""
    seq = anchor_yesterday().seq
    witness_checkpoint()
    return seq


@shared_task(name="records.verify_chain", time_limit=3600, soft_time_limit=3500,
             ignore_result=True)
def verify_chain(verification_id: int | None = None) -> int:
    """Walk the whole chain (scheduled, or the row an administrator requested) and keep the
    result for the integrity page."""
    return verification_run(verification_id=verification_id).problem_count
