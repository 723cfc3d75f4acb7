"""Periodic duty checks for Celery beat (cluster) and the in-process scheduler (embedded).

Scheduled in apps/duty/schedule.py ("duty-check-guarding", every 60 s)."""

from __future__ import annotations

from celery import shared_task

from apps.duty.alerting import duty_checks_run


@shared_task(name="duty.check_guarding", time_limit=55, soft_time_limit=50, ignore_result=True)
def check_guarding() -> dict[str, int]:
    """Understaffed posts, missed check-ins, open slots and lone guards who have not confirmed
    they are safe, raised as alerts."""
    result = duty_checks_run()
    return {"understaffed": result.understaffed, "missed": result.missed,
            "unassigned": result.unassigned, "lone_overdue": result.lone_overdue}
