"""The test suite's settings (DJANGO_SETTINGS_MODULE in pyproject.toml): the embedded portal on
fixed throwaway keys instead of var/'s files, plus what only the tests may do. The processes
the tests start (`make run`, `manage.py serve`, cluster workers) run on portal.settings, as
everyone else does."""

from pathlib import Path

from portal.settings.base import *  # noqa: F403
from portal.settings.base import (
    DATABASES,
    LOOPBACK_NETWORKS,
    PRIVATE_NETWORKS,
    STATIC_FROM_FOLDERS,
    STORAGES,
    VAR_DIR,
)

EMBEDDED = True
DEMO_MODE = True
HTTPS = False

# Throwaway keys, the same in every run: nothing the tests make outlives the run.
SECRET_KEY = "tests-only-" + "x" * 50
CAMERA_KEYS = ["QOjKmwAcubhUO_KMh2IwjZNDRDk_5d_t76k9KG29OPk="]
ANCHOR_SIGNING_KEYS = ["nk9nutvswTK-_vzoXsV0Ie7JXh8Hfj_y8nA_-HOs4PM="]
VAPID_PRIVATE_KEY = "vOeyaMRP2Cmxe8lZ3ecaPVJ00zJ2Z-tj_vWU47nR0ec"
VAPID_SUBJECT = "mailto:tests@posko.invalid"

CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
STORAGES = {**STORAGES, "staticfiles": STATIC_FROM_FOLDERS}
WHITENOISE_USE_FINDERS = True
# Look a static file up when it is asked for, instead of scanning every file whenever a
# request handler starts: each test client starts one (0.1 s each, a tenth of the suite).
WHITENOISE_AUTOREFRESH = True

# The tests' cameras, webhook receivers and traps listen on loopback over plain HTTP, and
# some cameras are video files.
CAMERA_NETWORKS = PRIVATE_NETWORKS + LOOPBACK_NETWORKS
CAMERA_ALLOW_FILE_SOURCES = True
WEBHOOK_ALLOW_HTTP = True
WEBHOOK_ALLOW_LOOPBACK = True
PUSH_ALLOW_HTTP = True
PUSH_ALLOW_LOOPBACK = True

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Tests on a file, as the portal runs: Django's default in-memory test database shares
    # one cache between threads, where a busy table fails at once instead of waiting.
    # Beside the configured database, so runs against different DATABASE_URLs never share one.
    _sqlite_name = Path(DATABASES["default"]["NAME"])
    DATABASES = {"default": {**DATABASES["default"], "TEST": {
        "NAME": str(VAR_DIR / "test.sqlite3") if _sqlite_name.parent == VAR_DIR
        else str(_sqlite_name.with_name(f"test-{_sqlite_name.name}"))}}}
