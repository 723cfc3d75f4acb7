"""Keeping the public tip form useful without a captcha.

- a signed, timestamped form token: a form cannot be posted without first being fetched,
  not sooner than a human could fill it in (3 s), not later than two hours, and not twice;
- a honeypot field people never see (hidden by the stylesheet) and bots fill in;
- a rate limit per address in the cache, counting every attempt, good or bad.
"""

from __future__ import annotations

import hashlib
import secrets
import time

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

FORM_SALT = "posko.records.tip-form"
MIN_FILL_SECONDS = 3
MAX_FORM_AGE = 2 * 3600


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=FORM_SALT)


def tip_form_token(*, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    return _signer().sign(f"{secrets.token_urlsafe(12)}.{issued}")


def tip_form_check(token: str, *, now: float | None = None) -> None:
    """Accept the token once, between 3 seconds and 2 hours after it was issued."""
    now = now if now is not None else time.time()
    stale = ValidationError(_("The form has expired. Please fill it in again."), code="stale")
    try:
        value = _signer().unsign(token or "", max_age=MAX_FORM_AGE)
    except signing.SignatureExpired:
        raise stale from None
    except signing.BadSignature:
        raise stale from None
    nonce, _sep, issued = value.rpartition(".")
    if not nonce or not issued.isdigit():
        raise stale
    if now - int(issued) > MAX_FORM_AGE:
        raise stale
    if now - int(issued) < MIN_FILL_SECONDS:
        raise ValidationError(_("That was very fast. Please check your report and send it "
                                "again."), code="too_fast")
    if not cache.add(f"records:tip-form:{nonce}", 1, MAX_FORM_AGE):
        raise ValidationError(_("This form was already sent."), code="replayed")


def tip_rate_limited(address: str | None, *, now: float | None = None) -> bool:
    """Count this attempt; True when the address has used up this hour's allowance."""
    now = now if now is not None else time.time()
    who = hashlib.sha256((address or "unknown").encode()).hexdigest()[:32]
    key = f"records:tips:{who}:{int(now // 3600)}"
    cache.add(key, 0, 3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, 3600)
        count = 1
    return count > settings.RECORDS_TIPS_PER_HOUR
