"""Embedded mode (no REDIS_URL): one process on one machine, `make run`. SQLite under var/ by
default, the in-process channel layer, background work in-process (apps.core.background), and
the keys kept under var/ (portal.keys), which `make run` writes before anything starts."""

from portal.keys import read_key_file
from portal.settings.base import *  # noqa: F403
from portal.settings.base import (
    LOOPBACK_NETWORKS,
    PRIVATE_NETWORKS,
    STATIC_FROM_FOLDERS,
    STORAGES,
    env,
    secret_keys,
    secret_setting,
)

EMBEDDED = True
# Demo accounts have a published password: they may only exist where nobody relies on secrecy.
DEMO_MODE = env.bool("DEMO_MODE", default=True)

# From the environment as in cluster mode, else the files under var/, so sessions, camera
# credentials and the chain's signatures survive restarts.
SECRET_KEY = secret_setting("SECRET_KEY") or read_key_file("SECRET_KEY")
CAMERA_KEYS = secret_keys("CAMERA_KEYS") or read_key_file("CAMERA_KEYS").split()
ANCHOR_SIGNING_KEYS = (secret_keys("ANCHOR_SIGNING_KEY")
                       or read_key_file("ANCHOR_SIGNING_KEY").split())
# Push is optional: a var/ written before push existed has no VAPID key until `init_keys`.
VAPID_PRIVATE_KEY = (secret_setting("VAPID_PRIVATE_KEY")
                     or read_key_file("VAPID_PRIVATE_KEY", required=False))
VAPID_SUBJECT = env.str("VAPID_SUBJECT", default="mailto:posko@localhost")

HTTPS = env.bool("HTTPS", default=False)
if HTTPS:
    from portal.settings.https import *  # noqa: F403

CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
STORAGES = {**STORAGES, "staticfiles": STATIC_FROM_FOLDERS}
WHITENOISE_USE_FINDERS = True

# Nothing leaves the machine: the camera simulator and webhook receivers on loopback, and
# plain-HTTP webhooks, are allowed.
CAMERA_NETWORKS = env.list("CAMERA_NETWORKS", default=PRIVATE_NETWORKS + LOOPBACK_NETWORKS)
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=True)
WEBHOOK_ALLOW_LOOPBACK = env.bool("WEBHOOK_ALLOW_LOOPBACK", default=True)
