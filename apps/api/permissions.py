"""Who may use the API at all; what they may see and do is the access policy's to say."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from apps.accounts import mfa
from apps.api.authentication import SessionAuthentication


class SignedIn(BasePermission):
    """An active person: by token, or by a session that passed the second login step where
    their role needs one (a token can only be made from such a session)."""

    message = _("Complete the two-step login first.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if isinstance(request.successful_authenticator, SessionAuthentication):
            return mfa.is_satisfied(user, request._request)
        return True

