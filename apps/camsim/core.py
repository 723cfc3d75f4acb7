"""The simulator as one object: cameras plus their HTTP and RTSP servers."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from types import TracebackType
from typing import Self

from apps.camsim.camera import CameraSpec, SimCamera
from apps.camsim.httpserver import SimHttpServer
from apps.camsim.rtsp import SimRtspServer

HOST = "127.0.0.1"


class Simulator:
    """Serves `cameras` on 127.0.0.1. A port of 0 picks a free one (see the properties)."""

    def __init__(
        self, cameras: Sequence[CameraSpec], *, http_port: int = 0, rtsp_port: int = 0
    ) -> None:
        if len({spec.name for spec in cameras}) != len(cameras):
            raise ValueError("camera names must be unique")
        self.cameras = {spec.name: SimCamera(spec) for spec in cameras}
        self._requested = (http_port, rtsp_port)
        self._http: SimHttpServer | None = None
        self._rtsp: SimRtspServer | None = None
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def http_port(self) -> int:
        if self._http is None:
            raise RuntimeError("start() first")
        return int(self._http.server_address[1])

    @property
    def rtsp_port(self) -> int:
        if self._rtsp is None:
            raise RuntimeError("start() first")
        return int(self._rtsp.server_address[1])

    def start(self) -> Simulator:
        self._http = SimHttpServer(self._requested[0], self.cameras)
        self._rtsp = SimRtspServer(self._requested[1], self.cameras)
        for camera in self.cameras.values():
            camera.start()
        for name, server in (("sim-http", self._http), ("sim-rtsp", self._rtsp)):
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.2}, name=name, daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in (self._http, self._rtsp):
            if server is not None:
                server.close_all()
        for camera in self.cameras.values():
            camera.stop()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    def control(self, camera: str, action: str) -> None:
        self.cameras[camera].control(action)

    def urls(self, camera: str) -> dict[str, str]:
        if camera not in self.cameras:
            raise KeyError(camera)
        http = f"http://{HOST}:{self.http_port}"
        return {
            "rtsp": f"rtsp://{HOST}:{self.rtsp_port}/{camera}",
            "mjpeg": f"{http}/mjpeg/{camera}",
            "snapshot": f"{http}/snapshot/{camera}.jpg",
            "control": f"{http}/control/{camera}/<action>",
        }
