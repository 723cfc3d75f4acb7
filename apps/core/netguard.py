"""The network-address guard: may this URL be opened? (camera streams, webhooks out)

Shared machinery of the kernel: the portal checks a camera URL when it is saved and the
capture worker again right before it connects, because a row can be changed behind the form's
back and because a hostname can resolve somewhere else by then (DNS rebinding); webhooks out
(apps.integrations) check each receiver's URL the same way before every attempt. The check is
strict on purpose: FFmpeg and other URL parsers disagree on edge cases (`0x7f.1`, `127.1`,
userinfo, backslashes), so anything that is not plainly a scheme, a host and a path is
refused rather than interpreted.

Plain Python, no Django: the vision package (which never imports Django) imports it from
here, so keep it free of Django and of the rest of apps.core.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Sequence[str]]

DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443}
NETWORK_SCHEMES = frozenset(DEFAULT_PORTS)
MAX_URL_LENGTH = 2048
MAX_PATH_LENGTH = 255

# Never a camera, whatever networks the caller allows: "this host", link-local (cloud metadata
# services live at 169.254.169.254), multicast and broadcast.
ALWAYS_DENIED: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "169.254.0.0/16",
        "224.0.0.0/4",
        "255.255.255.255/32",
        "::/128",
        "fe80::/10",
        "ff00::/8",
    )
)

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_DOTTED_QUAD = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|\d+)")


class UrlRejected(ValueError):
    """The URL may not be opened. `reason` is a short fixed phrase, safe to log and show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class UrlPolicy:
    """What a camera URL may point at. `allowed_networks` is required: no network is implied."""

    allowed_networks: tuple[IPNetwork, ...]
    schemes: frozenset[str] = NETWORK_SCHEMES
    allow_file: bool = False
    # Ports of services next to the portal (Redis, PostgreSQL) that a camera URL must not reach
    # even inside an allowed network.
    denied_ports: frozenset[int] = frozenset()
    resolve_hostnames: bool = True
    # Web Push endpoints carry long opaque tokens in their path (apps.notifications).
    max_path_length: int = MAX_PATH_LENGTH

    @classmethod
    def from_strings(cls, networks: Sequence[str], **kwargs: object) -> UrlPolicy:
        return cls(tuple(ipaddress.ip_network(n, strict=False) for n in networks), **kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True)
class CheckedUrl:
    """A URL that passed the checks, taken apart. `addresses` are what the host resolved to."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[IPAddress, ...] = field(default=())

    @property
    def url(self) -> str:
        if self.scheme == "file":
            return f"file://{self.path}"
        return f"{self.scheme}://{_url_host(self.host)}:{self.port}{self.path}"

    def pinned_url(self) -> str:
        """The URL with the host replaced by the address that was checked.

        Connecting to this address, not the name, keeps a rebinding DNS server from switching
        the target between the check and the connection.
        """
        if self.scheme == "file" or not self.addresses:
            return self.url
        return f"{self.scheme}://{_url_host(str(self.addresses[0]))}:{self.port}{self.path}"


def default_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _split_authority_path(rest: str) -> tuple[str, str]:
    """`host:port` and what follows it (path, query, fragment) of what comes after `scheme://`."""
    end = len(rest)
    for delimiter in "/?#":
        index = rest.find(delimiter)
        if index != -1:
            end = min(end, index)
    return rest[:end], rest[end:]


def check_url(url: str, policy: UrlPolicy, *, resolver: Resolver = default_resolver) -> CheckedUrl:
    """Return the URL taken apart if it may be opened under `policy`, else raise UrlRejected."""
    if not isinstance(url, str) or not url:
        raise UrlRejected("empty URL")
    if len(url) > MAX_URL_LENGTH:
        raise UrlRejected("URL too long")
    _check_characters(url)
    # Decode once and look again, so %0d%0a cannot smuggle a line break into an RTSP request.
    _check_characters(unquote(url))

    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or not re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme):
        raise UrlRejected("URL must start with scheme://")
    if scheme == "file":
        return _check_file(rest, policy)
    if scheme not in policy.schemes or scheme not in NETWORK_SCHEMES:
        raise UrlRejected("scheme not allowed")

    authority, path = _split_authority_path(rest)
    if "#" in path:
        raise UrlRejected("fragments are not allowed")
    if "@" in authority:
        raise UrlRejected("credentials in the URL are not allowed")
    if len(path) > policy.max_path_length:
        raise UrlRejected("path too long")
    host, port = _split_authority(authority, DEFAULT_PORTS[scheme])
    if port in policy.denied_ports:
        raise UrlRejected("port not allowed")

    literal = _ip_literal(host)
    if literal is not None:
        addresses: tuple[IPAddress, ...] = (literal,)
    else:
        _check_hostname(host)
        if not policy.resolve_hostnames:
            raise UrlRejected("hostnames are not allowed")
        try:
            resolved = resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise UrlRejected("host does not resolve") from exc
        if not resolved:
            raise UrlRejected("host does not resolve")
        addresses = tuple(ipaddress.ip_address(a.split("%", 1)[0]) for a in resolved)
    for address in addresses:
        _check_address(address, policy.allowed_networks)
    return CheckedUrl(scheme, host, port, path or "/", addresses)


def _check_characters(text: str) -> None:
    for char in text:
        code = ord(char)
        if code <= 0x20 or code == 0x7F:
            raise UrlRejected("control characters or spaces are not allowed")
        if code > 0x7E:
            raise UrlRejected("only ASCII characters are allowed")
        if char == "\\":
            raise UrlRejected("backslashes are not allowed")


def _check_file(rest: str, policy: UrlPolicy) -> CheckedUrl:
    if not policy.allow_file:
        raise UrlRejected("scheme not allowed")
    if not rest.startswith("/"):
        raise UrlRejected("file URLs must be file:///absolute/path")
    return CheckedUrl("file", "", 0, unquote(rest))


def _split_authority(authority: str, default_port: int) -> tuple[str, int]:
    if not authority:
        raise UrlRejected("missing host")
    if authority.startswith("["):
        close = authority.find("]")
        if close == -1:
            raise UrlRejected("unterminated IPv6 literal")
        host, tail = authority[1:close], authority[close + 1 :]
        if not host or _ip_literal(host) is None or ":" not in host:
            raise UrlRejected("invalid IPv6 literal")
        if tail and not tail.startswith(":"):
            raise UrlRejected("invalid host")
        port_text = tail[1:] if tail else None
    else:
        host, colon, port_text_raw = authority.partition(":")
        if ":" in port_text_raw:
            raise UrlRejected("IPv6 addresses must be in brackets")
        port_text = port_text_raw if colon else None
        if not host:
            raise UrlRejected("missing host")
    if port_text is None:
        return host.lower(), default_port
    if not port_text.isdigit() or not port_text.isascii() or len(port_text) > 5:
        raise UrlRejected("invalid port")
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise UrlRejected("invalid port")
    return host.lower(), port


def _ip_literal(host: str) -> IPAddress | None:
    if "%" in host:
        raise UrlRejected("IPv6 zone identifiers are not allowed")
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError as exc:
            raise UrlRejected("invalid IPv6 literal") from exc
    if _DOTTED_QUAD.fullmatch(host):
        return ipaddress.IPv4Address(host)
    return None


def _check_hostname(host: str) -> None:
    name = host.removesuffix(".")
    if not name or len(name) > 253:
        raise UrlRejected("invalid host")
    labels = name.split(".")
    # A numeric last label means the host is an IPv4 address in a form that inet_aton accepts
    # and humans misread (127.1, 2130706433, 0x7f.1, 0177.0.0.1): refuse them all.
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        raise UrlRejected("IPv4 addresses must be written as four decimal numbers")
    for label in labels:
        if not _LABEL.fullmatch(label):
            raise UrlRejected("invalid host")
        if label.startswith("xn--"):
            raise UrlRejected("internationalised host names are not allowed")


def _check_address(address: IPAddress, allowed: Sequence[IPNetwork]) -> None:
    # ::ffff:a.b.c.d and ::a.b.c.d reach IPv4 hosts while looking like IPv6 ones.
    if isinstance(address, ipaddress.IPv6Address) and (
        address.ipv4_mapped is not None or (int(address) >> 32 == 0 and int(address) > 1)
    ):
        raise UrlRejected("IPv4-mapped IPv6 addresses are not allowed")
    if any(address in network for network in ALWAYS_DENIED):
        raise UrlRejected("address not allowed")
    if not any(address.version == n.version and address in n for n in allowed):
        raise UrlRejected("address not in an allowed camera network")


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def source_key(url: str) -> str:
    """One camera source, whatever spelling its address was given in: scheme, host, port and
    path, lower-cased, with the default port filled in, percent-escapes decoded once, dot
    segments and repeated or trailing slashes dropped. The query is left out on purpose: a
    camera ignores parameters it does not know, so `?x=1` must not make a known stream new.
    Needs no DNS and never raises (a row may hold an address the checks would refuse)."""
    text = (url or "").strip()
    scheme, sep, rest = text.partition("://")
    scheme = scheme.lower()
    if not sep:
        return text.lower()
    if scheme == "file":
        return f"file://{_normal_path(rest)}"
    authority, path = _split_authority_path(rest)
    authority = authority.rpartition("@")[2]
    try:
        host, port = _split_authority(authority, DEFAULT_PORTS.get(scheme, 0))
        literal = _ip_literal(host)
    except UrlRejected:
        return text.lower()
    host = str(literal) if literal is not None else host.removesuffix(".")
    return f"{scheme}://{_url_host(host)}:{port}{_normal_path(path)}"


def _normal_path(path: str) -> str:
    path = unquote(path.partition("#")[0].partition("?")[0]).lower()
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)
