"""Tasks queued for a moment (apps.core.background.enqueue_at): embedded mode's runner runs
each at its moment, earliest first, and one whose moment has passed at once; cluster mode
hands the moment to Celery as the task's eta; without a runner nothing is queued (the
periodic sweep of such work runs what is due)."""

from __future__ import annotations

import time
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from apps.core import background
from apps.core.background import InProcessRunner, enqueue_at
from tests.waiting import wait_until

RAN: list[tuple[str, float]] = []


@shared_task(name="tests.note_run")
def note_run(label: str) -> None:
    RAN.append((label, time.monotonic()))


def test_the_runner_runs_each_task_at_its_moment():
    RAN.clear()
    runner = InProcessRunner(max_workers=1)
    runner.start(schedule={})
    try:
        started = time.monotonic()
        now = timezone.now()
        runner.submit_at(now + timedelta(seconds=0.6), note_run, ("later",))
        runner.submit_at(now + timedelta(seconds=0.2), note_run, ("sooner",))
        runner.submit_at(now - timedelta(seconds=5), note_run, ("overdue",))
        wait_until(lambda: len(RAN) == 3, 10, what="the three tasks")
    finally:
        runner.stop()
    assert [label for label, _at in RAN] == ["overdue", "sooner", "later"]
    assert RAN[2][1] - started >= 0.55  # not before its moment


def test_cluster_mode_gives_celery_the_moment(settings, monkeypatch):
    settings.EMBEDDED = False
    sent = []
    monkeypatch.setattr(background.current_app, "send_task",
                        lambda name, **options: sent.append((name, options)))
    due = timezone.now() + timedelta(minutes=3)
    enqueue_at(due, "alerts.escalate_step", 7, due.isoformat())
    assert sent == [("alerts.escalate_step", {"args": (7, due.isoformat()), "eta": due})]


def test_without_a_runner_nothing_is_queued(monkeypatch):
    queued = []
    monkeypatch.setattr(background.runner, "submit_at", lambda *args: queued.append(args))
    assert not background.runner.is_alive()
    enqueue_at(timezone.now(), "tests.note_run", "never")
    assert queued == [] and not any(label == "never" for label, _at in RAN)
