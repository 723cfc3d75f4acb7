"""Camera work for Celery (cluster) and the in-process runner (embedded).

`watch_camera` runs for as long as its watcher holds the camera's lease, on the `streams`
queue. It is acknowledged early on purpose: a watcher whose worker dies is not redelivered
by the broker (that would wait for the visibility timeout); its lease expires and the
supervisor, run every few seconds by beat, starts a new one elsewhere."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from apps.cameras.leases import lease_store
from apps.cameras.models import Camera, TimelineFrame
from apps.core.keyvalue import store

logger = logging.getLogger(__name__)

QUEUED_KEY = "posko:watch-queued:camera:{}"
QUEUED_SECONDS = 20


@shared_task(name="cameras.watch_camera", acks_late=False, time_limit=None,
             soft_time_limit=None, ignore_result=True)
def watch_camera(camera_id: int) -> bool:
    from apps.cameras.watcher import Watcher

    return Watcher(camera_id).run()


def start_watch(camera_id: int) -> None:
    """Start a watcher for the camera: a task on the `streams` queue in cluster mode, a thread
    of this process in embedded mode."""
    if settings.EMBEDDED:
        from apps.cameras.watcher import Watcher

        threading.Thread(target=Watcher(camera_id).run, name=f"watch-{camera_id}",
                         daemon=True).start()
        return
    # One queued start per camera at a time, so a busy worker pool is not flooded.
    if store().set(QUEUED_KEY.format(camera_id), "1", seconds=QUEUED_SECONDS, only_new=True):
        watch_camera.apply_async(args=[camera_id], queue="streams")


@shared_task(name="cameras.supervise", time_limit=30, soft_time_limit=25, ignore_result=True)
def supervise_cameras() -> int:
    """Start watchers for enabled cameras that nobody watches. Returns how many started."""
    enabled = list(Camera.objects.filter(enabled=True).values_list("pk", flat=True))
    held = lease_store().holders(enabled)
    started = 0
    for camera_id in enabled:
        if camera_id not in held:
            start_watch(camera_id)
            started += 1
    return started


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
