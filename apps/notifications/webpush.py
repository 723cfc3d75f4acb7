"""Web Push on the wire, without Django: VAPID keys and signatures (RFC 8292), the payload's
encryption for one subscription (aes128gcm, RFC 8291, by pywebpush/http_ece) and one POST to
the push service.

The POST goes to the address the network-address guard checked (apps.core.netguard, as
webhooks do), not to whatever the host name resolves to a moment later, never follows a
redirect, and gives up after `timeout` seconds on connecting and on each read, so a push
service that hangs holds only its own request."""

from __future__ import annotations

import base64
import http.client
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from pywebpush import WebPusher, WebPushException

from apps.core.netguard import CheckedUrl

VAPID_LIFETIME = 12 * 3600  # seconds a signature is valid (push services accept up to 24 h)
RESPONSE_READ_LIMIT = 16 * 1024


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def new_private_key() -> str:
    """A new VAPID private key: the P-256 scalar, 32 bytes, base64url (what py_vapid reads)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return b64url(key.private_numbers().private_value.to_bytes(32, "big"))


def public_key(private_key: str) -> str:
    """The applicationServerKey a browser subscribes with: the uncompressed public point."""
    point = Vapid02.from_string(private_key).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64url(point)


def vapid_headers(private_key: str, subject: str, endpoint: str, *, now: float | None = None
                  ) -> dict[str, str]:
    """The Authorization header for one push service (the JWT's audience is its origin)."""
    parts = urlsplit(endpoint)
    claims = {"sub": subject, "aud": f"{parts.scheme}://{parts.netloc}",
              "exp": int((now or time.time()) + VAPID_LIFETIME)}
    return {str(k): str(v) for k, v in Vapid02.from_string(private_key).sign(claims).items()}


def encrypt(endpoint: str, p256dh: str, auth: str, payload: bytes) -> bytes:
    """`payload` encrypted for the subscription's keys (aes128gcm: salt and key in the body);
    ValueError when the keys are not a usable P-256 point and secret."""
    try:
        pusher = WebPusher({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}})
        return bytes(pusher.encode(payload, "aes128gcm")["body"])
    except (WebPushException, TypeError) as exc:
        raise ValueError(str(exc)) from exc


@dataclass(frozen=True)
class Outcome:
    status: int | None
    error: str
    seconds: float

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def gone(self) -> bool:
        """The push service says the subscription no longer exists."""
        return self.status in (404, 410)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked address, the certificate checked against the host name."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(checked: CheckedUrl, body: bytes, headers: dict[str, str], *, timeout: float
         ) -> Outcome:
    """One push request; never raises for the network (the error's class name is kept)."""
    started = time.monotonic()
    connection_class = (_PinnedHTTPSConnection if checked.scheme == "https"
                        else _PinnedHTTPConnection)
    connection = connection_class(checked.host, checked.port, address=str(checked.addresses[0]),
                                  timeout=timeout)
    try:
        connection.request("POST", checked.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(RESPONSE_READ_LIMIT)
        return Outcome(response.status, "", time.monotonic() - started)
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(None, type(exc).__name__, time.monotonic() - started)
    finally:
        connection.close()
