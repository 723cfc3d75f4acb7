"""Component checks behind /healthz. Each returns (ok, detail) and never raises.

Anyone (a load balancer) reads the status: healthy or not, per component. The details (the
workers, their queues and the cameras each watches, the names of errors) are an inventory
for signed-in administrators only. A check that has a short public state to tell (one word
or phrase, never a list) puts it under the detail's "status" key."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection

from apps.core import origins

WORKER_KEY_PREFIX = "posko:worker:"

Check = tuple[bool, dict]


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True, {"vendor": connection.vendor}
    except Exception as exc:  # noqa: BLE001 - health reports any failure as a state
        return False, {"error": type(exc).__name__}


def check_channel_layer() -> Check:
    """A real round trip: send to a fresh channel and receive it back."""
    layer = get_channel_layer()
    if layer is None:
        return False, {"error": "no channel layer configured"}

    async def round_trip() -> bool:
        import asyncio

        channel = await layer.new_channel(prefix="healthz")
        token = uuid.uuid4().hex
        await layer.send(channel, {"type": "healthz", "token": token})
        message = await asyncio.wait_for(layer.receive(channel), timeout=2)
        return message.get("token") == token

    try:
        ok = async_to_sync(round_trip)()
        return ok, {"backend": type(layer).__name__}
    except Exception as exc:  # noqa: BLE001
        return False, {"backend": type(layer).__name__, "error": type(exc).__name__}


def _redis():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def check_broker() -> Check:
    if settings.EMBEDDED:
        return True, {"kind": "in-process"}
    try:
        _redis().ping()
        return True, {"kind": "redis"}
    except Exception as exc:  # noqa: BLE001
        return False, {"kind": "redis", "error": type(exc).__name__}


def check_workers() -> Check:
    if settings.EMBEDDED:
        from apps.core.background import runner

        alive = runner.is_alive()
        return alive, {"kind": "in-process", "running": alive}
    try:
        client = _redis()
        workers = {}
        for key in client.scan_iter(f"{WORKER_KEY_PREFIX}*"):
            raw = client.get(key)
            if raw:
                workers[key.decode()[len(WORKER_KEY_PREFIX):]] = json.loads(raw)
        return bool(workers), {"kind": "celery", "workers": workers}
    except Exception as exc:  # noqa: BLE001
        return False, {"kind": "celery", "error": type(exc).__name__}


CHECKS: dict[str, Callable[[], Check]] = {
    "database": check_database,
    "channel_layer": check_channel_layer,
    "broker": check_broker,
    "workers": check_workers,
    "origins": origins.check,  # websockets refused for their origin (never unhealthy)
}


def run_checks(*, detailed: bool = False) -> tuple[bool, dict]:
    """(healthy, report); the report has every check's detail only when `detailed`."""
    results = {}
    healthy = True
    for name, check in CHECKS.items():
        ok, detail = check()
        healthy &= ok
        if detailed:
            results[name] = {"ok": ok, **detail}
        else:
            results[name] = {"ok": ok} | ({"status": detail["status"]}
                                          if "status" in detail else {})
    return healthy, {
        "status": "ok" if healthy else "degraded",
        "mode": "embedded" if settings.EMBEDDED else "cluster",
        "components": results,
    }
