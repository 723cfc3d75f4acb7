"""Two-factor authentication: TOTP (an authenticator app) with one-time backup codes, on
django-otp.

Who must use it: command-center operators, commanders, administrators, superusers and anyone
allowed into the admin; and anyone who enrolled of their own accord. After the password, such a
person types a code; django-otp then keeps the verifying device's id in the session.

`is_satisfied(user, session_or_request)` is the one question every entry point asks: the page
middleware (`RequireTwoFactorMiddleware`), the websocket consumer and the API. It reads the
database: async callers wrap it in `database_sync_to_async`.
"""

from __future__ import annotations

from base64 import b32encode

import segno
from django.conf import settings
from django.db import transaction
from django_otp import DEVICE_ID_SESSION_KEY, user_has_device
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts import sessions
from apps.accounts.models import Role

TWO_FACTOR_ROLES = frozenset({Role.OPERATOR, Role.COMMANDER, Role.ADMINISTRATOR})
BACKUP_CODE_COUNT = 10
BACKUP_DEVICE_NAME = "backup"


def requires_two_factor(user) -> bool:
    """The roles that must use a second factor (watching cameras, commanding, administering)."""
    return bool(
        user.is_superuser or user.is_staff or (user.roles & TWO_FACTOR_ROLES)
    )


def has_device(user) -> bool:
    """Any confirmed second factor (authenticator or backup codes)."""
    return user_has_device(user, confirmed=True)


def must_verify(user) -> bool:
    return requires_two_factor(user) or has_device(user)


def _session(session_or_request):
    return getattr(session_or_request, "session", session_or_request)


def verified_device(user, session_or_request) -> Device | None:
    """The confirmed device of `user` that verified this session, if any."""
    device = getattr(user, "otp_device", None)  # set by django-otp's middleware on requests
    if device is None:
        persistent_id = _session(session_or_request).get(DEVICE_ID_SESSION_KEY)
        if not persistent_id:
            return None
        device = Device.from_persistent_id(persistent_id)
    if device is None or device.user_id != user.pk or not device.confirmed:
        return None
    return device


def is_satisfied(user, session_or_request) -> bool:
    """True if `user` may use this session: an active, signed-in person who either needs no
    second factor or typed a code in this session. Accepts a request or a session
    (e.g. a websocket scope's `session`)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if verified_device(user, session_or_request) is not None:
        return True
    return not must_verify(user)


def complete_verification(request, device: Device) -> None:
    """The code was right: a new session key (no fixation across the second step), then mark
    the session verified."""
    sessions.rotate_key(request)
    otp_login(request, device)


# --- enrolment -------------------------------------------------------------------------------


def pending_authenticator(user) -> TOTPDevice:
    """The not-yet-confirmed authenticator being set up (one per person, kept across reloads
    so the QR code does not change under the person's phone)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Posko", confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The secret for typing into an app by hand, in groups of four."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// address as an SVG QR code in a data: URI (an <img>, so the page's CSP
    needs no inline markup)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


@transaction.atomic
def confirm_authenticator(user, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the pending authenticator with a code from it. Returns fresh backup codes, or
    None if the code was wrong."""
    if device.user_id != user.pk or device.confirmed or not device.verify_token(token):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    return new_backup_codes(user)


@transaction.atomic
def new_backup_codes(user) -> list[str]:
    """Replace the person's backup codes: each works once. Shown once, never again."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def reset(user) -> None:
    """Remove every second factor of `user` (lost phone); they enrol again at next login."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


# --- verification ----------------------------------------------------------------------------


def normalise_token(token: str) -> str:
    return "".join(token.split()).replace("-", "").lower()


def verify(user, token: str) -> tuple[Device | None, bool]:
    """Check a code against the person's authenticator (six digits) or backup codes.

    Returns (device, throttled): the device that accepted the code, and whether a device
    refused to check because of too many wrong codes (django-otp doubles the wait each time).
    """
    token = normalise_token(token)
    if not token or len(token) > 16:
        return None, False
    model = TOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice
    throttled = False
    with transaction.atomic():
        for device in model.objects.select_for_update().filter(user=user, confirmed=True):
            allowed, _ = device.verify_is_allowed()
            if not allowed:
                throttled = True
                continue
            if device.verify_token(token):
                return device, False
    return None, throttled


def demo_device(user, secret_hex: str) -> TOTPDevice:
    """A confirmed authenticator with a published secret. Demo mode only (see load_demo)."""
    if not settings.DEMO_MODE:
        raise RuntimeError("Demo authenticators are only created in demo mode.")
    device, _ = TOTPDevice.objects.update_or_create(
        user=user, name="Posko demo", defaults={"key": secret_hex, "confirmed": True}
    )
    return device
