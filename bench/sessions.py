"""Signed-in sessions for the benchmarks' websockets, made inside a portal process
(`manage.py shell`): past both login steps, as a real sign-in leaves them."""

from __future__ import annotations

import time


def signed_in_session(user) -> str:
    """A new session key for `user`; a role that needs the second step has passed it."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from apps.accounts import mfa
    from apps.accounts.sessions import AUTHENTICATED_AT, SEEN_AT

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[AUTHENTICATED_AT] = store[SEEN_AT] = time.time()
    if mfa.requires_two_factor(user):
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench",
                                                     defaults={"confirmed": True})
        store[DEVICE_ID_SESSION_KEY] = device.persistent_id
    store.create()
    return store.session_key
