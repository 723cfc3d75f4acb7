"""Secrets at rest (camera credentials, webhook signing secrets): AES-256-GCM, bound to the
row they belong to.

The row id and field name are the associated data, so a ciphertext copied into another row
(or from the password into the username column) fails to decrypt instead of lending its
secret. The associated data still says "camera" whatever the row (`camera_id`): changing it
would make every stored secret unreadable. Several keys can be configured: the first
encrypts, all decrypt, and each token names the key that made it, so keys rotate by adding a
key, re-encrypting (`rotate_camera_keys`, `rotate_webhook_keys`), then removing the old one.
Plain Python: no Django here.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = "v1"


class CredentialError(Exception):
    """A credential could not be decrypted. The message never contains secret material."""


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:12]


def decode_key(text: str) -> bytes:
    key = base64.urlsafe_b64decode(text.strip().encode())
    if len(key) != 32:
        raise ValueError("camera keys must be 32 bytes (AES-256), base64url-encoded")
    return key


def new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


class CredentialBox:
    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ValueError("at least one camera key is required")
        self._current = keys[0]
        self._by_id = {key_id(k): k for k in keys}

    @staticmethod
    def _aad(camera_id: int, field: str) -> bytes:
        return f"posko:camera:{camera_id}:{field}".encode()

    def encrypt(self, plaintext: str, *, camera_id: int, field: str) -> str:
        nonce = os.urandom(12)
        sealed = AESGCM(self._current).encrypt(
            nonce, plaintext.encode(), self._aad(camera_id, field)
        )
        blob = base64.urlsafe_b64encode(nonce + sealed).decode()
        return f"{VERSION}:{key_id(self._current)}:{blob}"

    def decrypt(self, token: str, *, camera_id: int, field: str) -> str:
        try:
            version, kid, blob = token.split(":", 2)
        except ValueError:
            raise CredentialError("malformed credential token") from None
        if version != VERSION:
            raise CredentialError("unknown credential token version")
        key = self._by_id.get(kid)
        if key is None:
            raise CredentialError(f"credential was encrypted with a key that is not configured "
                                  f"({kid})")
        raw = base64.urlsafe_b64decode(blob.encode())
        try:
            plain = AESGCM(key).decrypt(raw[:12], raw[12:], self._aad(camera_id, field))
        except InvalidTag:
            raise CredentialError("credential does not belong to this camera or was altered") \
                from None
        return plain.decode()

    def is_current(self, token: str) -> bool:
        return token.split(":", 2)[1:2] == [key_id(self._current)]
