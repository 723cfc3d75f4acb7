"""Ed25519 signatures over the chain's anchors, with a key that is never in the database.

An intruder who can rewrite the database can recompute every hash of the chain, and the
anchors stored beside it, but cannot sign a new anchor without this key. Keys come from
`settings.ANCHOR_SIGNING_KEYS` (newest first, base64url of the 32-byte Ed25519 seed; the
environment or a file in cluster mode, generated under var/ in embedded mode). The newest
signs; the older ones still verify what they signed. The public key verifies anywhere:
`python manage.py verify_records --public-key` prints it for the witnesses.

This module imports no models: settings use `new_signing_key()`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.strip().encode())


def new_signing_key() -> str:
    return _b64(Ed25519PrivateKey.generate().private_bytes_raw())


def _private(key: str) -> Ed25519PrivateKey:
    try:
        return Ed25519PrivateKey.from_private_bytes(_unb64(key))
    except (ValueError, binascii.Error) as exc:
        raise ValueError("ANCHOR_SIGNING_KEYS holds a key that is not a base64url "
                         "32-byte Ed25519 seed") from exc


def public_key_of(key: str) -> str:
    return _b64(_private(key).public_key().public_bytes_raw())


def key_id(public_key: str) -> str:
    """A short name of a public key, stored beside each signature."""
    return hashlib.sha256(_unb64(public_key)).hexdigest()[:16]


@dataclass(frozen=True)
class Signature:
    key_id: str
    value: str  # base64url


def _settings_keys() -> list[str]:
    from django.conf import settings

    return list(settings.ANCHOR_SIGNING_KEYS)


def sign(message: bytes) -> Signature:
    key = _settings_keys()[0]
    return Signature(key_id(public_key_of(key)), _b64(_private(key).sign(message)))


def verifying_keys(extra_public_keys: tuple[str, ...] = ()) -> dict[str, str]:
    """key id → public key: those of the configured keys and any given by hand."""
    public = [public_key_of(key) for key in _settings_keys()] + list(extra_public_keys)
    return {key_id(p): p for p in public}


def verify(message: bytes, signature: Signature, keys: dict[str, str]) -> bool:
    public = keys.get(signature.key_id)
    if public is None or not signature.value:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(_unb64(public)).verify(
            _unb64(signature.value), message)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True
