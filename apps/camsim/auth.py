"""Server-side check of Basic and Digest credentials for the simulated cameras."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets

from apps.vision.httpauth import basic_authorization, digest_response, parse_params

REALM = "posko-simulator"


class Credentials:
    def __init__(self, username: str, password: str, scheme: str = "digest") -> None:
        if scheme not in ("basic", "digest"):
            raise ValueError("scheme must be basic or digest")
        self.username = username
        self._password = password
        self.scheme = scheme
        self._nonce = secrets.token_hex(16)

    def __repr__(self) -> str:
        return f"Credentials(scheme={self.scheme!r})"

    def challenge(self, *, qop: bool) -> str:
        if self.scheme == "basic":
            return f'Basic realm="{REALM}"'
        return f'Digest realm="{REALM}", nonce="{self._nonce}", algorithm=MD5' + (
            ', qop="auth"' if qop else ""
        )

    def check(self, header: str | None, method: str, uri: str) -> bool:
        """Whether `header` authorises `method` on `uri`, the request's own target: a Digest
        computed for another URI is refused, as strict cameras do (RFC 7616 3.4.6)."""
        if not header:
            return False
        scheme, _, rest = header.strip().partition(" ")
        if scheme.lower() == "basic" and self.scheme == "basic":
            try:
                base64.b64decode(rest, validate=True)
            except (binascii.Error, ValueError):
                return False
            expected = basic_authorization(self.username, self._password)
            return hmac.compare_digest(header.strip().encode(), expected.encode())
        if scheme.lower() != "digest" or self.scheme != "digest":
            return False
        params = parse_params(rest)
        if (params.get("username") != self.username or params.get("nonce") != self._nonce
                or params.get("uri") != uri):
            return False
        algorithm = params.get("algorithm", "MD5").upper()
        if algorithm not in ("MD5", "SHA-256"):
            return False
        expected = digest_response(
            algorithm=algorithm,
            username=self.username,
            realm=REALM,
            password=self._password,
            method=method,
            uri=uri,
            nonce=self._nonce,
            nc=params.get("nc", ""),
            cnonce=params.get("cnonce", ""),
            qop=params.get("qop", ""),
        )
        return hmac.compare_digest(expected, params.get("response", ""))
