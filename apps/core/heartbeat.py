"""Worker heartbeats for /healthz in cluster mode.

Each Celery worker writes `posko:worker:<name>` every few seconds with a short expiry: its
queues, its pid and the cameras it watches. A worker that dies stops renewing and disappears
from the report within WORKER_HEARTBEAT_TTL seconds."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable

from django.conf import settings

from apps.core.health import WORKER_KEY_PREFIX

logger = logging.getLogger(__name__)

INTERVAL = 5.0
_stop = threading.Event()


def _beat(name: str, queues: list[str], cameras: Callable[[], Iterable[int]]) -> None:
    from apps.core.keyvalue import redis_client

    client = redis_client()
    while not _stop.is_set():
        report = {"pid": os.getpid(), "queues": queues, "cameras": sorted(cameras()),
                  "at": time.time()}
        try:
            client.set(WORKER_KEY_PREFIX + name, json.dumps(report),
                       ex=settings.WORKER_HEARTBEAT_TTL)
        except Exception:
            logger.warning("worker heartbeat failed", exc_info=True)
        _stop.wait(INTERVAL)


def start(name: str, queues: list[str], cameras: Callable[[], Iterable[int]]) -> None:
    """Beat for worker `name` consuming `queues`; `cameras` says which cameras it watches
    (given by the caller: the kernel knows no stream runtime)."""
    threading.Thread(target=_beat, args=(name, queues, cameras), name="posko-heartbeat",
                     daemon=True).start()


def stop() -> None:
    _stop.set()
