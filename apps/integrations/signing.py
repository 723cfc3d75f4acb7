"""Webhook signatures, and the signing secret sealed at rest.

Each attempt signs the delivery's fixed body again with a fresh timestamp:

    X-Posko-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>

Receivers check the HMAC with a constant-time compare and refuse a `t` older than 5 minutes;
`verify_signature` below is the reference check. The secret is shown once and kept
AES-256-GCM encrypted with CAMERA_KEYS (apps.core.credentials), bound to its endpoint."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from apps.core import credentials
from apps.integrations.models import WebhookEndpoint

SIGNATURE_HEADER = "X-Posko-Signature"
SIGNATURE_TOLERANCE = 300  # seconds
# Associated data of the sealed secret: a camera credential cannot stand in for it.
SEALED_FIELD = "webhook-signing-key"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(secret: str, header: str, body: bytes, *, now: float | None = None,
                     tolerance: int = SIGNATURE_TOLERANCE) -> bool:
    """What a receiver does: parse `t` and `v1`, refuse old timestamps, compare in constant
    time."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def seal(endpoint: WebhookEndpoint, secret: str) -> str:
    return credentials.box().encrypt(secret, camera_id=endpoint.pk, field=SEALED_FIELD)


def endpoint_secret(endpoint: WebhookEndpoint) -> str:
    return credentials.box().decrypt(endpoint.secret_token, camera_id=endpoint.pk,
                                     field=SEALED_FIELD)
