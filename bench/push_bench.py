"""Web Push at scale: python -m bench.push_bench

Issue 21's figure: an alert raised → the push request accepted by the push service, p95 for
200 subscriptions (200 operators who may see the alert, one device each). The push service
is a plain HTTP server in a child process on 127.0.0.1 that accepts every request at once and
notes its arrival time (the tests decrypt and check the messages; here only the time counts).
The portal side is the real one: after commit, the task asks the policy for the audience,
redacts per person, encrypts per device, signs and posts (apps.notifications.sending). Runs on
the test settings (loopback push endpoints allowed) against a throwaway PostgreSQL database
(bench.coverage_bench.bench_url), created and dropped here.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Iterator

SUBSCRIPTIONS = 200
ROUNDS = 3


def report(name: str, value: float, unit: str) -> None:
    print(f"bench: {name} = {value:.3g} {unit}", flush=True)


def _push_service(port_out, arrivals, stop) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            arrivals.put(time.time())
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(201)
            self.end_headers()

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 512

    server = Server(("127.0.0.1", 0), Handler)
    server.timeout = 0.2
    port_out.put(server.server_address[1])
    while not stop.is_set():
        server.handle_request()


def device(user, port: int, name: str):
    """An unsaved subscription of `user` to the bench's push service, with fresh keys."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from apps.notifications.models import PushSubscription

    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return PushSubscription(
        user=user, endpoint=f"http://127.0.0.1:{port}/wpush/v2/{name}",
        p256dh=base64.urlsafe_b64encode(point).rstrip(b"=").decode(),
        auth=base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode())


def _subscriptions(port: int):
    from apps.accounts.models import Role
    from apps.notifications.models import PushSubscription
    from tests.cast import build_city, person

    city = build_city("A", "Asia/Jakarta")
    PushSubscription.objects.bulk_create(
        device(person(f"operator_{i}", city.agencies["polres"], {Role.OPERATOR}), port,
               f"device-{i}") for i in range(SUBSCRIPTIONS))
    return city


@contextlib.contextmanager
def push_world(label: str) -> Iterator[tuple[int, object]]:
    """A throwaway PostgreSQL database (bench.coverage_bench.bench_url) migrated on the test
    settings (loopback push endpoints allowed), with the push service in a child process:
    yields its port and the queue of its arrival times; drops the database after."""
    from bench.coverage_bench import bench_url, create_database, drop_database

    url = bench_url()
    if not url.startswith(("postgres://", "postgresql://")):
        print(f"bench: {label} needs PostgreSQL", file=sys.stderr)
        sys.exit(2)
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

        call_command("migrate", verbosity=0)
        yield port_out.get(timeout=30), arrivals
        for conn in connections.all():
            conn.close()
    finally:
        stop.set()
        service.join(timeout=5)
        drop_database(url)


def main() -> int:
    with push_world("push") as (port, arrivals):
        from django.db import transaction

        from apps.alerts.models import Alert
        from apps.alerts.services import alert_raise
        from apps.notifications.models import PushAttempt

        city = _subscriptions(port)
        latencies: list[float] = []
        for round_ in range(ROUNDS):
            raised_at = time.time()
            with transaction.atomic():
                alert_raise(kind=Alert.Kind.MOTION, severity=Alert.Severity.HIGH,
                            facility=city.facilities["warehouse"], dedup_key=f"bench:{round_}",
                            title="Gerakan di gerbang gudang")
            # The task ran at the commit, in this thread (no background runner here).
            latencies += [arrivals.get(timeout=30) - raised_at for _ in range(SUBSCRIPTIONS)]
        accepted = PushAttempt.objects.filter(status=201).count()
        assert accepted == SUBSCRIPTIONS * ROUNDS, accepted
        latencies.sort()
        report("push_200_p50", statistics.median(latencies), "s")
        report("push_200_p95", latencies[int(len(latencies) * 0.95) - 1], "s")
        report("push_200_max", latencies[-1], "s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
