from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from apps.cameras.models import Camera, Orientation
from apps.cameras.services import share_grant

ORIGIN = "http://127.0.0.1:8000"


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    try:
        from tests.conftest import verify_otp  # provided by the 2FA work when present
    except ImportError:
        pass
    else:
        verify_otp(client, user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


@pytest.fixture
def connect():  # each test disconnects what it opened
    """Open a websocket to the real ASGI application as `user` (None: anonymous)."""
    from portal.asgi import application

    async def open_socket(user=None, origin=ORIGIN):
        headers = []
        if origin is not None:
            headers.append((b"origin", origin.encode()))
        if user is not None:
            cookie = await sync_to_async(session_cookie)(user)
            headers.append((b"cookie", cookie.encode()))
        communicator = WebsocketCommunicator(application, "/ws/live/", headers=headers)
        connected, _code = await communicator.connect(timeout=5)
        return communicator, connected

    return open_socket


@pytest.fixture
def live_world(world):
    """City A's warehouse gate (outward, shared with Polres A) and storage room (inward)."""
    gate = Camera.objects.create(
        facility=world.a.facilities["warehouse"], name="Gerbang", source_kind="mjpeg",
        url="http://127.0.0.1:8090/mjpeg/gate", orientation=Orientation.OUTWARD)
    inside = Camera.objects.create(
        facility=world.a.facilities["warehouse"], name="Ruang", source_kind="mjpeg",
        url="http://127.0.0.1:8090/mjpeg/room", orientation=Orientation.INWARD)
    share = share_grant(camera=gate, grantee=world.a.agencies["polres"], basis="MoU",
                        by=world.a.users["kpu"])
    world.gate, world.inside, world.share = gate, inside, share
    return world
