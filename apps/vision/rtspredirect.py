"""RTSP redirects go through the camera address policy, or nowhere.

FFmpeg follows an RTSP 3xx on its own, to whatever its Location names, and has no option to
stop it: a camera (or whoever answers at its address) could send the worker to 0.0.0.0, to
loopback services or to a cloud metadata address on every reconnect. So before FFmpeg opens a
stream, the reader asks the camera itself, the way FFmpeg is about to: OPTIONS, then DESCRIBE,
with FFmpeg's User-Agent and the camera's credentials. A redirect is checked against the same
UrlPolicy as the configured address (and the address it resolves to is pinned); FFmpeg is then
given the final address, where the camera has just answered without redirecting. A redirect
the policy refuses ends the attempt.

What this cannot rule out: a peer that answers this probe and FFmpeg's requests a moment
later differently on purpose. The probe looks like FFmpeg to make that harder; a connection
through a relay that inspects every reply would close it, at the cost of copying every video
byte once more.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable

import av

from apps.vision.httpauth import AuthError, Authorizer, pick_challenge
from apps.vision.urls import CheckedUrl, UrlPolicy, UrlRejected, check_url

MAX_REDIRECTS = 3
MAX_HEADER_BYTES = 16 * 1024
MAX_BODY_BYTES = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 305, 307, 308})
USER_AGENT = "Lavf{}.{}.{}".format(*av.library_versions["libavformat"])


class RedirectRefused(Exception):
    """The camera redirected somewhere the policy refuses, or too often. `str()` is a fixed
    phrase with the policy's reason: never the Location itself."""


class ProbeFailed(Exception):
    """The camera could not be asked (refused, silent, not RTSP)."""


def follow_redirects(
    checked: CheckedUrl,
    policy: UrlPolicy,
    *,
    username: str = "",
    password: str = "",
    timeout: float = 5.0,
    connect: Callable[[CheckedUrl, float], socket.socket] | None = None,
) -> CheckedUrl:
    """The address to give FFmpeg: `checked`, or where the camera redirects it, each hop
    checked against `policy`. Raises RedirectRefused or ProbeFailed."""
    connect = connect or _connect
    for _hop in range(MAX_REDIRECTS + 1):
        location = _redirect_of(checked, username, password, timeout, connect)
        if location is None:
            return checked
        try:
            checked = check_url(location, policy)
        except UrlRejected as rejected:
            raise RedirectRefused(f"redirected to a refused address: {rejected.reason}") from None
        if checked.scheme not in ("rtsp", "rtsps"):
            raise RedirectRefused("redirected to a refused address: not RTSP")
    raise RedirectRefused("too many redirects")


def _redirect_of(checked: CheckedUrl, username: str, password: str, timeout: float,
                 connect: Callable[[CheckedUrl, float], socket.socket]) -> str | None:
    """The Location the camera answers OPTIONS or DESCRIBE with, if it redirects."""
    url = checked.url
    authorizer: Authorizer | None = None
    with connect(checked, timeout) as sock:
        reader = sock.makefile("rb")
        sequence = 0
        for method in ("OPTIONS", "DESCRIBE"):
            for _attempt in range(2):
                sequence += 1
                headers = [f"{method} {url} RTSP/1.0", f"CSeq: {sequence}",
                           f"User-Agent: {USER_AGENT}"]
                if method == "DESCRIBE":
                    headers.append("Accept: application/sdp")
                if authorizer is not None:
                    headers.append(f"Authorization: {authorizer.header(method, url)}")
                try:
                    sock.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
                    status, reply = _read_reply(reader)
                except OSError as exc:
                    raise ProbeFailed(_describe(exc)) from None
                if status in _REDIRECTS:
                    location = reply.get("location", [""])[0]
                    if not location:
                        raise RedirectRefused("redirected without a location")
                    return location
                if status == 401 and authorizer is None and (username or password):
                    try:
                        challenge = pick_challenge(reply.get("www-authenticate", []))
                    except AuthError:
                        return None
                    authorizer = Authorizer(challenge, username, password)
                    continue
                if status != 200:
                    return None  # FFmpeg meets the same answer and reports it
                break
            else:
                return None
    return None


def _read_reply(reader) -> tuple[int, dict[str, list[str]]]:
    """The status and headers (lower-case names, every value) of one answer; its body is
    read and dropped."""
    status_line = reader.readline(MAX_HEADER_BYTES)
    parts = status_line.decode("latin-1").split(None, 2)
    if len(parts) < 2 or not parts[0].startswith("RTSP/") or not parts[1].isdigit():
        raise ProbeFailed("not an RTSP answer")
    reply: dict[str, list[str]] = {}
    size = len(status_line)
    while True:
        line = reader.readline(MAX_HEADER_BYTES)
        size += len(line)
        if not line or size > MAX_HEADER_BYTES:
            raise ProbeFailed("RTSP answer cut short or too long")
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("latin-1").partition(":")
        reply.setdefault(name.strip().lower(), []).append(value.strip())
    length = reply.get("content-length", ["0"])[0]
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        raise ProbeFailed("RTSP answer body too long")
    if int(length):
        reader.read(int(length))
    return int(parts[1]), reply


def _connect(checked: CheckedUrl, timeout: float) -> socket.socket:
    """A connection to the address that was checked (never the name again: DNS rebinding)."""
    try:
        sock = socket.create_connection((str(checked.addresses[0]), checked.port),
                                        timeout=timeout)
        if checked.scheme == "rtsps":
            # FFmpeg does not verify an RTSPS camera's certificate either.
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            sock = context.wrap_socket(sock, server_hostname=checked.host)
    except (OSError, ssl.SSLError) as exc:
        raise ProbeFailed(_describe(exc)) from None
    return sock


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    return type(exc).__name__
