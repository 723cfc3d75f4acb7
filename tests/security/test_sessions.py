"""Sessions end when they should: idle, too old, logout, password change, deactivation, and
open websockets are told (security plan T-AUTH-1, -4, -5; decision 6)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.sessions.models import Session
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts import sessions
from apps.accounts.models import UserSession
from tests.cast import PASSWORD
from tests.conftest import Client

START = "2026-11-23 08:00 +0700"
PAGE = "overview:facilities"


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _is_in(client) -> bool:
    return client.get(reverse(PAGE)).status_code == 200


class Inbox:
    """A websocket's channel in the person's group, as the live consumer joins it."""

    def __init__(self, user) -> None:
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        async_to_sync(self.layer.group_add)(f"user.{user.pk}", self.channel)

    def types(self) -> list[str]:
        """The message types waiting (the live layer sends others too, e.g. access.changed)."""
        received = []

        async def drain() -> None:
            while True:
                try:
                    message = await asyncio.wait_for(self.layer.receive(self.channel), 0.2)
                except TimeoutError:
                    return
                received.append(message["type"])

        async_to_sync(drain)()
        return received


def test_idle_sessions_end_after_an_hour(world):
    with time_machine.travel(START, tick=False) as clock:
        client = _logged_in(world.a.users["operator"])
        clock.shift(timedelta(minutes=50))
        assert _is_in(client)
        clock.shift(timedelta(minutes=50))  # 100 minutes in, but active 50 minutes ago
        assert _is_in(client)
        clock.shift(timedelta(minutes=61))
        response = client.get(reverse(PAGE))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not UserSession.objects.filter(user=world.a.users["operator"]).exists()


def test_sessions_end_after_one_shift_however_active(world):
    with time_machine.travel(START, tick=False) as clock:
        client = _logged_in(world.a.users["operator"])
        for _ in range(14):  # a request every 50 minutes: 11 h 40 min
            clock.shift(timedelta(minutes=50))
            assert _is_in(client)
        clock.shift(timedelta(minutes=25))  # 12 h 05 min after the password
        assert not _is_in(client)


def test_ending_one_idle_session_leaves_the_others(world):
    user = world.a.users["operator"]
    with time_machine.travel(START, tick=False) as clock:
        idle = _logged_in(user)
        clock.shift(timedelta(minutes=40))
        busy = _logged_in(user)
        clock.shift(timedelta(minutes=30))
        assert not _is_in(idle)
        assert _is_in(busy)


def test_login_gives_a_new_session_key(client, world):
    session = client.session  # a session planted before login (fixation)
    session["planted"] = True
    session.save()
    before = client.cookies["sessionid"].value
    client.post(reverse("accounts:login"), {"username": "field_polri_a", "password": PASSWORD})
    assert client.cookies["sessionid"].value != before
    assert not Session.objects.filter(session_key=before).exists()


def test_logout_ends_every_session_and_tells_the_websockets(world,
                                                            django_capture_on_commit_callbacks):
    user = world.a.users["operator"]
    phone, wall = _logged_in(user), _logged_in(user)
    other = _logged_in(world.a.users["commander"])
    inbox = Inbox(user)
    with django_capture_on_commit_callbacks(execute=True):
        phone.post(reverse("accounts:logout"))
    assert not _is_in(wall)
    assert _is_in(other)
    assert "session.revoked" in inbox.types()
    assert not UserSession.objects.filter(user=user).exists()


def test_password_change_ends_every_session_this_one_too(world,
                                                         django_capture_on_commit_callbacks):
    user = world.a.users["operator"]
    this, that = _logged_in(user), _logged_in(user)
    inbox = Inbox(user)
    new = "jaga gudang logistik malam ini"
    with django_capture_on_commit_callbacks(execute=True):
        response = this.post(reverse("accounts:password_change"), {
            "old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert not _is_in(this) and not _is_in(that)
    assert "session.revoked" in inbox.types()
    user.refresh_from_db()
    assert user.check_password(new)


def test_deactivation_ends_every_session(world, django_capture_on_commit_callbacks):
    user = world.a.users["field_polri"]
    client = _logged_in(user)
    inbox = Inbox(user)
    with django_capture_on_commit_callbacks(execute=True):
        user.is_active = False
        user.save()
    assert "session.revoked" in inbox.types()
    assert not UserSession.objects.filter(user=user).exists()
    assert client.get(reverse(PAGE)).status_code == 302


@pytest.mark.parametrize("action", ["end_sessions", "reset_two_factor"])
def test_administrators_end_a_persons_sessions(client, world, action):
    target = world.a.users["operator"]
    theirs = _logged_in(target)
    client.force_login(world.a.users["admin"])
    response = client.post(reverse("admin:accounts_user_changelist"),
                           {"action": action, "_selected_action": [target.pk]})
    assert response.status_code == 302
    assert not _is_in(theirs)
    if action == "reset_two_factor":
        assert not TOTPDevice.objects.filter(user=target).exists()


def test_a_password_set_in_the_admin_ends_the_persons_sessions(client, world):
    target = world.a.users["field_polri"]
    theirs = _logged_in(target)
    client.force_login(world.a.users["admin"])
    new = "sandi baru dari admin 2026"
    response = client.post(reverse("admin:auth_user_password_change", args=[target.pk]),
                           {"password1": new, "password2": new, "usable_password": "true"})
    assert response.status_code == 302
    assert not _is_in(theirs)


def test_rotating_the_key_keeps_the_session_list_right(rf, world):
    user = world.a.users["operator"]
    client = _logged_in(user)
    key = client.cookies["sessionid"].value
    request = rf.get("/")
    request.user = user
    from django.contrib.sessions.backends.db import SessionStore

    request.session = SessionStore(key)
    request.session.load()
    sessions.rotate_key(request)
    assert list(UserSession.objects.filter(user=user).values_list("session_key", flat=True)) \
        == [request.session.session_key]
