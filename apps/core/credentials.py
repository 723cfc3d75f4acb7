"""The configured credential box (settings.CAMERA_KEYS): camera credentials and webhook
signing secrets are sealed with it."""

from functools import cache

from django.conf import settings

from apps.core.crypto import CredentialBox, decode_key


@cache
def _box_for(keys: tuple[str, ...]) -> CredentialBox:
    return CredentialBox([decode_key(k) for k in keys])


def box() -> CredentialBox:
    return _box_for(tuple(settings.CAMERA_KEYS))
