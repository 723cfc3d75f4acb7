"""Escalation timing: python -m bench.escalation_bench

Issue 21's figure: an escalation step fires within 5 s of its due time. ALERTS high alerts are
raised at a facility where nobody is on duty (the operators are told at once); each alert's
next step (the Padal) is then made due a few seconds ahead, staggered, and scheduled exactly as
the alert service schedules it (apps.alerts.escalation.schedule) - only the default chain's
minutes are shortened to seconds. From there the path is the real one of embedded mode: the
in-process runner's timer runs `alerts.escalate_step` at the due time, the step is claimed and
written, and after commit `notifications.send_alert` sends it to the Padal's device on a push
service in a child process (bench.push_bench's). Measured per alert: due time → step fired
(its history line) and due time → push accepted (the attempt recorded with the service's 201).
The sweep is off, so a late timer would show. Runs on the test settings against a throwaway
PostgreSQL database (bench.coverage_bench.bench_url), created and dropped here.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from datetime import timedelta

ALERTS = 20
FIRST_DUE = 3.0  # seconds after the raises
STAGGER = 0.5  # seconds between the alerts' due times


def report(name: str, value: float, unit: str) -> None:
    print(f"bench: {name} = {value:.3g} {unit}", flush=True)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]  # nearest rank


def main() -> int:
    from bench.coverage_bench import bench_url, create_database, drop_database
    from bench.push_bench import _push_service, device

    url = bench_url()
    if not url.startswith(("postgres://", "postgresql://")):
        print("bench: escalation needs PostgreSQL", file=sys.stderr)
        return 2
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.test"
    context = multiprocessing.get_context("spawn")
    port_out, arrivals, stop = context.Queue(), context.Queue(), context.Event()
    service = context.Process(target=_push_service, args=(port_out, arrivals, stop), daemon=True)
    service.start()
    create_database(url)
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections
        from django.utils import timezone

        from apps.alerts import escalation
        from apps.alerts.models import Alert, AlertEvent
        from apps.alerts.services import alert_raise
        from apps.core.background import runner
        from apps.notifications.models import PushAttempt
        from tests.cast import build_city
        from tests.waiting import wait_until

        call_command("migrate", verbosity=0)
        city = build_city("A", "Asia/Jakarta")
        padal = city.users["padal"]  # the default chain's second step
        device(padal, port_out.get(timeout=30), "padal").save()
        runner.start(schedule={})  # the timer and executor of embedded mode; no sweep
        try:
            alerts = [alert_raise(kind=Alert.Kind.INCIDENT, severity=Alert.Severity.HIGH,
                                  facility=city.facilities["warehouse"], dedup_key=f"bench:{i}",
                                  title="Pintu gudang dibuka paksa")[0] for i in range(ALERTS)]
            start = timezone.now() + timedelta(seconds=FIRST_DUE)
            due = {alert.pk: start + timedelta(seconds=i * STAGGER)
                   for i, alert in enumerate(alerts)}
            for alert_id, moment in due.items():
                Alert.objects.filter(pk=alert_id).update(escalation_due_at=moment)
                escalation.schedule(alert_id, moment)
            wait = FIRST_DUE + ALERTS * STAGGER + 30
            accepted = PushAttempt.objects.filter(user=padal, status=201)
            wait_until(lambda: accepted.count() == ALERTS, wait, interval=0.2,
                       what="every step's push accepted")
        finally:
            runner.stop()
        fired = dict(AlertEvent.objects.filter(action=AlertEvent.Action.ESCALATED)
                     .values_list("alert_id", "at"))
        pushed = dict(accepted.values_list("alert_id", "at"))
        fired_ms = [(fired[a] - due[a]).total_seconds() * 1000 for a in due]
        pushed_ms = [(pushed[a] - due[a]).total_seconds() * 1000 for a in due]
        assert min(fired_ms) >= 0, "a step fired before its due time"
        report("escalation_step_fired_p95", p95(fired_ms), "ms")
        report("escalation_step_delay_p95", p95(pushed_ms), "ms")
        report("escalation_step_delay_max", max(pushed_ms), "ms")
        for conn in connections.all():
            conn.close()
    finally:
        stop.set()
        service.join(timeout=5)
        drop_database(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
