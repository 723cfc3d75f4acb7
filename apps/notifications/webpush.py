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
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from pywebpush import WebPusher, WebPushException

from apps.core import pinned_http
from apps.core.netguard import CheckedUrl

VAPID_LIFETIME = 12 * 3600  # seconds a signature is valid (push services accept up to 24 h)


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


def post(checked: CheckedUrl, body: bytes, headers: dict[str, str], *, timeout: float
         ) -> Outcome:
    """One push request; never raises for the network (the error's class name is kept)."""
    started = time.monotonic()
    try:
        status = pinned_http.post(checked, body, headers, timeout=timeout)
        return Outcome(status, "", time.monotonic() - started)
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(None, type(exc).__name__, time.monotonic() - started)
