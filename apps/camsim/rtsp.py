"""A small RTSP server (RFC 2326) sending H.264 over RTP interleaved in the TCP connection.

Enough for FFmpeg/OpenCV with rtsp_transport=tcp: OPTIONS, DESCRIBE, SETUP (TCP interleaved
only), PLAY, GET_PARAMETER (keep-alive) and TEARDOWN. URLs are rtsp://127.0.0.1:<port>/<camera>.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import re
import secrets
import socket
import socketserver
import threading
from urllib.parse import urlsplit

from apps.camsim.camera import AccessUnit, Drop, Fault, SimCamera
from apps.camsim.h264 import PAYLOAD_TYPE
from apps.camsim.tracking import TrackedConnectionsServer

logger = logging.getLogger(__name__)

MAX_REQUEST = 16 * 1024
_INTERLEAVED = re.compile(r"interleaved=(\d+)(?:-(\d+))?")


class SimRtspServer(TrackedConnectionsServer):
    def __init__(self, port: int, cameras: dict[str, SimCamera]) -> None:
        super().__init__(port, cameras, _RtspHandler)


class _Request:
    def __init__(self, method: str, url: str, headers: dict[str, str]) -> None:
        self.method = method
        self.url = url
        self.headers = headers

    @property
    def camera_name(self) -> str:
        return urlsplit(self.url).path.strip("/").split("/")[0]


class _RtspHandler(socketserver.BaseRequestHandler):
    server: SimRtspServer
    request: socket.socket

    def setup(self) -> None:
        self._send_lock = threading.Lock()
        self._session = secrets.token_hex(8)
        self._channel = 0
        self._playing: threading.Thread | None = None
        self._closed = threading.Event()
        self._file = self.request.makefile("rb")

    def handle(self) -> None:
        try:
            while not self._closed.is_set() and not self.server.closing.is_set():
                first = self._file.read(1)
                if not first:
                    return
                if first == b"$":
                    # RTCP receiver reports from the client: read and ignore.
                    header = self._file.read(3)
                    if len(header) < 3:
                        return
                    self._file.read(int.from_bytes(header[1:3], "big"))
                    continue
                request = self._read_request(first)
                if request is None:
                    return
                if not self._answer(request):
                    return
        except OSError:
            return
        finally:
            self._closed.set()
            if self._playing is not None:
                self._playing.join(timeout=2)

    def _read_request(self, first: bytes) -> _Request | None:
        lines: list[str] = []
        line = first + self._file.readline(MAX_REQUEST)
        size = len(line)
        while line.strip():
            lines.append(line.decode("latin-1").rstrip("\r\n"))
            line = self._file.readline(MAX_REQUEST)
            size += len(line)
            if not line or size > MAX_REQUEST:
                return None
        parts = lines[0].split(" ") if lines else []
        if len(parts) != 3 or not parts[2].startswith("RTSP/"):
            return None
        headers: dict[str, str] = {}
        for header in lines[1:]:
            name, _, value = header.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or 0)
        if length:
            self._file.read(min(length, MAX_REQUEST))
        return _Request(parts[0], parts[1], headers)

    def _answer(self, request: _Request) -> bool:
        """Reply to one request; False when the connection should end."""
        camera = self.server.cameras.get(request.camera_name)
        if request.method == "OPTIONS":
            self._reply(request, 200, {
                "Public": "OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER, TEARDOWN"
            })
            return True
        if camera is None:
            self._reply(request, 404)
            return True
        if camera.fault == Fault.STALL:
            while camera.fault == Fault.STALL and not self.server.closing.is_set():
                self.server.closing.wait(0.2)
            return False
        if camera.fault == Fault.REFUSE:
            self._reply(request, 503)
            return False
        if request.method in ("DESCRIBE", "SETUP", "PLAY") and not self._authorised(
            camera, request
        ):
            return True
        handler = {
            "DESCRIBE": self._describe,
            "SETUP": self._setup,
            "PLAY": self._play,
            "GET_PARAMETER": self._keepalive,
            "TEARDOWN": self._teardown,
        }.get(request.method)
        if handler is None:
            self._reply(request, 501)
            return True
        return handler(camera, request)

    def _authorised(self, camera: SimCamera, request: _Request) -> bool:
        credentials = camera.credentials
        if credentials is None or credentials.check(
            request.headers.get("authorization"), request.method, request.url
        ):
            return True
        self._reply(request, 401, {"WWW-Authenticate": credentials.challenge(qop=False)})
        return False

    def _describe(self, camera: SimCamera, request: _Request) -> bool:
        sps, pps = camera.parameter_sets()
        sprop = ",".join(base64.b64encode(p).decode() for p in (sps, pps))
        spec = camera.spec
        sdp = (
            "v=0\r\n"
            f"o=- {secrets.randbelow(2**31)} 1 IN IP4 127.0.0.1\r\n"
            f"s=Posko simulator {spec.name}\r\n"
            "c=IN IP4 0.0.0.0\r\n"
            "t=0 0\r\n"
            "a=control:*\r\n"
            f"m=video 0 RTP/AVP {PAYLOAD_TYPE}\r\n"
            f"a=rtpmap:{PAYLOAD_TYPE} H264/90000\r\n"
            f"a=fmtp:{PAYLOAD_TYPE} packetization-mode=1;profile-level-id={sps[1:4].hex()};"
            f"sprop-parameter-sets={sprop}\r\n"
            f"a=framerate:{spec.fps:g}\r\n"
            f"a=x-dimensions:{spec.width},{spec.height}\r\n"
            "a=control:trackID=0\r\n"
        ).encode()
        base = request.url.rstrip("/") + "/"
        self._reply(request, 200, {"Content-Base": base, "Content-Type": "application/sdp"}, sdp)
        return True

    def _setup(self, camera: SimCamera, request: _Request) -> bool:
        transport = request.headers.get("transport", "")
        match = _INTERLEAVED.search(transport)
        if "RTP/AVP/TCP" not in transport.upper() or match is None:
            # UDP would need ports through firewalls; the reader always asks for TCP.
            self._reply(request, 461)
            return True
        self._channel = int(match.group(1))
        rtcp = self._channel + 1
        self._reply(request, 200, {
            "Transport": f"RTP/AVP/TCP;unicast;interleaved={self._channel}-{rtcp}",
            "Session": f"{self._session};timeout=60",
        })
        return True

    def _play(self, camera: SimCamera, request: _Request) -> bool:
        self._reply(request, 200, {"Session": self._session, "Range": "npt=0.000-"})
        if self._playing is None:
            self._playing = threading.Thread(
                target=self._send_stream, args=(camera,), name="rtsp-send", daemon=True
            )
            self._playing.start()
        return True

    def _keepalive(self, camera: SimCamera, request: _Request) -> bool:
        self._reply(request, 200, {"Session": self._session})
        return True

    def _teardown(self, camera: SimCamera, request: _Request) -> bool:
        self._reply(request, 200, {"Session": self._session})
        return False

    def _send_stream(self, camera: SimCamera) -> None:
        subscription = camera.subscribe("h264")
        prefix = b"$" + bytes([self._channel])
        try:
            while not self._closed.is_set() and not self.server.closing.is_set():
                item = subscription.get(timeout=0.5)
                if item is None or not isinstance(item, AccessUnit | Drop):
                    continue
                if isinstance(item, Drop):
                    if item.mid_frame:
                        with self._send_lock:
                            self.request.sendall(prefix + (1400).to_bytes(2, "big") + b"\x80")
                    break
                data = b"".join(
                    prefix + len(packet).to_bytes(2, "big") + packet for packet in item.packets
                )
                with self._send_lock:
                    self.request.sendall(data)
        except OSError:
            pass
        finally:
            camera.unsubscribe(subscription)
            self._closed.set()
            with contextlib.suppress(OSError):
                self.request.shutdown(socket.SHUT_RDWR)

    def _reply(
        self,
        request: _Request,
        status: int,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> None:
        reason = {
            200: "OK",
            401: "Unauthorized",
            404: "Not Found",
            461: "Unsupported Transport",
            501: "Not Implemented",
            503: "Service Unavailable",
        }[status]
        lines = [f"RTSP/1.0 {status} {reason}", f"CSeq: {request.headers.get('cseq', '0')}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        lines += ["Server: posko-simulator", f"Content-Length: {len(body)}", "", ""]
        with self._send_lock:
            self.request.sendall("\r\n".join(lines).encode() + body)
