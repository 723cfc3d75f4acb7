"""The simulator's HTTP side: MJPEG streams, JPEG snapshots and the control endpoint.

GET  /mjpeg/<camera>              multipart/x-mixed-replace stream
GET  /snapshot/<camera>.jpg       one JPEG
POST /control/<camera>/<action>   change the scene or inject a fault (see camera.ACTIONS)
GET  /                            the cameras and their state, as JSON
"""

from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler

from apps.camsim.camera import AccessUnit, Drop, Fault, SimCamera
from apps.camsim.tracking import TrackedConnectionsServer

BOUNDARY = "poskoframe"


class SimHttpServer(TrackedConnectionsServer):
    def __init__(self, port: int, cameras: dict[str, SimCamera]) -> None:
        super().__init__(port, cameras, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: SimHttpServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        # Request lines would flood the test output; the simulator is not audited.
        return

    def do_GET(self) -> None:
        parts = self.path.split("?", 1)[0].strip("/").split("/")
        if parts == [""]:
            body = json.dumps([c.status() for c in self.server.cameras.values()]).encode()
            self._reply(HTTPStatus.OK, body, "application/json")
        elif len(parts) == 2 and parts[0] == "mjpeg":
            self._with_camera(parts[1], self._stream)
        elif len(parts) == 2 and parts[0] == "snapshot" and parts[1].endswith(".jpg"):
            self._with_camera(parts[1].removesuffix(".jpg"), self._snapshot)
        else:
            self._reply(HTTPStatus.NOT_FOUND, b"not found\n")

    def do_POST(self) -> None:
        parts = self.path.strip("/").split("/")
        camera = self.server.cameras.get(parts[1]) if len(parts) == 3 else None
        if parts[0] != "control" or camera is None:
            self._reply(HTTPStatus.NOT_FOUND, b"not found\n")
            return
        try:
            camera.control(parts[2])
        except KeyError:
            self._reply(HTTPStatus.BAD_REQUEST, b"unknown action\n")
            return
        self._reply(HTTPStatus.OK, json.dumps(camera.status()).encode(), "application/json")

    def _with_camera(self, name: str, serve: Callable[[SimCamera], None]) -> None:
        camera = self.server.cameras.get(name)
        if camera is None:
            self._reply(HTTPStatus.NOT_FOUND, b"no such camera\n")
            return
        if camera.fault == Fault.STALL:
            # A hung camera: the connection is accepted and nothing ever comes back.
            self._wait_while(camera, Fault.STALL)
            self.close_connection = True
            return
        if camera.fault == Fault.REFUSE:
            self._reply(HTTPStatus.SERVICE_UNAVAILABLE, b"camera unavailable\n")
            return
        credentials = camera.credentials
        if credentials is not None and not credentials.check(
            self.headers.get("Authorization"), "GET", self.path
        ):
            self.send_response(HTTPStatus.UNAUTHORIZED)
            self.send_header("WWW-Authenticate", credentials.challenge(qop=True))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        serve(camera)

    def _snapshot(self, camera: SimCamera) -> None:
        self._reply(HTTPStatus.OK, camera.snapshot_jpeg(), "image/jpeg")

    def _stream(self, camera: SimCamera) -> None:
        self.close_connection = True
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        subscription = camera.subscribe("jpeg")
        try:
            while not self.server.closing.is_set() and not camera.stopped:
                item = subscription.get(timeout=0.5)
                if item is None or isinstance(item, AccessUnit):
                    continue
                if isinstance(item, Drop):
                    if item.mid_frame:
                        self._send_part(camera.snapshot_jpeg(), cut=True)
                    return
                self._send_part(item)
        except OSError:
            return  # the client went away
        finally:
            camera.unsubscribe(subscription)

    def _send_part(self, data: bytes, *, cut: bool = False) -> None:
        header = (
            f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(data)}\r\n\r\n"
        ).encode()
        payload = data[: len(data) // 2] if cut else data + b"\r\n"
        self.wfile.write(header + payload)
        self.wfile.flush()

    def _wait_while(self, camera: SimCamera, fault: Fault) -> None:
        while camera.fault == fault and not self.server.closing.is_set() and not camera.stopped:
            self.server.closing.wait(0.2)

    def _reply(self, status: HTTPStatus, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)
