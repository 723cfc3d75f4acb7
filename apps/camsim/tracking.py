"""What the simulator's HTTP and RTSP servers share: they remember their open connections so
that stopping a simulated camera (or a "refuse" fault) can cut live streams at once."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading

from apps.camsim.camera import SimCamera


class TrackedConnectionsServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, cameras: dict[str, SimCamera], handler) -> None:
        self.cameras = cameras
        self.closing = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), handler)

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)  # type: ignore[arg-type]

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_all(self) -> None:
        """Stop serving and cut every open connection (streams included)."""
        self.closing.set()
        self.shutdown()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self.server_close()
