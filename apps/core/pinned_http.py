"""One POST to an address the network-address guard checked (apps.core.netguard), over a
connection made to that checked address itself: a second DNS lookup could answer with another
address (DNS rebinding). The Host header and the TLS certificate still name the host.
Used by webhooks and Web Push. No Django."""

from __future__ import annotations

import http.client
import socket
import ssl

from apps.core.netguard import CheckedUrl

RESPONSE_READ_LIMIT = 64 * 1024  # a receiver's answer is read this far, never more


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(checked: CheckedUrl, body: bytes, headers: dict[str, str], *, timeout: float) -> int:
    """The HTTP status of one POST (redirects are not followed); raises OSError or
    http.client.HTTPException for the network."""
    connection_class = (_PinnedHTTPSConnection if checked.scheme == "https"
                        else _PinnedHTTPConnection)
    connection = connection_class(checked.host, checked.port, address=str(checked.addresses[0]),
                                  timeout=timeout)
    try:
        connection.request("POST", checked.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(RESPONSE_READ_LIMIT)
        return response.status
    finally:
        connection.close()
