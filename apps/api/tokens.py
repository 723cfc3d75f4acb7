"""API token writes and the lookup that authenticates a request.

A token reads `posko_<prefix>_<secret>`: 8 characters to find the row, 43 characters
(32 random bytes) of secret. Only SHA-256(secret) is stored; a fast hash is right here
because the secret is random, not chosen by a person, so there is nothing to guess.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts import mfa
from apps.accounts.models import User
from apps.api.models import ApiToken

SCHEME = "posko"
PREFIX_LENGTH = 8
MAX_TOKENS_PER_PERSON = 20
# Writing last_used_at on every request would turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=5)


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    plaintext: str  # shown once, never stored


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(*, user: User, name: str, session_or_request) -> NewToken:
    """A new token for `user`, who must have passed the second login step in this session if
    their role needs one (a token outlives the session, so it must not be easier to get)."""
    if not mfa.is_satisfied(user, session_or_request):
        raise PermissionDenied(_("Complete the two-step login before creating a token."))
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the token a name."), code="name")
    with transaction.atomic():
        active = ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
        if active.count() >= MAX_TOKENS_PER_PERSON:
            raise ValidationError(_("You have too many tokens: revoke one you no longer use."),
                                  code="too_many")
        while True:
            prefix = secrets.token_hex(PREFIX_LENGTH // 2)
            if not ApiToken.objects.filter(prefix=prefix).exists():
                break
        secret = secrets.token_urlsafe(32)
        token = ApiToken.objects.create(user=user, name=name[:80], prefix=prefix,
                                        secret_hash=_hash(secret))
    return NewToken(token, f"{SCHEME}_{prefix}_{secret}")


def token_revoke(*, token: ApiToken, user: User) -> ApiToken:
    if token.user_id != user.pk:
        raise PermissionDenied(_("This is not your token."))
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now())
    token.refresh_from_db(fields=["revoked_at"])
    return token


def tokens_end_all(*, user: User) -> int:
    """Revoke every active token of `user` (password changed, account deactivated): like
    their sessions, they end for good; reactivating the person does not bring them back."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now())


def token_authenticate(plaintext: str) -> ApiToken | None:
    """The active token of an active person that `plaintext` is, or None."""
    scheme, _sep, rest = plaintext.partition("_")
    prefix, _sep, secret = rest.partition("_")
    if scheme != SCHEME or len(prefix) != PREFIX_LENGTH or not secret or len(secret) > 100:
        return None
    token = (ApiToken.objects.select_related("user").filter(prefix=prefix).first())
    # Compare even when there is no row, so a wrong prefix costs the same as a wrong secret.
    expected = token.secret_hash if token is not None else "0" * 64
    if not hmac.compare_digest(expected, _hash(secret)) or token is None:
        return None
    if token.revoked_at is not None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
