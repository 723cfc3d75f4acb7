"""FFmpeg reaches an RTSP camera only through a relay that checks every answer.

FFmpeg follows an RTSP 3xx on its own, to whatever its Location names, and has no option to
stop it: a camera (or whoever answers at its address) could send the worker to 0.0.0.0, to
loopback services or to a cloud metadata address. So FFmpeg never talks to a camera directly.
It opens `rtsp://127.0.0.1:<port>/…`, a relay that holds the only connection to the camera,
made to the address the policy checked (never the name again: DNS rebinding):

- Until the camera has answered PLAY, the relay reads every answer. A redirect of OPTIONS
  or DESCRIBE (where FFmpeg would follow one) is followed by the relay itself, on a new
  connection, after the same UrlPolicy check as the configured address (at most
  MAX_REDIRECTS hops); FFmpeg never sees a 3xx. A redirect the policy refuses, or one of
  SETUP or PLAY, ends the connection, and `failure` says why.
- FFmpeg is given no credentials: the relay answers the camera's 401 with Basic or Digest
  itself, computed over the request URI the camera actually receives (FFmpeg's would name
  the relay), so the password is never in FFmpeg's URL, its logs or its error messages.
- After PLAY the camera's bytes go on unread (FFmpeg follows redirects only while
  connecting), except that an H.264 or H.265 stream's fragmented NAL units are joined back
  into one packet each (apps.vision.rtpjoin): FFmpeg reads an interleaved packet in three
  system calls, so a ~1.4 KB fragment each cost it more than all else the relay does.
  FFmpeg's requests (keep-alives, teardown) are still rewritten and signed.

One relay serves one FFmpeg connection and ends with it, on one extra thread per camera.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import av

from apps.core.netguard import CheckedUrl, UrlPolicy, UrlRejected, check_url
from apps.vision.httpauth import AuthError, Authorizer, pick_challenge
from apps.vision.rtpjoin import RtpJoiner, joinable_payload_types

MAX_REDIRECTS = 3
MAX_HEADER_BYTES = 16 * 1024
MAX_BODY_BYTES = 256 * 1024
CHUNK = 256 * 1024
_REDIRECTS = frozenset({301, 302, 303, 305, 307, 308})
# Requests whose redirect the relay follows (to a new connection, before any session).
_FOLLOWED = frozenset({"OPTIONS", "DESCRIBE"})
# Server-originated requests the relay answers itself (never passed on to FFmpeg).
_HARMLESS_SERVER_REQUESTS = frozenset({"OPTIONS", "GET_PARAMETER", "SET_PARAMETER"})
USER_AGENT = "Lavf{}.{}.{}".format(*av.library_versions["libavformat"])

Connect = Callable[[CheckedUrl, float], socket.socket]


class RelayFailed(Exception):
    """The camera could not be reached, or answered something the relay refuses. `str()` is
    a fixed phrase (with the policy's reason): never a Location, a URL or a credential."""


@dataclass
class _Message:
    """One RTSP request or response: the first line, headers in order, the body."""

    first_line: str
    headers: list[tuple[str, str]]
    body: bytes = b""

    def get(self, name: str) -> str | None:
        lowered = name.lower()
        return next((value for key, value in self.headers if key.lower() == lowered), None)

    def without(self, name: str) -> list[tuple[str, str]]:
        lowered = name.lower()
        return [(key, value) for key, value in self.headers if key.lower() != lowered]

    @property
    def status(self) -> int | None:
        parts = self.first_line.split(None, 2)
        if len(parts) >= 2 and parts[0].startswith("RTSP/") and parts[1].isdigit():
            return int(parts[1])
        return None

    def encode(self) -> bytes:
        headers = [(k, v) for k, v in self.without("Content-Length")]
        if self.body:
            headers.append(("Content-Length", str(len(self.body))))
        lines = [self.first_line, *(f"{key}: {value}" for key, value in headers), "", ""]
        return "\r\n".join(lines).encode("latin-1") + self.body


@dataclass
class _Parser:
    """Splits one direction's bytes into interleaved frames (passed on as they are) and RTSP
    messages. Raises RelayFailed on anything that is neither, or too large."""

    buffer: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> list[bytes | _Message]:
        self.buffer += data
        items: list[bytes | _Message] = []
        while self.buffer:
            if self.buffer[0] == 0x24:  # '$': channel, 16-bit length, payload
                if len(self.buffer) < 4:
                    break
                end = 4 + int.from_bytes(self.buffer[2:4], "big")
                if len(self.buffer) < end:
                    break
                items.append(bytes(self.buffer[:end]))
                del self.buffer[:end]
                continue
            message = self._message()
            if message is None:
                break
            items.append(message)
        return items

    def _message(self) -> _Message | None:
        head_end = self.buffer.find(b"\r\n\r\n")
        if head_end == -1:
            if len(self.buffer) > MAX_HEADER_BYTES:
                raise RelayFailed("RTSP message header too long")
            return None
        lines = self.buffer[:head_end].decode("latin-1").split("\r\n")
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
        message = _Message(lines[0], headers)
        length = message.get("Content-Length") or "0"
        if not length.isdigit() or int(length) > MAX_BODY_BYTES:
            raise RelayFailed("RTSP message body too long")
        end = head_end + 4 + int(length)
        if len(self.buffer) < end:
            return None
        message.body = bytes(self.buffer[head_end + 4:end])
        del self.buffer[:end]
        if message.status is None and not _is_request_line(lines[0]):
            raise RelayFailed("not RTSP")
        return message


class RtspRelay:
    """A loopback RTSP address for FFmpeg in front of one checked camera address."""

    def __init__(self, checked: CheckedUrl, policy: UrlPolicy, *, username: str = "",
                 password: str = "", timeout: float = 5.0, connect: Connect | None = None) -> None:
        self._camera_url = checked.url
        self._policy = policy
        self._username, self._password = username, password
        self._timeout = timeout
        self._connect = connect or _connect
        # Until PLAY is answered: FFmpeg has no overall open timeout of its own (see
        # apps.vision.videocapture), so the relay gives up on a camera that takes longer.
        self._setup_deadline = time.monotonic() + timeout
        self._camera = self._connect(checked, timeout)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(timeout)
        relay_authority = f"rtsp://127.0.0.1:{self._listener.getsockname()[1]}"
        self.url = relay_authority + _path_of(checked.url)
        self._relay_authority = relay_authority
        self._client: socket.socket | None = None
        self._authorizer: Authorizer | None = None
        self._pending: dict[str, tuple[_Message, bool]] = {}  # CSeq → (request, retried)
        self._playing = False
        self._joiner: RtpJoiner | None = None  # from the DESCRIBE answer's SDP
        self._hops = 0
        self._closed = threading.Event()
        self.failure: str | None = None
        self._thread = threading.Thread(target=self._run, name="rtsp-relay", daemon=True)
        self._thread.start()

    def __repr__(self) -> str:
        return f"RtspRelay({self.url!r})"

    def close(self) -> None:
        """End both connections; the relay's thread closes the sockets (closing them here
        could drop the wake-up its selector is waiting for)."""
        self._closed.set()
        for sock in (self._listener, self._client, self._camera):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=2)

    # The relay's thread ---------------------------------------------------------------

    def _run(self) -> None:
        try:
            try:
                self._client, _ = self._listener.accept()
            finally:
                self._listener.close()
            self._client.settimeout(None)
            self._camera.settimeout(None)
            self._pump()
        except RelayFailed as exc:
            self.failure = str(exc)
        except (OSError, ssl.SSLError):
            pass  # either side went away: FFmpeg notices and reports it
        finally:
            self._closed.set()
            for sock in (self._client, self._camera):
                if sock is not None:
                    _shut(sock)

    def _pump(self) -> None:
        from_client, from_camera = _Parser(), _Parser()
        with selectors.DefaultSelector() as selector:
            selector.register(self._client, selectors.EVENT_READ, "client")
            selector.register(self._camera, selectors.EVENT_READ, "camera")
            while not self._closed.is_set():
                if not self._playing and time.monotonic() >= self._setup_deadline:
                    raise RelayFailed("the camera did not start the stream in time")
                wait = 1.0 if self._playing else min(
                    1.0, max(0.0, self._setup_deadline - time.monotonic()))
                for key, _events in selector.select(timeout=wait):
                    data = _receive(key.fileobj)
                    if not data:
                        return
                    if key.data == "client":
                        for item in from_client.feed(data):
                            self._from_client(item)
                    elif self._playing:
                        self._send_joined(data)
                    else:
                        camera = self._camera
                        for item in from_camera.feed(data):
                            self._from_camera(item)
                        if self._camera is not camera:  # followed a redirect
                            selector.unregister(camera)
                            selector.register(self._camera, selectors.EVENT_READ, "camera")
                            from_camera = _Parser()
                        elif self._playing and from_camera.buffer:
                            self._send_joined(bytes(from_camera.buffer))

    def _send_joined(self, data: bytes) -> None:
        joined = self._joiner.feed(data) if self._joiner is not None else data
        if joined:
            self._client.sendall(joined)

    def _from_client(self, item: bytes | _Message) -> None:
        if isinstance(item, bytes) or item.status is not None:
            self._camera.sendall(item if isinstance(item, bytes) else item.encode())
            return
        method, uri, version = item.first_line.split(" ")
        request = _Message(f"{method} {self._camera_uri(uri)} {version}",
                           item.without("Authorization"), item.body)
        cseq = request.get("CSeq") or ""
        self._pending[cseq] = (request, False)
        self._send_request(request)

    def _send_request(self, request: _Message) -> None:
        if self._authorizer is not None:
            method, uri, _version = request.first_line.split(" ")
            request = _Message(request.first_line, [
                *request.without("Authorization"),
                ("Authorization", self._authorizer.header(method, uri)),
            ], request.body)
        self._camera.sendall(request.encode())

    def _from_camera(self, item: bytes | _Message) -> None:
        if isinstance(item, bytes):
            self._client.sendall(item)
            return
        status = item.status
        if status is None:
            self._answer_server_request(item)
            return
        cseq = item.get("CSeq") or ""
        request, retried = self._pending.pop(cseq, (None, False))
        if status in _REDIRECTS:
            self._follow(item, request)
            return
        if status == 401 and request is not None and not retried and self._can_sign(item):
            self._pending[cseq] = (request, True)
            self._send_request(request)
            return
        self._client.sendall(item.encode())
        if request is None or status >= 300:
            return
        if request.first_line.startswith("DESCRIBE "):
            types = joinable_payload_types(item.body.decode("latin-1"))
            self._joiner = RtpJoiner(types) if types else None
        elif request.first_line.startswith("PLAY "):
            self._playing = True

    def _can_sign(self, answer: _Message) -> bool:
        if not (self._username or self._password):
            return False
        challenges = [value for key, value in answer.headers if key.lower() == "www-authenticate"]
        try:
            challenge = pick_challenge(challenges)
        except AuthError:
            return False
        self._authorizer = Authorizer(challenge, self._username, self._password)
        return True

    def _follow(self, answer: _Message, request: _Message | None) -> None:
        """Follow a redirect of OPTIONS or DESCRIBE after the policy's check; refuse any
        other (FFmpeg would follow it anywhere)."""
        if request is None or request.first_line.split(" ")[0] not in _FOLLOWED:
            raise RelayFailed("redirected while setting up the stream")
        location = answer.get("Location") or ""
        if not location:
            raise RelayFailed("redirected without a location")
        self._hops += 1
        if self._hops > MAX_REDIRECTS:
            raise RelayFailed("too many redirects")
        try:
            checked = check_url(location, self._policy)
        except UrlRejected as rejected:
            raise RelayFailed(f"redirected to a refused address: {rejected.reason}") from None
        if checked.scheme not in ("rtsp", "rtsps"):
            raise RelayFailed("redirected to a refused address: not RTSP")
        camera = self._connect(checked, self._timeout)
        camera.settimeout(None)
        _shut(self._camera)
        self._camera, self._camera_url = camera, checked.url
        self._authorizer = None  # another server: its own challenge
        method, _uri, version = request.first_line.split(" ")
        moved = _Message(f"{method} {checked.url} {version}", request.headers, request.body)
        self._pending[moved.get("CSeq") or ""] = (moved, False)
        self._send_request(moved)

    def _answer_server_request(self, request: _Message) -> None:
        """A request from the camera (REDIRECT, ANNOUNCE…) is never passed to FFmpeg."""
        method = request.first_line.split(" ")[0]
        status = "200 OK" if method in _HARMLESS_SERVER_REQUESTS else "501 Not Implemented"
        answer = _Message(f"RTSP/1.0 {status}", [("CSeq", request.get("CSeq") or "0")])
        self._camera.sendall(answer.encode())

    def _camera_uri(self, uri: str) -> str:
        """FFmpeg's request URI as the camera must see it: the relay's address replaced by
        the camera's (absolute URIs from the camera's Content-Base pass as they are)."""
        if uri.startswith(self._relay_authority):
            rest = uri[len(self._relay_authority):]
            if rest == "" or rest[0] in "/?":
                return _authority_of(self._camera_url) + rest
        return uri


def _is_request_line(line: str) -> bool:
    parts = line.split(" ")
    return len(parts) == 3 and parts[2].startswith("RTSP/")


def _path_of(url: str) -> str:
    rest = url.split("://", 1)[1]
    index = min((i for i in (rest.find("/"), rest.find("?")) if i != -1), default=len(rest))
    return rest[index:]


def _authority_of(url: str) -> str:
    path = _path_of(url)
    return url[: len(url) - len(path)] if path else url


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
        raise RelayFailed(f"connection failed: {_describe(exc)}") from None
    return sock


def _receive(sock: socket.socket) -> bytes:
    data = sock.recv(CHUNK)
    # TLS may hold decrypted bytes the selector cannot see: take them now.
    while data and isinstance(sock, ssl.SSLSocket) and sock.pending():
        data += sock.recv(sock.pending())
    return data


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    return type(exc).__name__
