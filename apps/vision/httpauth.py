"""HTTP Basic and Digest authentication (RFC 7617, RFC 7616), as IP cameras speak them.

Shared by the stream reader (client side) and the camera simulator (apps.camsim, server side),
so the two compute digests the same way.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

_PARAM = re.compile(r'([a-zA-Z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))')
_HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}


class AuthError(ValueError):
    pass


@dataclass(frozen=True)
class Challenge:
    scheme: str  # "basic" or "digest", lower case
    params: dict[str, str]


def parse_challenge(value: str) -> Challenge:
    scheme, _, rest = value.strip().partition(" ")
    return Challenge(scheme.lower(), parse_params(rest))


def parse_params(text: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for match in _PARAM.finditer(text):
        quoted, bare = match.group(2), match.group(3)
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
        params[match.group(1).lower()] = value
    return params


def pick_challenge(values: Iterable[str]) -> Challenge:
    """The strongest challenge offered: Digest (SHA-256, then MD5) before Basic."""
    challenges = [parse_challenge(v) for v in values]
    for challenge in challenges:
        if challenge.scheme == "digest" and _algorithm(challenge.params) == "SHA-256":
            return challenge
    for scheme in ("digest", "basic"):
        for challenge in challenges:
            if challenge.scheme == scheme and (
                scheme == "basic" or _algorithm(challenge.params) in _HASHES
            ):
                return challenge
    raise AuthError("no supported authentication scheme offered")


def basic_authorization(username: str, password: str) -> str:
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def digest_response(
    *,
    algorithm: str,
    username: str,
    realm: str,
    password: str,
    method: str,
    uri: str,
    nonce: str,
    nc: str = "",
    cnonce: str = "",
    qop: str = "",
) -> str:
    hash_function = _HASHES[algorithm]

    def h(text: str) -> str:
        return hash_function(text.encode()).hexdigest()

    ha1 = h(f"{username}:{realm}:{password}")
    ha2 = h(f"{method}:{uri}")
    if qop:
        return h(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
    return h(f"{ha1}:{nonce}:{ha2}")


class Authorizer:
    """Builds the Authorization header for each request once a challenge was received."""

    def __init__(self, challenge: Challenge, username: str, password: str) -> None:
        self.challenge = challenge
        self._username = username
        self._password = password
        self._count = 0

    def __repr__(self) -> str:
        return f"Authorizer(scheme={self.challenge.scheme!r})"

    def header(self, method: str, uri: str) -> str:
        if self.challenge.scheme == "basic":
            return basic_authorization(self._username, self._password)
        params = self.challenge.params
        algorithm = _algorithm(params)
        qop = "auth" if "auth" in [q.strip() for q in params.get("qop", "").split(",")] else ""
        self._count += 1
        nc = f"{self._count:08x}"
        cnonce = secrets.token_hex(8)
        response = digest_response(
            algorithm=algorithm,
            username=self._username,
            realm=params.get("realm", ""),
            password=self._password,
            method=method,
            uri=uri,
            nonce=params.get("nonce", ""),
            nc=nc,
            cnonce=cnonce,
            qop=qop,
        )
        fields = {
            "username": self._username,
            "realm": params.get("realm", ""),
            "nonce": params.get("nonce", ""),
            "uri": uri,
            "response": response,
            "algorithm": algorithm,
        }
        if "opaque" in params:
            fields["opaque"] = params["opaque"]
        text = ", ".join(f'{key}="{_quote(value)}"' for key, value in fields.items())
        if qop:
            text += f', qop={qop}, nc={nc}, cnonce="{cnonce}"'
        return f"Digest {text}"


def _algorithm(params: dict[str, str]) -> str:
    return params.get("algorithm", "MD5").upper()


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')
