"""Watcher work for Celery (cluster) and the in-process runner (embedded).

`watch_camera` runs for as long as its watcher holds the camera's lease, on the `streams`
queue. It is acknowledged early on purpose: a watcher whose worker dies is not redelivered
by the broker (that would wait for the visibility timeout); its lease expires and the
supervisor, run every few seconds by beat, starts a new one elsewhere.

The task names keep their `cameras.` prefix: queued work, the beat schedule and the task
routes name them so."""

from __future__ import annotations

import threading

from celery import shared_task
from django.conf import settings

from apps.cameras.models import Camera
from apps.core.keyvalue import store
from apps.streams.leases import lease_store

QUEUED_KEY = "posko:watch-queued:camera:{}"
QUEUED_SECONDS = 20


@shared_task(name="cameras.watch_camera", acks_late=False, time_limit=None,
             soft_time_limit=None, ignore_result=True)
def watch_camera(camera_id: int) -> bool:
    from apps.streams.watcher import Watcher

    return Watcher(camera_id).run()


def start_watch(camera_id: int) -> None:
    """Start a watcher for the camera: a task on the `streams` queue in cluster mode, a thread
    of this process in embedded mode."""
    if settings.EMBEDDED:
        from apps.streams.watcher import Watcher

        threading.Thread(target=Watcher(camera_id).run, name=f"watch-{camera_id}",
                         daemon=True).start()
        return
    # One queued start per camera at a time, so a busy worker pool is not flooded.
    if store().set(QUEUED_KEY.format(camera_id), "1", seconds=QUEUED_SECONDS, only_new=True):
        watch_camera.apply_async(args=[camera_id], queue="streams")


@shared_task(name="cameras.supervise", time_limit=30, soft_time_limit=25, ignore_result=True)
def supervise_cameras() -> int:
    """Start watchers for enabled cameras that nobody watches. Returns how many started."""
    if settings.EMBEDDED:
        from apps.streams.recording import sweep_spool_once

        sweep_spool_once()  # the portal process is the one worker: its spool, once
    enabled = list(Camera.objects.filter(enabled=True).values_list("pk", flat=True))
    held = lease_store().holders(enabled)
    started = 0
    for camera_id in enabled:
        if camera_id not in held:
            start_watch(camera_id)
            started += 1
    return started
