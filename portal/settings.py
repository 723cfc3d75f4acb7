"""Settings for Posko, read from the environment (see `.env.example`).

Two modes, one codebase:
- embedded (no REDIS_URL): SQLite under var/, in-process channel layer, background work in-process;
- cluster (REDIS_URL set): PostgreSQL via DATABASE_URL, channels-redis, Celery workers and beat.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

REDIS_URL: str = env.str("REDIS_URL", default="")
EMBEDDED = not REDIS_URL
TESTING = env.bool("POSKO_TESTING", default="pytest" in sys.modules)
DEBUG = env.bool("DEBUG", default=False)
# Demo accounts have a published password: they may only exist where nobody relies on secrecy.
DEMO_MODE = env.bool("DEMO_MODE", default=EMBEDDED)

VAR_DIR.mkdir(exist_ok=True)


def _embedded_secret_key() -> str:
    """Generate the key once and keep it under var/, so sessions survive restarts."""
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not EMBEDDED:
        raise ImproperlyConfigured("SECRET_KEY is required in cluster mode (REDIS_URL is set).")
    SECRET_KEY = _embedded_secret_key()
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])



def _embedded_camera_keys() -> list[str]:
    from apps.cameras.crypto import new_key

    key_file = VAR_DIR / "camera_keys"
    if not key_file.exists():
        key_file.write_text(new_key() + "\n")
        key_file.chmod(0o600)
    return [line for line in key_file.read_text().split() if line]


# AES-256-GCM keys for camera credentials, newest first (base64url). Rotate by prepending a key
# and running `manage.py rotate_camera_keys`, then dropping the old key.
CAMERA_KEYS = env.list("CAMERA_KEYS", default=[])
if not CAMERA_KEYS:
    if not EMBEDDED:
        raise ImproperlyConfigured("CAMERA_KEYS is required in cluster mode (REDIS_URL is set).")
    CAMERA_KEYS = _embedded_camera_keys()

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
# Exact origins (scheme, host and port) allowed to open websockets and post forms.
SITE_ORIGINS = env.list("SITE_ORIGINS", default=["http://127.0.0.1:8000", "http://localhost:8000"])
CSRF_TRUSTED_ORIGINS = SITE_ORIGINS

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "apps.core",
    "apps.org",
    "apps.accounts",
    "apps.places",
    "apps.access",
    "apps.alerts",
    "apps.cameras",
    "apps.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "apps.core.middleware.NoStoreForAuthenticatedMiddleware",
]

ROOT_URLCONF = "portal.urls"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "apps.core.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'posko.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Pooled connections (psycopg 3 pool); CONN_MAX_AGE must stay 0 with a pool.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": env.int("DATABASE_POOL_SIZE", default=10),
        "timeout": 5,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while the in-process workers write.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Jakarta"  # Fallback only: facility pages use the facility's own zone.

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG or TESTING:
    STORAGES["staticfiles"] = {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
    }
# Evidence and photos are served only through authorising views, never from MEDIA_URL.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 12 * 3600  # One shift; the idle timeout is enforced separately.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
HTTPS = env.bool("HTTPS", default=not EMBEDDED)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
if HTTPS:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

if EMBEDDED:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
else:
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

# Celery: only used as a broker-backed queue in cluster mode. In embedded mode the same task
# functions run on the in-process executor (apps.core.background).
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ROUTES = {"cameras.watch_camera": {"queue": "streams"}}
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Lease expiry (15 s) + this interval keeps camera takeover well under 30 s.
    "cameras-supervise": {"task": "cameras.supervise", "schedule": 5.0},
    "cameras-prune-timeline": {"task": "cameras.prune_timeline", "schedule": 3600.0},
}

# A check-in this many minutes after the shift starts is late; none after the second is missed.
# Open slots (shifts nobody is assigned to) starting within this many hours raise an alert.

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Networks camera URLs may point at (SSRF guard). Loopback only where the simulator runs.
CAMERA_NETWORKS = env.list(
    "CAMERA_NETWORKS",
    default=["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]
    + (["127.0.0.0/8", "::1/128"] if EMBEDDED or TESTING else []),
)
# Ports next to the portal that no camera URL may reach, even inside an allowed network.
CAMERA_DENIED_PORTS = env.list("CAMERA_DENIED_PORTS", cast=int, default=[5432, 6379, 5672])
CAMERA_ALLOW_FILE_SOURCES = TESTING
# Seconds of frames kept as evidence before and after an event.
CAMERA_EVIDENCE_BEFORE = env.float("CAMERA_EVIDENCE_BEFORE", default=10.0)
CAMERA_EVIDENCE_AFTER = env.float("CAMERA_EVIDENCE_AFTER", default=20.0)

# The camera simulator that the demo's cameras point at (`manage.py camsim`).
CAMSIM_HTTP_PORT = env.int("CAMSIM_HTTP_PORT", default=8090)
CAMSIM_RTSP_PORT = env.int("CAMSIM_RTSP_PORT", default=8554)

# How long a worker heartbeat stays valid; /healthz calls a worker dead after this.
WORKER_HEARTBEAT_TTL = 30
