"""RTSP redirects pass the camera address policy (security issue item 3).

A tiny RTSP server on 127.0.0.1 answers 302 to each refused address class; the worker must
never connect there (a trap listens where the redirect points) and says why it stopped. A
redirect the policy allows is followed, to the simulator."""

from __future__ import annotations

import ipaddress
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from apps.vision.simulator import Simulator
from apps.vision.stream import SourceConfig, SourceKind, StreamState
from apps.vision.urls import UrlPolicy
from tests.vision.helpers import wait_until
from tests.vision.test_stream import reading

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


class _Handler(socketserver.StreamRequestHandler):
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
            if self.server.on in ("every", method):
                head = f"RTSP/1.0 302 Moved Temporarily\r\nLocation: {self.server.location}\r\n"
            else:
                head = "RTSP/1.0 200 OK\r\nPublic: OPTIONS, DESCRIBE, SETUP, PLAY\r\n"
            self.wfile.write(f"{head}CSeq: {cseq}\r\nContent-Length: 0\r\n\r\n".encode())


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


@pytest.mark.parametrize("on", ["every", "DESCRIBE"])
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
