"""Cluster mode (REDIS_URL set): PostgreSQL via DATABASE_URL, channels-redis, Celery workers
and beat on the Redis broker, any number of Daphne processes behind a proxy that terminates
TLS. Every secret comes from the environment (or a `NAME_FILE`); startup fails without one."""

from django.core.exceptions import ImproperlyConfigured

from portal.settings.base import *  # noqa: F403
from portal.settings.base import REDIS_URL, env, secret_keys, secret_setting

EMBEDDED = False
# Demo accounts have a published password: only where nobody relies on secrecy.
DEMO_MODE = env.bool("DEMO_MODE", default=False)

SECRET_KEY = secret_setting("SECRET_KEY")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY is required in cluster mode (REDIS_URL is set).")
CAMERA_KEYS = secret_keys("CAMERA_KEYS")
if not CAMERA_KEYS:
    raise ImproperlyConfigured("CAMERA_KEYS is required in cluster mode (REDIS_URL is set).")
ANCHOR_SIGNING_KEYS = secret_keys("ANCHOR_SIGNING_KEY")
if not ANCHOR_SIGNING_KEYS:
    raise ImproperlyConfigured(
        "ANCHOR_SIGNING_KEY is required in cluster mode (REDIS_URL is set).")
# Web Push is on when its key is given; then the push services need to know who sends.
VAPID_PRIVATE_KEY = secret_setting("VAPID_PRIVATE_KEY")
if VAPID_PRIVATE_KEY and not env.str("VAPID_SUBJECT", default=""):
    raise ImproperlyConfigured(
        "VAPID_SUBJECT (mailto: or https:) is required with VAPID_PRIVATE_KEY.")

HTTPS = env.bool("HTTPS", default=True)
if HTTPS:
    from portal.settings.https import *  # noqa: F403

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [env.str("CHANNEL_LAYER_URL", default=REDIS_URL)],
            "prefix": "posko:layer",
            "capacity": 100,
            "expiry": 60,
        },
    }
}
CELERY_BROKER_URL = REDIS_URL
# Rate limits must hold across Daphne processes: keep their counters in Redis.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                      "LOCATION": env.str("CACHE_URL", default=REDIS_URL)}}
