"""What a checkpoint's printed label holds, and how a scan or a typed code is resolved.

The QR code holds a URL of the field page with a token signed by the portal's secret key
(salted for this use only). The token names the checkpoint and its label version, so it
cannot be forged (no key), altered (the signature breaks) or used at another checkpoint (it
names exactly one; a client that also says which checkpoint it thinks it is at must agree).
Printing new labels raises the version and retires the old ones.

The short code is for when the camera fails: six characters from an alphabet without the
look-alikes 0/O and 1/I, unique across the portal. Wrong codes are rate-limited per person,
so codes cannot be guessed from afar.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from apps.records.models import Checkpoint, VisitMethod

TOKEN_SALT = "posko.records.checkpoint-label"  # noqa: S105 (a salt, not a secret)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
MAX_TOKEN_LENGTH = 300
WRONG_CODES_ALLOWED = 10
WRONG_CODES_WINDOW = 600  # seconds


def _signer() -> signing.Signer:
    return signing.Signer(salt=TOKEN_SALT)


def checkpoint_token(checkpoint: Checkpoint) -> str:
    return _signer().sign_object({"c": checkpoint.pk, "v": checkpoint.token_version})


def new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not Checkpoint.objects.filter(code=code).exists():
            return code


def normalise_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def token_from_scan(text: str) -> str:
    """A scanned value is the label URL (`…/patroli/?t=<token>`) or the bare token."""
    text = text.strip()
    if "://" in text or text.startswith("/"):
        values = parse_qs(urlsplit(text).query).get("t")
        return values[0] if values else ""
    return text


@dataclass(frozen=True)
class Resolved:
    checkpoint: Checkpoint
    method: str


def _refused() -> ValidationError:
    return ValidationError(
        _("This QR code is not valid for any checkpoint. Use the label on site, or type its "
          "code."), code="bad_token")


def resolve_checkpoint(*, user_id: int, token: str = "", code: str = "",
                       claimed_checkpoint_id: int | None = None) -> Resolved:
    """The checkpoint a scan or typed code designates, or ValidationError."""
    token = token_from_scan(token) if token else ""
    checkpoints = Checkpoint.objects.select_related("facility__region")
    if token:
        if len(token) > MAX_TOKEN_LENGTH:
            raise _refused()
        try:
            payload = _signer().unsign_object(token)
        except signing.BadSignature:
            raise _refused() from None
        if not isinstance(payload, dict):
            raise _refused()
        checkpoint_id, version = payload.get("c"), payload.get("v")
        if not isinstance(checkpoint_id, int) or not isinstance(version, int):
            raise _refused()
        checkpoint = checkpoints.filter(pk=checkpoint_id, active=True).first()
        if checkpoint is None or checkpoint.token_version != version:
            raise ValidationError(_("This label has been replaced or retired: use the new "
                                    "label."), code="old_label")
        method = VisitMethod.QR
    elif code:
        key = f"records:wrong-codes:{user_id}"
        if (cache.get(key) or 0) >= WRONG_CODES_ALLOWED:
            raise ValidationError(_("Too many wrong codes. Wait ten minutes, or scan the QR."),
                                  code="rate_limited")
        checkpoint = checkpoints.filter(code=normalise_code(code), active=True).first()
        if checkpoint is None:
            if cache.add(key, 1, WRONG_CODES_WINDOW) is False:
                try:
                    cache.incr(key)
                except ValueError:
                    cache.set(key, 1, WRONG_CODES_WINDOW)
            raise ValidationError(_("No checkpoint has this code."), code="bad_code")
        method = VisitMethod.CODE
    else:
        raise ValidationError(_("Scan the checkpoint's QR or type its code."), code="missing")
    if claimed_checkpoint_id is not None and claimed_checkpoint_id != checkpoint.pk:
        raise ValidationError(_("This code belongs to another checkpoint."),
                              code="other_checkpoint")
    return Resolved(checkpoint, method)
