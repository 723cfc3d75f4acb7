"""Background work in embedded mode: the same Celery task functions, run in this process.

Cluster mode sends tasks to the Redis broker and Celery beat schedules periodic ones; embedded
mode has neither, so a small executor runs queued tasks and a scheduler thread runs the beat
schedule's interval entries. Callers use `enqueue()` and never branch on the mode; they name
the task (as the beat schedule does), so the code that queues work never imports the task
modules that call it."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import cache

from celery import Task, current_app
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

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
        # Tasks queued for a moment (enqueue_at): (monotonic due, order, task, args), earliest
        # first, run by one timer thread that sleeps until the earliest.
        self._timed: list[tuple[float, int, Task, tuple]] = []
        self._timed_changed = threading.Condition()
        self._order = itertools.count()
        self._timer: threading.Thread | None = None

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
        self._timer = threading.Thread(target=self._timer_loop, name="posko-timer", daemon=True)
        self._timer.start()
        logger.info("in-process background runner started")

    def stop(self) -> None:
        self._stop.set()
        with self._timed_changed:
            self._timed.clear()
            self._timed_changed.notify()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def is_alive(self) -> bool:
        return self._scheduler is not None and self._scheduler.is_alive()

    def submit(self, task: Task, args: tuple = (), kwargs: dict | None = None) -> None:
        if self._executor is None:
            raise RuntimeError("The in-process runner is not started (run `manage.py serve`).")
        self._executor.submit(_run, task, args, kwargs or {})

    def submit_at(self, when: datetime, task: Task, args: tuple = ()) -> None:
        """Run `task` at the wall-clock moment `when` (at once if it has passed)."""
        due = time.monotonic() + max(0.0, (when - timezone.now()).total_seconds())
        with self._timed_changed:
            heapq.heappush(self._timed, (due, next(self._order), task, args))
            self._timed_changed.notify()

    def _timer_loop(self) -> None:
        while not self._stop.is_set():
            with self._timed_changed:
                while self._timed and self._timed[0][0] <= time.monotonic():
                    _due, _order, task, args = heapq.heappop(self._timed)
                    try:
                        self.submit(task, args)
                    except RuntimeError:  # stopped meanwhile
                        return
                wait = self._timed[0][0] - time.monotonic() if self._timed else None
                self._timed_changed.wait(wait)

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


def enqueue_at(when: datetime, task_name: str, *args) -> None:
    """Queue the task registered as `task_name` to run at `when`: Celery's eta in cluster
    mode, the in-process runner's timer in embedded mode. Without a runner (management
    commands, tests) nothing is queued: such work has a periodic sweep that runs what is due,
    and the tests drive the sweep with a frozen clock."""
    if not settings.EMBEDDED:
        current_app.send_task(task_name, args=args, eta=when)
    elif runner.is_alive():
        runner.submit_at(when, _registered().tasks[task_name], args)
