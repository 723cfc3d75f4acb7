"""A push service for tests: an HTTP server on 127.0.0.1 that takes Web Push messages for the
devices it made, checks each request's VAPID signature and decrypts its body with the device's
own keys (aes128gcm, as a browser does)."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Device:
    """A browser's subscription: its own P-256 key pair and auth secret."""

    name: str
    endpoint: str
    status: int = 201
    hang: bool = False
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))
    received: list[dict] = field(default_factory=list)

    def subscription(self) -> dict:
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "keys": {"p256dh": _b64(point), "auth": _b64(self.auth)}}


def verify_vapid(authorization: str, origin: str) -> dict:
    """The JWT's claims after checking its ES256 signature with the key `k` it names, its
    audience and its expiry; AssertionError otherwise."""
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid", authorization
    parts = dict(p.strip().split("=", 1) for p in params.split(","))
    token, key = parts["t"], parts["k"]
    head, body, signature = token.split(".")
    raw = _unb64(signature)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(key))
    public.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"),
                                       int.from_bytes(raw[32:], "big")),
                  f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
    assert json.loads(_unb64(head)) == {"typ": "JWT", "alg": "ES256"}
    claims = json.loads(_unb64(body))
    assert claims["aud"] == origin and claims["exp"] > time.time()
    claims["k"] = key
    return claims


@contextmanager
def push_service():
    """Yields `add(name, status=201, hang=False) -> Device`."""
    devices: dict[str, Device] = {}
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            arrived = time.monotonic()
            device = devices[self.path.rsplit("/", 1)[-1]]
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if device.hang:
                device.received.append({"at": arrived})
                release.wait(30)  # a push service that never answers (until the test ends)
                return
            origin = f"http://127.0.0.1:{self.server.server_address[1]}"
            claims = verify_vapid(self.headers["Authorization"], origin)
            assert self.headers["Content-Encoding"] == "aes128gcm"
            plain = http_ece.decrypt(body, private_key=device.key, auth_secret=device.auth,
                                     version="aes128gcm")
            device.received.append({"payload": json.loads(plain), "claims": claims,
                                    "headers": dict(self.headers), "at": arrived})
            self.send_response(device.status)
            self.end_headers()

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256  # the portal connects to every device at once

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def add(name: str, *, status: int = 201, hang: bool = False) -> Device:
        url = f"http://127.0.0.1:{server.server_address[1]}/wpush/v2/{name}"
        devices[name] = Device(name, url, status=status, hang=hang)
        return devices[name]

    try:
        yield add
    finally:
        release.set()
        server.shutdown()
        server.server_close()
