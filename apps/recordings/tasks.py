"""Recordings housekeeping for Celery (cluster) and the in-process runner (embedded)."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from apps.recordings import services

logger = logging.getLogger(__name__)

# A stored file without a row this old is an orphan (its writer died between the file and
# the row); younger, its row may still be on its way.
ORPHAN_AGE = timedelta(hours=1)


@shared_task(name="recordings.retention", time_limit=1800, soft_time_limit=1740,
             ignore_result=True)
def retention() -> int:
    """Apply retention and sweep orphan files; returns the segments deleted."""
    now = timezone.now()
    plan = services.apply_retention(now)
    orphans = services.sweep_orphans(now - ORPHAN_AGE)
    if plan.near_full:
        # The storage alert is raised by the stream runtime once recording is wired in
        # (issue 19); until then the log says it.
        logger.warning("recordings use %d of %d bytes (at least 90 %%)", plan.used_after,
                       plan.quota)
    return len(plan.delete) + len(orphans)
