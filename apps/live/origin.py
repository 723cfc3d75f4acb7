"""Websocket origin check against the exact configured site origins.

Channels' AllowedHostsOriginValidator compares host names only; a page on another port or
over plain http of the same host would pass. This compares scheme, host and port."""

from __future__ import annotations

from channels.security.websocket import WebsocketDenier

from apps.core.origins import origin_allowed, record_refused


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
