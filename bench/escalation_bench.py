"""Escalation timing: python -m bench.escalation_bench [--cluster]

Issue 21's figure: an escalation step fires within 5 s of its due time. ALERTS high alerts are
raised at a facility where nobody is on duty (the operators are told at once); each alert's
next step (the Padal) is then made due a few seconds ahead, staggered, and scheduled exactly as
the alert service schedules it (apps.alerts.escalation.schedule) - only the default chain's
minutes are shortened to seconds. From there the path is the real one, with the sweep off so
a late timer would show:

- embedded mode (default): the in-process runner's timer runs `alerts.escalate_step` at the
  due time, the step is claimed and written, and after commit `notifications.send_alert`
  sends it to the Padal's device on a push service in a child process (bench.push_bench's).
  Measured per alert: due time → step fired (its history line) and → push accepted (the
  attempt recorded with the service's 201). Test settings, a throwaway database
  (bench.coverage_bench.bench_url).
- `--cluster`: the task goes through a private Redis with Celery's eta to a Celery worker
  process, as in cluster mode; measured: due time → step fired (production settings refuse
  loopback push endpoints, so no push here).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from bench.live_bench import ScratchDatabase, percentile, report

ALERTS = 20
FIRST_DUE = 3.0  # seconds after the raises
STAGGER = 0.5  # seconds between the alerts' due times
WAIT = FIRST_DUE + ALERTS * STAGGER + 30


def _raise_and_schedule(city) -> dict[int, datetime]:
    """The alerts raised, each one's next step due a few seconds ahead and scheduled: the
    due time of each alert's step."""
    from django.utils import timezone

    from apps.alerts import escalation
    from apps.alerts.models import Alert
    from apps.alerts.services import alert_raise

    alerts = [alert_raise(kind=Alert.Kind.INCIDENT, severity=Alert.Severity.HIGH,
                          facility=city.facilities["warehouse"], dedup_key=f"bench:{i}",
                          title="Pintu gudang dibuka paksa")[0] for i in range(ALERTS)]
    start = timezone.now() + timedelta(seconds=FIRST_DUE)
    due = {alert.pk: start + timedelta(seconds=i * STAGGER) for i, alert in enumerate(alerts)}
    for alert_id, moment in due.items():
        Alert.objects.filter(pk=alert_id).update(escalation_due_at=moment)
        escalation.schedule(alert_id, moment)
    return due


def _after(due: dict[int, datetime], moments: dict[int, datetime]) -> list[float]:
    """Milliseconds from each alert's due time to its moment."""
    return [(moments[alert_id] - moment).total_seconds() * 1000
            for alert_id, moment in due.items()]


def _fired(due: dict[int, datetime]) -> list[float]:
    from apps.alerts.models import AlertEvent
    from tests.waiting import wait_until

    fired = AlertEvent.objects.filter(action=AlertEvent.Action.ESCALATED)
    wait_until(lambda: fired.count() == ALERTS, WAIT, interval=0.2, what="every step fired")
    delays = _after(due, dict(fired.values_list("alert_id", "at")))
    assert min(delays) >= 0, "a step fired before its due time"
    return delays


def embedded() -> int:
    from bench.push_bench import device, push_world

    with push_world("escalation") as (port, _arrivals):
        from apps.core.background import runner
        from apps.notifications.models import PushAttempt
        from tests.cast import build_city
        from tests.waiting import wait_until

        city = build_city("A", "Asia/Jakarta")
        padal = city.users["padal"]  # the default chain's second step
        device(padal, port, "padal").save()
        runner.start(schedule={})  # the timer and executor of embedded mode; no sweep
        try:
            due = _raise_and_schedule(city)
            fired = _fired(due)
            accepted = PushAttempt.objects.filter(user=padal, status=201)
            wait_until(lambda: accepted.count() == ALERTS, WAIT, interval=0.2,
                       what="every step's push accepted")
        finally:
            runner.stop()
        pushed = _after(due, dict(accepted.values_list("alert_id", "at")))
        report("escalation_step_fired_p95", percentile(fired, 0.95), "ms")
        report("escalation_step_delay_p95", percentile(pushed, 0.95), "ms")
        report("escalation_step_delay_max", max(pushed), "ms")
    return 0


def cluster() -> int:
    from tests.integration.processes import Processes, cluster_env, free_port, start_redis
    from tests.waiting import wait_until

    work = Path(tempfile.mkdtemp(prefix="posko-escalation-bench-"))
    with ScratchDatabase() as database_url:
        redis_port = free_port()
        env = cluster_env(work, database_url=database_url, redis_port=redis_port,
                          DATABASE_POOL_SIZE="4")
        processes = Processes(env, work)
        try:
            start_redis(processes, redis_port)
            processes.manage("migrate", "--noinput", "-v0")
            processes.start("default", sys.executable, "-m", "celery", "-A", "portal", "worker",
                            "--queues", "celery", "--pool", "threads", "--concurrency", "4",
                            "--hostname", "default@%h", "--without-gossip", "--without-mingle",
                            "--loglevel", "INFO")
            log = work / "default.log"
            wait_until(lambda: log.exists() and b"ready" in log.read_bytes(), 60,
                       what="the Celery worker ready")
            os.environ.clear()
            os.environ.update(env)  # this process is the web process of that cluster
            import django

            django.setup()
            from django.db import connections

            from tests.cast import build_city

            fired = _fired(_raise_and_schedule(build_city("A", "Asia/Jakarta")))
            report("escalation_step_fired_cluster_p95", percentile(fired, 0.95), "ms")
            report("escalation_step_fired_cluster_max", max(fired), "ms")
            for conn in connections.all():
                conn.close()
        finally:
            processes.stop_all()
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(cluster() if "--cluster" in sys.argv[1:] else embedded())
