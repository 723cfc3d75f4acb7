"""Websocket origin check against the exact configured site origins.

Channels' AllowedHostsOriginValidator compares host names only; a page on another port or
over plain http of the same host would pass. This compares scheme, host and port."""

from __future__ import annotations

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings

from apps.core.origins import record_refused


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


class ExactOriginValidator:
    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            headers = dict(scope.get("headers", []))
            origin = headers.get(b"origin", b"").decode("latin-1") or None
            if not origin_allowed(origin):
                await record_refused(origin)  # /healthz and the log say which, and why
                denier = WebsocketDenier()
                return await denier(scope, receive, send)
        return await self.application(scope, receive, send)
