"""Camera redirects pass the camera address policy (security issue item 3).

A tiny RTSP server on 127.0.0.1 answers 302 to each refused address class, at each step of
FFmpeg's own connection; the worker must never connect there (a trap listens where the
redirect points) and says why it stopped. A redirect the policy allows is followed, to the
simulator. An HTTP camera (MJPEG, snapshots) never follows a redirect at all.
"""

from __future__ import annotations

import ipaddress
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from apps.camsim import Simulator
from apps.core.netguard import UrlPolicy, check_url
from apps.vision.rtsprelay import RtspRelay
from apps.vision.source import SourceConfig, SourceKind, StreamState
from tests.vision.helpers import PASSWORD
from tests.vision.test_stream import reading
from tests.waiting import wait_until

# The camera network of these tests: 127.0.0.1 only, so other loopback addresses are refused
# like any address outside the camera networks. 6399 stands for a service next to the portal.
POLICY = UrlPolicy((ipaddress.ip_network("127.0.0.1/32"),),
                   schemes=frozenset({"rtsp", "rtsps"}), denied_ports=frozenset({6399}))


class _Redirecting(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, location: str, on: str) -> None:
        self.location, self.on = location, on
        super().__init__(("127.0.0.1", 0), _Handler)


# A describable stream with nothing behind it: enough for FFmpeg to go on to SETUP and PLAY.
_SDP = (b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
        b"m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:trackID=0\r\n")


class _Handler(socketserver.StreamRequestHandler):
    """Answers 302 to `server.on` ("every" request, or one method), 200 to the rest."""

    def handle(self) -> None:
        while True:
            request = []
            while (line := self.rfile.readline(4096)) not in (b"\r\n", b"\n", b""):
                request.append(line.decode("latin-1").strip())
            if not request:
                return
            method = request[0].split()[0]
            cseq = next((h.split(":", 1)[1].strip() for h in request
                         if h.lower().startswith("cseq:")), "0")
            body = b""
            if self.server.on in ("every", method):
                head = f"RTSP/1.0 302 Moved Temporarily\r\nLocation: {self.server.location}\r\n"
            elif method == "DESCRIBE":
                head, body = "RTSP/1.0 200 OK\r\nContent-Type: application/sdp\r\n", _SDP
            elif method == "SETUP":
                head = ("RTSP/1.0 200 OK\r\nSession: 1234\r\n"
                        "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n")
            else:
                head = "RTSP/1.0 200 OK\r\nPublic: OPTIONS, DESCRIBE, SETUP, PLAY\r\n"
            self.wfile.write(f"{head}CSeq: {cseq}\r\nContent-Length: {len(body)}\r\n\r\n"
                             .encode() + body)


@contextmanager
def redirecting(location: str, on: str = "every") -> Iterator[str]:
    server = _Redirecting(location, on)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"rtsp://127.0.0.1:{server.server_address[1]}/kamera"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def trap(host: str, port: int = 0) -> Iterator[tuple[socket.socket, int]]:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        listener = socket.create_server((host, port), family=family)
    except OSError:
        pytest.skip(f"cannot listen on {host} here")
    with listener:
        listener.setblocking(False)
        yield listener, listener.getsockname()[1]


def was_reached(listener: socket.socket) -> bool:
    try:
        connection, _ = listener.accept()
    except BlockingIOError:
        return False
    connection.close()
    return True


# (where the trap listens, the Location with {port} for the trap's port)
REFUSED = {
    "this host 0.0.0.0": ("127.0.0.1", "rtsp://0.0.0.0:{port}/x"),
    "loopback outside the camera networks": ("127.0.0.2", "rtsp://127.0.0.2:{port}/x"),
    "IPv6 loopback": ("::1", "rtsp://[::1]:{port}/x"),
    "IPv4-mapped IPv6": ("127.0.0.1", "rtsp://[::ffff:127.0.0.1]:{port}/x"),
    "short IPv4 form": ("127.0.0.1", "rtsp://127.1:{port}/x"),
    "hexadecimal IPv4": ("127.0.0.1", "rtsp://0x7f.1:{port}/x"),
    "decimal IPv4": ("127.0.0.1", "rtsp://2130706433:{port}/x"),
    "credentials in the location": ("127.0.0.1", "rtsp://u:p@127.0.0.1:{port}/x"),
    "another scheme": ("127.0.0.1", "http://127.0.0.1:{port}/x"),
    "a local file": ("127.0.0.1", "file:///etc/passwd#{port}"),
}
# Classes nothing here can listen on: the refusal alone is checked.
REFUSED_UNREACHABLE = {
    "link-local (metadata service)": "rtsp://169.254.169.254/latest",
    "multicast": "rtsp://224.0.0.1/x",
    "a private network that is not a camera network": "rtsp://10.9.9.9/x",
    "a port next to the portal": "rtsp://127.0.0.1:6399/x",
    "no location": "",
}


def _refused(url: str) -> str:
    source = SourceConfig(url, SourceKind.RTSP, open_timeout=2.0)
    with reading(source, POLICY) as (reader, frames):
        health = wait_until(lambda: reader.health().error and reader.health(), timeout=10)
        assert frames == []
    assert health.state == StreamState.OFFLINE
    return health.error


@pytest.mark.parametrize("on", ["every", "OPTIONS", "DESCRIBE"])
@pytest.mark.parametrize("case", list(REFUSED))
def test_a_redirect_to_a_refused_address_is_not_followed(case: str, on: str) -> None:
    host, template = REFUSED[case]
    with trap(host) as (listener, port), redirecting(template.format(port=port), on) as url:
        error = _refused(url)
        assert not was_reached(listener), case
    assert error.startswith("redirected"), error


@pytest.mark.parametrize("case", list(REFUSED_UNREACHABLE))
def test_a_redirect_to_an_unreachable_refused_address_is_refused(case: str) -> None:
    with redirecting(REFUSED_UNREACHABLE[case]) as url:
        assert _refused(url).startswith("redirected")


def test_a_redirect_loop_ends() -> None:
    server = _Redirecting("", "every")
    server.location = f"rtsp://127.0.0.1:{server.server_address[1]}/again"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert _refused(server.location) == "too many redirects"
    finally:
        server.shutdown()
        server.server_close()


def test_a_redirect_the_policy_allows_is_followed(simulator: Simulator) -> None:
    with redirecting(simulator.urls("cam-a")["rtsp"], on="DESCRIBE") as url:
        source = SourceConfig(url, SourceKind.RTSP, open_timeout=3.0)
        with reading(source, POLICY) as (reader, frames):
            wait_until(lambda: len(frames) >= 3, timeout=15)
            assert reader.health().state == StreamState.ONLINE


@pytest.mark.parametrize("on", ["SETUP", "PLAY"])
def test_a_redirect_while_setting_up_is_refused_wherever_it_points(on: str) -> None:
    """FFmpeg's own connection goes through the relay: a camera that describes its stream and
    only then redirects (to a place the policy would even allow) is not followed."""
    with trap("127.0.0.1") as (listener, port), \
            redirecting(f"rtsp://127.0.0.1:{port}/x", on) as url:
        error = _refused(url)
        assert not was_reached(listener)
    assert error == "redirected while setting up the stream"


def test_ffmpeg_never_sees_a_redirect_nor_the_credentials() -> None:
    """What reaches FFmpeg's socket: no 3xx, and it was given no password to send."""
    with trap("127.0.0.1") as (listener, port), \
            redirecting(f"rtsp://0.0.0.0:{port}/x") as url:
        relay = RtspRelay(check_url(url, POLICY), POLICY, username="operator",
                          password="s3cr3t", timeout=2.0)
        try:
            assert "s3cr3t" not in relay.url and "@" not in relay.url
            assert relay.url.startswith("rtsp://127.0.0.1:") and relay.url.endswith("/kamera")
            address = ("127.0.0.1", urlsplit(relay.url).port)
            with socket.create_connection(address, timeout=5) as ffmpeg:
                ffmpeg.sendall(f"OPTIONS {relay.url} RTSP/1.0\r\nCSeq: 1\r\n\r\n".encode())
                received = _read_all(ffmpeg)
            assert received == b""
            wait_until(lambda: relay.failure, timeout=5)
        finally:
            relay.close()
        assert relay.failure.startswith("redirected to a refused address")
        assert not was_reached(listener)


def test_requests_reach_the_camera_under_its_own_address_and_signed(simulator: Simulator) -> None:
    """The strict simulator refuses a Digest computed for another URI: FFmpeg, given the
    relay's address and no credentials, still plays a camera with a password."""
    url = simulator.urls("cam-auth")["rtsp"]
    source = SourceConfig(url, SourceKind.RTSP, username="operator", password=PASSWORD)
    with reading(source, POLICY) as (reader, frames):
        wait_until(lambda: len(frames) >= 3, timeout=15)
        assert reader.health().state == StreamState.ONLINE


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(4096):
        data += chunk
    return data


# --- HTTP cameras (MJPEG, snapshots): a redirect is never followed ---------------------------

HTTP_POLICY = UrlPolicy((ipaddress.ip_network("127.0.0.1/32"),),
                        schemes=frozenset({"http", "https"}), denied_ports=frozenset({6399}))


@contextmanager
def http_redirecting(location: str) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/snapshot.jpg"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("kind", [SourceKind.MJPEG, SourceKind.JPEG])
@pytest.mark.parametrize("case", list(REFUSED))
def test_an_http_camera_redirect_is_never_followed(case: str, kind: SourceKind) -> None:
    host, template = REFUSED[case]
    location = template.replace("rtsp://", "http://").format(port="{port}")
    with trap(host) as (listener, port), http_redirecting(location.format(port=port)) as url:
        source = SourceConfig(url, kind, open_timeout=2.0, poll_interval=0.2)
        with reading(source, HTTP_POLICY) as (reader, frames):
            health = wait_until(lambda: reader.health().error and reader.health(), timeout=10)
            assert frames == []
        assert not was_reached(listener), case
    assert health.state == StreamState.OFFLINE and health.error == "HTTP status 302"
