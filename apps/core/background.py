"""Background work in embedded mode: the same Celery task functions, run in this process.

Cluster mode sends tasks to the Redis broker and Celery beat schedules periodic ones; embedded
mode has neither, so a small executor runs queued tasks and a scheduler thread runs the beat
schedule's interval entries. Callers use `enqueue()` and never branch on the mode; they name
the task (as the beat schedule does), so the code that queues work never imports the task
modules that call it."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import cache

from celery import Task, current_app
from django.conf import settings
from django.db import close_old_connections

from apps.core.periodic import beat_schedule

logger = logging.getLogger(__name__)


def _run(task: Task, args: tuple, kwargs: dict) -> None:
    close_old_connections()
    try:
        result = task.apply(args=args, kwargs=kwargs)
        if result.failed():
            logger.error("in-process task %s failed: %r", task.name, result.result)
    finally:
        close_old_connections()


class InProcessRunner:
    def __init__(self, max_workers: int = 4) -> None:
        self._max_workers = max_workers
        self._executor: ThreadPoolExecutor | None = None
        self._stop = threading.Event()
        self._scheduler: threading.Thread | None = None
        self._schedule: dict[str, dict] = {}

    def start(self, schedule: dict[str, dict] | None = None) -> None:
        """Start the executor and the scheduler of `schedule` (default: the apps' beat
        schedule, apps.core.periodic)."""
        if self._executor is not None:
            return
        self._schedule = beat_schedule() if schedule is None else schedule
        self._stop.clear()
        self._executor = ThreadPoolExecutor(self._max_workers, thread_name_prefix="posko-task")
        self._scheduler = threading.Thread(
            target=self._schedule_loop, name="posko-beat", daemon=True
        )
        self._scheduler.start()
        logger.info("in-process background runner started")

    def stop(self) -> None:
        self._stop.set()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def is_alive(self) -> bool:
        return self._scheduler is not None and self._scheduler.is_alive()

    def submit(self, task: Task, args: tuple = (), kwargs: dict | None = None) -> None:
        if self._executor is None:
            raise RuntimeError("The in-process runner is not started (run `manage.py serve`).")
        self._executor.submit(_run, task, args, kwargs or {})

    def _schedule_loop(self) -> None:
        app = _registered()
        next_due: dict[str, float] = {}
        while not self._stop.is_set():
            now = time.monotonic()
            for name, entry in self._schedule.items():
                interval = entry["schedule"]
                seconds = (
                    interval.total_seconds() if isinstance(interval, timedelta) else interval
                )
                if now >= next_due.get(name, now):
                    next_due[name] = now + float(seconds)
                    try:
                        self.submit(app.tasks[entry["task"]], tuple(entry.get("args", ())))
                    except Exception:
                        logger.exception("could not run scheduled task %s", name)
            self._stop.wait(1.0)


runner = InProcessRunner()


@cache
def _registered():
    """The Celery app with every app's tasks registered (as a worker imports them); once a
    process: finding the task modules again cost ~40 ms per queued task."""
    current_app.loader.import_default_modules()
    return current_app


def enqueue(task_name: str, *args, **kwargs) -> None:
    """Queue the task registered as `task_name` for background execution in whichever mode
    the portal runs."""
    if settings.EMBEDDED:
        task = _registered().tasks[task_name]
        if runner.is_alive():
            runner.submit(task, args, kwargs)
        else:
            # Management commands and tests have no runner: run now, in this thread.
            task.apply(args=args, kwargs=kwargs)
    else:
        current_app.send_task(task_name, args=args, kwargs=kwargs)
