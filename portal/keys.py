"""Embedded mode's keys, kept under var/ so sessions, camera credentials and the records
chain's signatures survive restarts: the secret key, the camera keys (AES-256-GCM), the
anchor signing key (Ed25519) and the Web Push (VAPID) key, each in its own file readable by
its owner only.

`manage.py init_keys`, the first step of `make run`, writes the missing ones; the settings
only read them (portal.settings.embedded) and refuse to start without them. Cluster mode takes
its keys from the environment instead. Plain Python: it runs before Django has settings."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from portal.settings.base import STATIC_ROOT, VAR_DIR


def _new_secret_key() -> str:
    return secrets.token_urlsafe(64)


def _new_camera_key() -> str:
    from apps.core.crypto import new_key

    return new_key()


def _new_anchor_signing_key() -> str:
    from apps.records.signing import new_signing_key

    return new_signing_key()


def _new_vapid_key() -> str:
    from apps.notifications.webpush import new_private_key

    return new_private_key()


# The file under var/ that holds each setting's keys (several: one a line), and how a new key
# is made.
KEY_FILES: dict[str, tuple[str, Callable[[], str]]] = {
    "SECRET_KEY": ("secret_key", _new_secret_key),
    "CAMERA_KEYS": ("camera_keys", _new_camera_key),
    "ANCHOR_SIGNING_KEY": ("anchor_signing_key", _new_anchor_signing_key),
    "VAPID_PRIVATE_KEY": ("vapid_private_key", _new_vapid_key),
}


def read_key_file(name: str, *, required: bool = True) -> str:
    """What the file of setting `name` holds; a clear refusal when it was never written
    (an empty string instead when not `required`)."""
    path = VAR_DIR / KEY_FILES[name][0]
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        if not required:
            return ""
        raise ImproperlyConfigured(
            f"{path} is missing: run `make run`, or `python manage.py init_keys` first. "
            f"Embedded mode keeps its keys under var/; cluster mode (REDIS_URL set) takes "
            f"{name} from the environment.") from None


def init_keys() -> list[Path]:
    """Write each key file that does not exist yet; the files written. An existing file is
    never replaced: sessions, stored credentials and signed anchors depend on its keys."""
    VAR_DIR.mkdir(exist_ok=True)
    # Empty in embedded mode (static files are served from their folders), but whitenoise
    # looks for collected files there on start, and warns when the folder is missing.
    STATIC_ROOT.mkdir(exist_ok=True)
    written = []
    for file_name, new_key in KEY_FILES.values():
        path = VAR_DIR / file_name
        if path.exists():
            continue
        key = new_key()
        # Created readable by its owner only, never briefly by anyone else.
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
            file.write(key + "\n")
        written.append(path)
    return written


def main() -> None:
    """`manage.py init_keys` (manage.py runs it before Django reads the settings)."""
    for path in init_keys():
        print(f"Wrote {path}")
