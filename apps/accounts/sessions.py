"""Session lifetime: idle timeout, absolute lifetime, and ending every session of a person.

A session lives at most `SESSION_ABSOLUTE_LIFETIME` seconds after the password was typed (one
shift) and ends after `SESSION_IDLE_TIMEOUT` seconds without a request. Both times are kept in
the session itself. Logout, password change and deactivation end *all* of the person's sessions:
the keys are found through `UserSession` (written at login), deleted from the session store,
and, once that commits, the person's open websockets are told to close (`session.revoked`
through apps.core.push).
"""

from __future__ import annotations

import time
from importlib import import_module

from django.conf import settings
from django.contrib.auth import user_logged_in
from django.contrib.sessions.backends.base import SessionBase
from django.dispatch import receiver

from apps.accounts.models import User, UserSession
from apps.core import push

AUTHENTICATED_AT = "posko_authenticated_at"
SEEN_AT = "posko_seen_at"
# Activity is written back at most this often: a session is not saved on every request.
SEEN_RESOLUTION = 60


def _session_store() -> type[SessionBase]:
    return import_module(settings.SESSION_ENGINE).SessionStore


def session_is_current(session: SessionBase, *, now: float | None = None,
                       check_idle: bool = True) -> bool:
    """Whether the session is within its absolute lifetime (and, with `check_idle`, its idle
    timeout). A session without the login time predates this check and is not current."""
    now = time.time() if now is None else now
    authenticated_at = session.get(AUTHENTICATED_AT)
    if authenticated_at is None:
        return False
    if now - authenticated_at > settings.SESSION_ABSOLUTE_LIFETIME:
        return False
    seen_at = session.get(SEEN_AT, authenticated_at)
    return not (check_idle and now - seen_at > settings.SESSION_IDLE_TIMEOUT)


def touch(session: SessionBase, *, now: float | None = None) -> None:
    """Record activity (at most once a minute, to spare the session store)."""
    now = time.time() if now is None else now
    if now - session.get(SEEN_AT, 0) >= SEEN_RESOLUTION:
        session[SEEN_AT] = now


@receiver(user_logged_in, dispatch_uid="accounts.sessions.remember")
def remember(sender, request, user: User, **kwargs) -> None:
    """At login (the key was just rotated by Django): start the clocks and note the key."""
    now = time.time()
    request.session[AUTHENTICATED_AT] = now
    request.session[SEEN_AT] = now
    if request.session.session_key is None:
        request.session.save()
    UserSession.objects.update_or_create(
        session_key=request.session.session_key, defaults={"user": user}
    )


def rotate_key(request) -> None:
    """A new session key for the same session (after the second factor, on privilege change),
    keeping the person's list of sessions right."""
    old_key = request.session.session_key
    request.session.cycle_key()
    new_key = request.session.session_key
    if old_key and new_key and request.user.is_authenticated:
        UserSession.objects.filter(session_key=old_key).delete()
        UserSession.objects.update_or_create(session_key=new_key,
                                             defaults={"user_id": request.user.pk})


def end_session(request) -> None:
    """End this request's session only (idle or too old)."""
    key = request.session.session_key
    if key:
        UserSession.objects.filter(session_key=key).delete()
    request.session.flush()


def end_all_sessions(user: User) -> int:
    """End every session of `user` and close their websockets. Returns how many ended."""
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    store = _session_store()()
    for key in keys:
        store.delete(key)
    UserSession.objects.filter(user=user).delete()
    push.session_revoked_on_commit(user.pk)
    return len(keys)
