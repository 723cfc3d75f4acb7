"""`manage.py serve` starts the demo's camera watchers only once the camera simulator listens
(apps.core.management.commands.serve.wait_for_ports)."""

from __future__ import annotations

import socket
import subprocess
import sys

from apps.core.management.commands.serve import wait_for_ports
from tests.integration.processes import free_port

LISTEN_LATER = """
import socket, sys, time
time.sleep(float(sys.argv[2]))
server = socket.create_server(("127.0.0.1", int(sys.argv[1])))
while True:
    server.accept()[0].close()
"""


def _listening_after(port: int, delay: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", LISTEN_LATER, str(port), str(delay)])


def test_it_returns_once_every_port_accepts_connections() -> None:
    ports = [free_port(), free_port()]
    first, second = _listening_after(ports[0], 0.0), _listening_after(ports[1], 1.0)
    try:
        assert wait_for_ports(first, ports)
        # The second listens a second late: returned, the function had waited for it.
        socket.create_connection(("127.0.0.1", ports[1]), timeout=1).close()
    finally:
        first.kill()
        second.kill()


def test_it_gives_up_when_the_process_exits_or_the_time_is_up() -> None:
    port = free_port()
    exited = subprocess.Popen([sys.executable, "-c", "pass"])
    exited.wait()
    assert not wait_for_ports(exited, [port])
    silent = _listening_after(port, 60.0)
    try:
        assert not wait_for_ports(silent, [port], seconds=0.5)
    finally:
        silent.kill()
