"""Serve the portal with Daphne. In embedded mode this one command also runs the background
work and the camera watchers in-process, and (in demo mode) the camera simulator that the
demo's cameras point at.

What it serves is prepared before the ASGI application is built: embedded mode accepts the
origins of the port it serves (websockets, forms), cluster mode collects the static files
when a source changed."""

import atexit
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.core import static
from apps.core.origins import adopt_serving_origins


class Command(BaseCommand):
    help = "Serve the portal (Daphne). Embedded mode also runs background work in-process."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-camsim", action="store_true",
                            help="do not start the camera simulator (demo mode starts it)")

    def handle(self, *args, host: str, port: int, no_camsim: bool, **options):
        from daphne.cli import CommandLineInterface

        if settings.EMBEDDED:
            origins = adopt_serving_origins(host=host, port=port)
            self.stdout.write(f"Accepting websockets and forms from {', '.join(origins)}")
            if settings.DEMO_MODE and not no_camsim:
                self._start_camsim()
            from apps.core.background import runner
            from apps.streams.watcher import shutdown

            runner.start()
            atexit.register(shutdown.set)
        elif static.collect_if_changed():
            self.stdout.write("Static files collected")
        self.stdout.write(
            f"Posko ({'embedded' if settings.EMBEDDED else 'cluster'} mode) at http://{host}:{port}/"
        )
        CommandLineInterface().run(
            ["--bind", host, "--port", str(port), "--websocket_timeout", "43200",
             "--websocket_connect_timeout", "10", "portal.asgi:application"]
        )

    def _start_camsim(self) -> None:
        # A separate process: encoding video must not compete for this process's GIL.
        process = subprocess.Popen(
            [sys.executable, "manage.py", "camsim"], cwd=settings.BASE_DIR,
            stdout=subprocess.DEVNULL,
        )
        atexit.register(process.terminate)
        # The watchers start next and connect at once: before the simulator listened, each
        # demo camera's first attempt was refused (a warning each) and waited for its retry.
        wait_for_ports(process, [settings.CAMSIM_HTTP_PORT, settings.CAMSIM_RTSP_PORT])
        self.stdout.write(
            f"Camera simulator on http://127.0.0.1:{settings.CAMSIM_HTTP_PORT}/ and "
            f"rtsp://127.0.0.1:{settings.CAMSIM_RTSP_PORT}/"
        )


def wait_for_ports(process: subprocess.Popen, ports: list[int], seconds: float = 20.0) -> bool:
    """Whether `process` came to accept connections on every port of 127.0.0.1 in `ports`
    within `seconds` (False as soon as it exits)."""
    deadline = time.monotonic() + seconds
    waiting = list(ports)
    while waiting and process.poll() is None and time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", waiting[0]), timeout=0.5).close()
            waiting.pop(0)
        except OSError:
            time.sleep(0.1)
    return not waiting
