"""Camera housekeeping for Celery (cluster) and the in-process runner (embedded). The watchers'
own tasks are in apps.streams.tasks."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from apps.cameras.models import Camera, TimelineFrame


@shared_task(name="cameras.prune_timeline", time_limit=600, soft_time_limit=540,
             ignore_result=True)
def prune_timeline() -> int:
    """Delete timeline frames older than each camera's retention period (files included)."""
    removed = 0
    now = timezone.now()
    for camera in Camera.objects.only("pk", "timeline_retention_days"):
        cutoff = now - timedelta(days=camera.timeline_retention_days)
        old = TimelineFrame.objects.filter(camera=camera, taken_at__lt=cutoff)
        for frame in old.iterator(chunk_size=500):
            frame.image.delete(save=False)
        removed += old.delete()[0]
    return removed
