"""Recordings housekeeping for Celery (cluster) and the in-process runner (embedded)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from apps.recordings import capacity, renditions, services
from apps.recordings.exports import export_build, exports_interrupted

# A stored file without a row this old is an orphan (its writer died between the file and
# the row); younger, its row may still be on its way.
ORPHAN_AGE = timedelta(hours=1)


@shared_task(name="recordings.retention", time_limit=1800, soft_time_limit=1740,
             ignore_result=True)
def retention() -> int:
    """Apply retention, sweep orphan files and raise or resolve the storage alert; returns
    the segments and files deleted."""
    now = timezone.now()
    plan = services.apply_retention(now)
    orphans = services.sweep_orphans(now - ORPHAN_AGE)
    # Masked renditions of segments deleted otherwise (with their camera), and over a
    # lowered quota.
    stale = renditions.sweep_renditions()
    capacity.check(plan.used_after)  # the storage alert: raised at 90 %, resolved under
    return len(plan.delete) + len(orphans) + len(stale)


@shared_task(name="recordings.export_bundle", time_limit=3600, soft_time_limit=3500,
             ignore_result=True)
def export_bundle(export_id: int) -> str:
    """Make the bundle of a queued evidence export (apps.recordings.exports); its status."""
    export = export_build(export_id)
    return export.status if export is not None else "not built"


@shared_task(name="recordings.exports_interrupted", time_limit=120, soft_time_limit=100,
             ignore_result=True)
def exports_interrupted_check() -> int:
    """Fail evidence exports whose build was interrupted; returns how many."""
    return exports_interrupted()
