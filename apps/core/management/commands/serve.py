"""Serve the portal with Daphne. In embedded mode this one process also runs the background
work (and, once cameras exist, the camera simulator and the watchers)."""

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the portal (Daphne). Embedded mode also runs background work in-process."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, host: str, port: int, **options):
        from daphne.cli import CommandLineInterface

        if settings.EMBEDDED:
            from apps.core.background import runner

            runner.start()
        self.stdout.write(
            f"Posko ({'embedded' if settings.EMBEDDED else 'cluster'} mode) at http://{host}:{port}/"
        )
        CommandLineInterface().run(
            ["--bind", host, "--port", str(port), "--websocket_timeout", "43200",
             "portal.asgi:application"]
        )
