"""Serve the demo's synthetic cameras on 127.0.0.1: MJPEG over HTTP and RTSP/H.264.

Scenes can be changed while running, e.g. cover a lens or send a person in:
    curl -X POST http://127.0.0.1:8090/control/gudang-gerbang/person
"""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.camsim import ACTIONS, CameraSpec, Simulator
from apps.camsim.scene import SceneState
from apps.demo.cameras import DEMO_CAMERAS


class Command(BaseCommand):
    help = "Serve the demo's simulated cameras (MJPEG over HTTP and RTSP) on 127.0.0.1."

    def add_arguments(self, parser):
        parser.add_argument("--http-port", type=int, default=settings.CAMSIM_HTTP_PORT)
        parser.add_argument("--rtsp-port", type=int, default=settings.CAMSIM_RTSP_PORT)
        parser.add_argument("--size", default="640x360", help="e.g. 1280x720")
        parser.add_argument("--fps", type=float, default=10.0)

    def handle(self, *args, http_port, rtsp_port, size, fps, **options):
        width, height = (int(v) for v in size.split("x"))
        specs = [
            CameraSpec(c.stream, width, height, fps, 800_000, SceneState(night=c.night),
                       seed=index + 1)
            for index, c in enumerate(DEMO_CAMERAS)
        ]
        simulator = Simulator(specs, http_port=http_port, rtsp_port=rtsp_port).start()
        for spec in specs:
            urls = simulator.urls(spec.name)
            self.stdout.write(f"  {spec.name:<16} {urls['mjpeg']}  {urls['rtsp']}")
        self.stdout.write(f"Control: POST {simulator.urls(specs[0].name)['control']}  "
                          f"actions: {', '.join(ACTIONS)}")
        done = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: done.set())
        done.wait()
        simulator.stop()
