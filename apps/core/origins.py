"""The site's own origins, and the websocket handshakes refused for theirs.

Websockets and forms are accepted only from the exact origins in SITE_ORIGINS (scheme, host,
port). Embedded mode knows its own: `manage.py serve` adopts the origins of the port it serves
before the ASGI application is built, so the demo works on any port. Cluster mode runs behind
a proxy whose public address only the administrator knows; a wrong SITE_ORIGINS there refuses
every live page, so each refused handshake is remembered for an hour (in the cache, shared by
the Daphne processes in cluster mode) and reported by /healthz and in the log.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

logger = logging.getLogger(__name__)

REFUSED_KEY = "core:origins:refused"
REFUSED_WINDOW = 3600  # seconds a refused origin stays reported
MAX_REFUSED_ORIGINS = 5  # the report names at most this many (a flood must not grow it)


def _is_every_address(host: str) -> bool:
    """0.0.0.0 or :: (bound to every interface): no name a browser would use."""
    try:
        return not host or ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def _host_in_url(host: str) -> str:
    try:
        return f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        return host


def serving_origins(*, host: str, port: int) -> list[str]:
    """The origins a browser sends for pages of this server: the address it is bound to (unless
    it is every address) and each host name it answers to (ALLOWED_HOSTS), on its port."""
    scheme = "https" if settings.HTTPS else "http"
    names = [] if _is_every_address(host) else [host]
    names += [h for h in settings.ALLOWED_HOSTS
              if h and h != "testserver" and not h.startswith((".", "*"))]
    return list(dict.fromkeys(f"{scheme}://{_host_in_url(name)}:{port}" for name in names))


def adopt_serving_origins(*, host: str, port: int) -> list[str]:
    """Make the served port's origins the site's (added to SITE_ORIGINS when the administrator
    set it, in place of the default otherwise), with CSRF and the CSP's websocket sources to
    match. Called before the ASGI application is built; returns the site's origins."""
    own = serving_origins(host=host, port=port)
    configured = settings.SITE_ORIGINS if settings.SITE_ORIGINS_CONFIGURED else []
    origins = list(dict.fromkeys([*configured, *own]))
    settings.SITE_ORIGINS = origins
    settings.CSRF_TRUSTED_ORIGINS = origins
    policy = settings.CONTENT_SECURITY_POLICY
    settings.CONTENT_SECURITY_POLICY = {**policy, "DIRECTIVES": {
        **policy["DIRECTIVES"], "connect-src": ["'self'", *websocket_sources(origins)]}}
    return origins


def websocket_sources(origins: list[str]) -> list[str]:
    """CSP sources for websockets to the given origins (ws:// for http://, wss:// for https://)."""
    return [o.replace("https://", "wss://", 1).replace("http://", "ws://", 1) for o in origins]


@dataclass(frozen=True)
class Refused:
    origin: str
    count: int
    last: str  # ISO time of the latest refusal


async def record_refused(origin: str | None) -> None:
    """Remember a refused handshake (best effort: a lost count under a race is harmless);
    the first one of an origin in the window is logged with what the site accepts."""
    origin = (origin or "(none)")[:200]
    refused = await cache.aget(REFUSED_KEY) or {}
    entry = refused.get(origin)
    if entry is None:
        if len(refused) >= MAX_REFUSED_ORIGINS:
            return
        logger.warning(
            "Websocket refused: origin %s is not one of SITE_ORIGINS (%s). If people open the "
            "portal at that address, add it to SITE_ORIGINS.", origin,
            ", ".join(settings.SITE_ORIGINS) or "empty")
        entry = {"count": 0}
    entry.update(count=entry["count"] + 1, last=timezone.now().isoformat(timespec="seconds"))
    refused[origin] = entry
    await cache.aset(REFUSED_KEY, refused, REFUSED_WINDOW)


def refused_recently() -> list[Refused]:
    refused = cache.get(REFUSED_KEY) or {}
    return sorted((Refused(origin, e["count"], e["last"]) for origin, e in refused.items()),
                  key=lambda r: r.last, reverse=True)


def check() -> tuple[bool, dict]:
    """For /healthz: healthy whatever it finds (a stranger's page must not take the portal out
    of a load balancer), but it says plainly which origins were refused."""
    try:
        refused = refused_recently()
    except Exception as exc:  # noqa: BLE001 - a health check never raises
        return True, {"error": type(exc).__name__, "allowed": settings.SITE_ORIGINS}
    if not refused:
        return True, {"status": "ok", "allowed": settings.SITE_ORIGINS}
    return True, {
        "status": f"websocket handshakes refused for their origin in the last hour: "
                  f"{sum(r.count for r in refused)} — check SITE_ORIGINS",
        "allowed": settings.SITE_ORIGINS,
        "refused": [{"origin": r.origin, "count": r.count, "last": r.last} for r in refused],
    }


def _normalise(origin: str) -> str | None:
    try:
        parts = urlsplit(origin.strip().lower())
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.path not in {"", "/"}:
        return None
    return f"{parts.scheme}://{parts.hostname}:{port}"


def origin_allowed(origin: str | None) -> bool:
    if not origin or origin == "null":
        return False
    allowed = {_normalise(o) for o in settings.SITE_ORIGINS}
    normalised = _normalise(origin)
    return normalised is not None and normalised in allowed
