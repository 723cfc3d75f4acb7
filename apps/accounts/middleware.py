"""Session lifetime and the second factor, enforced on every HTTP request."""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.accounts import mfa, sessions


class SessionTimeoutMiddleware:
    """Ends a session idle for `SESSION_IDLE_TIMEOUT` or older than `SESSION_ABSOLUTE_LIFETIME`
    seconds. Only that session ends; the person's other sessions are theirs to keep."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if sessions.session_is_current(request.session):
                sessions.touch(request.session)
            else:
                sessions.end_session(request)
                request.user = AnonymousUser()
                messages.info(request, _("Your session has ended. Please log in again."))
        return self.get_response(request)


class RequireTwoFactorMiddleware:
    """A person who must use a second factor reaches nothing but the login, code and logout
    pages (and the health check) until they typed a code in this session: not pages, not the
    admin, not the API. Reading a page sends them to the code step (or to set up their
    authenticator); anything else, and the API, is refused with 403."""

    ALLOWED_URL_NAMES = (
        "accounts:login", "accounts:logout", "accounts:otp_verify", "accounts:otp_enrol",
        "core:healthz", "set_language",
    )

    def __init__(self, get_response):
        self.get_response = get_response

    @cached_property
    def allowed_paths(self) -> frozenset[str]:
        return frozenset(reverse(name) for name in self.ALLOWED_URL_NAMES)

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        # Pages read this too (the navigation is shown only past the second step).
        request.two_factor_satisfied = mfa.is_satisfied(user, request)
        if (
            not request.two_factor_satisfied
            and request.path_info not in self.allowed_paths
            and not request.path_info.startswith(settings.STATIC_URL)
        ):
            if request.method not in ("GET", "HEAD") or request.path_info.startswith("/api/"):
                raise PermissionDenied  # an API client cannot follow a redirect to a form
            step = "accounts:otp_verify" if mfa.has_device(user) else "accounts:otp_enrol"
            return redirect_to_login(request.get_full_path(), reverse(step))
        return self.get_response(request)

