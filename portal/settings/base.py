"""Settings every mode shares, read from the environment (see `.env.example`).

`portal.settings` picks the mode (README "Modes"): portal.settings.embedded or
portal.settings.cluster, each built on this module, as the test suite's portal.settings.test
is. What differs between them (the secrets, the channel layer and broker, HTTPS, static files,
which addresses cameras and webhooks may reach) is set there.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

REDIS_URL: str = env.str("REDIS_URL", default="")
DEBUG = env.bool("DEBUG", default=False)


def secret_setting(name: str) -> str:
    """`NAME` from the environment, or the contents of the file `NAME_FILE` points at
    (systemd credentials, Docker secrets). Secrets never live in the repository."""
    path = env.str(f"{name}_FILE", default="")
    if path and env.str(name, default=""):
        raise ImproperlyConfigured(f"Give {name} or {name}_FILE, not both.")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {path}") from exc
    return env.str(name, default="")


def secret_keys(name: str) -> list[str]:
    """Keys from `secret_setting(name)`: comma-separated in the environment, one a line in a
    file, newest first."""
    return [k for k in secret_setting(name).replace(",", " ").split() if k]


# The secrets are set by each mode: SECRET_KEY; CAMERA_KEYS, AES-256-GCM keys for camera
# credentials, newest first (base64url; rotate by prepending a key and running
# `manage.py rotate_camera_keys`, then dropping the old key); ANCHOR_SIGNING_KEYS, Ed25519 keys
# that sign the records chain's anchors, newest first (apps.records.signing), never in the
# database, so whoever can rewrite the database cannot sign a rewritten history.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
# Exact origins (scheme, host and port) allowed to open websockets and post forms. In embedded
# mode `manage.py serve` adds the origins of the port it serves (apps.core.origins), in place
# of this default when SITE_ORIGINS is not set; cluster mode needs the proxy's public origins.
SITE_ORIGINS_CONFIGURED = bool(env.str("SITE_ORIGINS", default=""))
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
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "apps.core",
    "apps.org",
    "apps.accounts",
    "apps.places",
    "apps.access",
    "apps.alerts",
    "apps.notifications",
    "apps.cameras",
    "apps.streams",
    "apps.recordings",
    "apps.live",
    "apps.duty",
    "apps.records",
    "apps.demo",
    "apps.audit",
    "apps.overview",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Above whitenoise, so static files get the header too (an SVG is a document).
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "apps.accounts.middleware.SessionTimeoutMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "apps.accounts.middleware.RequireTwoFactorMiddleware",
    "apps.audit.recording.AuditContextMiddleware",
    "apps.core.middleware.NoStoreForAuthenticatedMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into the 429 page
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
                "apps.overview.context_processors.navigation",
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
        # A request waits this long for a connection before it answers 503.
        "timeout": 5,
        # psycopg_pool retries a failed connect with a doubling delay until this many seconds
        # have passed (default 300): after a 30 s outage its next try could be 16 s away,
        # so the first request after the database returns would time out. Giving up early
        # keeps the gap between tries under a second; the next waiting request starts a new
        # round at once.
        "reconnect_timeout": 2,
    }
    # The pool tests each connection as it hands it out, so the first request after a
    # database restart gets a fresh connection instead of a dead one (and a 503).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while the in-process workers write.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
# Signed anchors and the chain entries they cover are copied here, outside the database
# (apps.records.anchors): best a directory another machine keeps. Empty: no copies. By
# default beside a SQLite database (each database its own witness), else under var/.
_database_name = str(DATABASES["default"].get("NAME") or "")
ANCHOR_WITNESS_DIR = env.str("ANCHOR_WITNESS_DIR", default=str(
    Path(_database_name).with_name(f"{Path(_database_name).stem}-witness")
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" else VAR_DIR / "witness"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "overview:home"
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

# Login throttling (django-axes): failures count per username *and* client address together, so
# a wrong password typed at a shared post locks neither the post nor the person elsewhere; the
# pause ends by itself after the cool-off (never a permanent lockout).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "apps.accounts.lockout.attempted_username"
AXES_CLIENT_IP_CALLABLE = "apps.accounts.lockout.client_address"
AXES_LOCKOUT_CALLABLE = "apps.accounts.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_ENABLE_ADMIN = False  # administrators lift a pause from the person's admin page
AXES_SENSITIVE_PARAMETERS = ["password", "code"]

# Two-step login (django-otp, apps.accounts.mfa): TOTP with one-time backup codes, required
# for operators, commanders, administrators and admin users. Wrong codes double the wait.
OTP_TOTP_ISSUER = "Posko"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Jakarta"  # Fallback only: facility pages use the facility's own zone.

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Cluster mode serves the collected, hashed copies (apps.core.static: `serve` collects them,
# Daphne refuses to start without them). Embedded mode, the tests and debugging serve static
# files straight from their folders (whitenoise's finders, which whitenoise turns on with
# DEBUG): a fresh clone works without collectstatic.
STATIC_FROM_FOLDERS = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": STATIC_FROM_FOLDERS if DEBUG
    else {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Evidence and photos are served only through authorising views, never from MEDIA_URL.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))

# Recorded video (apps.recordings): segment files through the "recordings" storage alias,
# never served from a URL of their own. RECORDINGS_STORAGE chooses where they go:
# - "filesystem" (the default): RECORDINGS_ROOT, under var/ in embedded mode; in cluster mode
#   a shared filesystem (NFS, CephFS) mounted at the same path on every machine, so the web
#   processes never need a worker's local disk;
# - "s3": an S3-compatible object store (MinIO, Ceph RGW, a cloud bucket) through
#   django-storages: RECORDINGS_S3_BUCKET, RECORDINGS_S3_ENDPOINT_URL (empty for AWS),
#   RECORDINGS_S3_REGION, and the keys RECORDINGS_S3_ACCESS_KEY / RECORDINGS_S3_SECRET_KEY
#   (or their _FILE variants).
RECORDINGS_STORAGE = env.str("RECORDINGS_STORAGE", default="filesystem")
RECORDINGS_ROOT = env.path("RECORDINGS_ROOT", default=str(VAR_DIR / "recordings"))


def recordings_storage(kind: str) -> dict:
    """The "recordings" entry of STORAGES for RECORDINGS_STORAGE=`kind`."""
    if kind == "filesystem":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(RECORDINGS_ROOT)}}
    if kind == "s3":
        return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
            "bucket_name": env.str("RECORDINGS_S3_BUCKET"),
            "endpoint_url": env.str("RECORDINGS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("RECORDINGS_S3_REGION", default="") or None,
            "access_key": secret_setting("RECORDINGS_S3_ACCESS_KEY") or None,
            "secret_key": secret_setting("RECORDINGS_S3_SECRET_KEY") or None,
            # Segment names are unique per camera and start: never overwrite one.
            "file_overwrite": False,
            "default_acl": None,  # the bucket's own: private
        }}
    raise ImproperlyConfigured(f"RECORDINGS_STORAGE must be filesystem or s3, not {kind!r}.")


STORAGES["recordings"] = recordings_storage(RECORDINGS_STORAGE)
# Where a worker writes segments before storing them: local disk of each worker machine,
# never shared (a worker stores what its spool holds when it starts); ideally the same
# filesystem as RECORDINGS_ROOT (a segment is then moved into place, not copied).
RECORDINGS_SPOOL = env.path("RECORDINGS_SPOOL", default=str(VAR_DIR / "recordings-spool"))
RECORDINGS_SEGMENT_SECONDS = 60.0
# Bytes of recordings kept at most (0: no quota, only each camera's days). At 90 % of it the
# storage alert is raised; above it the oldest footage that is not held is pruned.
RECORDINGS_QUOTA_BYTES = env.int("RECORDINGS_QUOTA_BYTES", default=0)
# Masked renditions (apps.recordings.renditions): bytes kept in all (the oldest are deleted
# first; a rendition is about half its segment's bytes), renders at a time in one process
# (each takes a core for about a fifth of the footage's length), and the height above which
# they are scaled down.
RECORDINGS_RENDITIONS_QUOTA_BYTES = env.int("RECORDINGS_RENDITIONS_QUOTA_BYTES",
                                            default=2 * 1024**3)
RECORDINGS_RENDITION_WORKERS = env.int("RECORDINGS_RENDITION_WORKERS", default=1)
RECORDINGS_RENDITION_MAX_HEIGHT = env.int("RECORDINGS_RENDITION_MAX_HEIGHT", default=720)

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 12 * 3600  # One shift; the idle timeout is enforced separately.
# Enforced by apps.accounts.middleware.SessionTimeoutMiddleware (the cookie age alone is not
# absolute: the session is saved again as the person works).
SESSION_ABSOLUTE_LIFETIME = SESSION_COOKIE_AGE
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=60 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "apps.core.views.csrf_failure"  # the portal's page, not Django's
# HTTPS (each mode its default) adds secure cookies, HSTS and more: portal.settings.https.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# Content-Security-Policy (django-csp 4): scripts and styles from this site only, no inline
# code; websockets only to the site's own origins.
_WEBSOCKET_ORIGINS = [
    origin.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    for origin in SITE_ORIGINS
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        # Passthrough live video plays from a MediaSource, whose URL is a blob: (static/js/live.js).
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'", *_WEBSOCKET_ORIGINS],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Celery: only used as a broker-backed queue in cluster mode (whose broker is Redis). In
# embedded mode the same task functions run on the in-process executor (apps.core.background).
CELERY_BROKER_URL = "memory://"
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
# Periodic tasks are declared by each app beside its tasks (`apps/<app>/schedule.py`) and
# collected by apps.core.periodic for Celery beat and the in-process scheduler alike.

# Guard duty (apps.duty): checks run every minute and raise alerts through the alerts core.
# A check-in this many minutes after the shift starts is late; none after the second is missed.
DUTY_LATE_AFTER_MINUTES = env.int("DUTY_LATE_AFTER_MINUTES", default=5)
DUTY_MISSED_CHECK_IN_MINUTES = env.int("DUTY_MISSED_CHECK_IN_MINUTES", default=15)
# Open slots (shifts nobody is assigned to) starting within this many hours raise an alert.
DUTY_UNASSIGNED_LOOKAHEAD_HOURS = env.int("DUTY_UNASSIGNED_LOOKAHEAD_HOURS", default=6)

# Field records (apps.records; its periodic checks in apps/records/schedule.py).
# The whole chain is walked this often in the background (its cost grows with the history);
# the integrity page shows the latest walk, and an administrator can ask for one at once.
RECORDS_VERIFY_HOURS = env.float("RECORDS_VERIFY_HOURS", default=6.0)
# A facility is overdue this many minutes after its patrol interval has passed.
RECORDS_PATROL_GRACE_MINUTES = env.int("RECORDS_PATROL_GRACE_MINUTES", default=15)
# Pillars whose representatives must sign a joint warehouse check before it is complete.
RECORDS_CHECK_PILLARS = env.list("RECORDS_CHECK_PILLARS",
                                 default=["polri", "tni", "pemda", "kpu"])
# Public tips accepted per address per hour (counted in the cache: in cluster mode the
# cache must be shared, see its CACHES).
RECORDS_TIPS_PER_HOUR = env.int("RECORDS_TIPS_PER_HOUR", default=5)
# Whole request limit for field entries with photos (the per-photo limit is 8 MB).
RECORDS_MAX_REQUEST_BYTES = env.int("RECORDS_MAX_REQUEST_BYTES", default=36 * 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # axes: failures and lockouts are warnings; successful logins are not worth a line each.
    # celery.app.trace: a line per finished task (the camera supervisor runs every 5 s);
    # failed tasks are still logged as errors.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"},
                "celery.app.trace": {"level": "WARNING"}},
}

# Networks camera URLs may point at (SSRF guard): private networks. Embedded mode and the
# tests add loopback, where the camera simulator runs.
PRIVATE_NETWORKS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]
LOOPBACK_NETWORKS = ["127.0.0.0/8", "::1/128"]
CAMERA_NETWORKS = env.list("CAMERA_NETWORKS", default=PRIVATE_NETWORKS)
# Ports next to the portal that no camera URL may reach, even inside an allowed network.
CAMERA_DENIED_PORTS = env.list("CAMERA_DENIED_PORTS", cast=int, default=[5432, 6379, 5672])
CAMERA_ALLOW_FILE_SOURCES = False  # video files as camera sources: the tests only
# Seconds without frames, counted from the last frame, before an offline camera is alerted:
# a stall or refusal reaches the operators in 15-17 s (health is written every 2 s), while a
# camera that drops and comes back within one reconnection or two raises nothing.
CAMERA_OFFLINE_ALERT_AFTER = env.float("CAMERA_OFFLINE_ALERT_AFTER", default=15.0)
# Seconds of frames kept as evidence before and after an event.
CAMERA_EVIDENCE_BEFORE = env.float("CAMERA_EVIDENCE_BEFORE", default=10.0)
CAMERA_EVIDENCE_AFTER = env.float("CAMERA_EVIDENCE_AFTER", default=20.0)

# The camera simulator that the demo's cameras point at (`manage.py camsim`).
CAMSIM_HTTP_PORT = env.int("CAMSIM_HTTP_PORT", default=8090)
CAMSIM_RTSP_PORT = env.int("CAMSIM_RTSP_PORT", default=8554)

# How long a worker heartbeat stays valid; /healthz calls a worker dead after this.
WORKER_HEARTBEAT_TTL = 30

# --- API (apps.api) and integrations (apps.integrations: token and webhook pages, webhooks out)
# JSON only (no browsable API: its pages need inline scripts). Device tokens first, so a
# request without credentials gets 401 with `WWW-Authenticate: Bearer`; browser sessions are
# CSRF-checked. Every queryset goes through apps.access.policy (see apps/api/views).
INSTALLED_APPS += [
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI as static files of this site (no CDN)
    "apps.api",
    "apps.integrations",
]
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.api.authentication.TokenAuthentication",
        "apps.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["apps.api.permissions.SignedIn"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "apps.api.pagination.PagePagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "apps.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "apps.api.errors.exception_handler",
    "DEFAULT_METADATA_CLASS": None,  # OPTIONS answers 405: nothing to learn about an object
    "COERCE_DECIMAL_TO_STRING": False,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Posko API",
    "DESCRIPTION": "Facilities, cameras, alerts, guard duty and field records of Posko. "
                   "Times are ISO 8601 with a UTC offset; see the README, section API.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["apps.api.permissions.SignedIn"],
    "SCHEMA_PATH_PREFIX": "/api/",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "FacilityKindEnum": "apps.places.models.Facility.Kind",
        "AlertKindEnum": "apps.alerts.models.Alert.Kind",
        "AlertStateEnum": "apps.alerts.models.Alert.State",
        "ViewKindEnum": "apps.cameras.models.ViewRecord.Kind",
        "CameraStateEnum": "apps.cameras.models.CameraHealth.State",
        "ItemKindEnum": "apps.records.models.ItemKind",
        "IncidentStepEnum": "apps.records.models.Step",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}
# A resent create with the same Idempotency-Key gets the first answer for this long.
API_IDEMPOTENCY_HOURS = env.int("API_IDEMPOTENCY_HOURS", default=24)
# Webhook URLs: https only (http too where nothing leaves the machine: embedded mode, tests),
# never link-local, "this host", multicast or a denied port, and loopback only in embedded
# mode; checked when saved and again before every delivery, connecting to the checked address.
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=False)
WEBHOOK_ALLOW_LOOPBACK = env.bool("WEBHOOK_ALLOW_LOOPBACK", default=False)
WEBHOOK_NETWORKS = env.list("WEBHOOK_NETWORKS", default=["0.0.0.0/0", "::/0"])
WEBHOOK_DENIED_PORTS = env.list("WEBHOOK_DENIED_PORTS", cast=int, default=[5432, 6379, 5672])
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10.0)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
# The outbox (apps.integrations.outbox) reads alert events after a cursor per endpoint; the
# cursor passes only events older than this many seconds, so one whose transaction committed
# after a higher id was read is still delivered.
WEBHOOK_OUTBOX_LAG = env.int("WEBHOOK_OUTBOX_LAG", default=120)
# --- end of API and integrations -------------------------------------------------------------
# Web Push (apps.notifications): on when a VAPID private key is set (each mode sets
# VAPID_PRIVATE_KEY; it never reaches a browser nor a log). VAPID_SUBJECT is how a push
# service reaches the operator of the portal (mailto: or https:). Endpoints pass the webhooks'
# network-address guard: https, public addresses only (loopback and plain http in tests only).
VAPID_PRIVATE_KEY = ""
VAPID_SUBJECT = env.str("VAPID_SUBJECT", default="")
PUSH_TIMEOUT = env.float("PUSH_TIMEOUT", default=5.0)  # seconds per request to a push service
PUSH_WORKERS = env.int("PUSH_WORKERS", default=16)  # requests in flight per alert change
PUSH_TTL = env.int("PUSH_TTL", default=3600)  # seconds a push service keeps an undelivered one
PUSH_ACK_MAX_AGE = env.int("PUSH_ACK_MAX_AGE", default=3600)  # the "Acknowledge" button's life
PUSH_ALLOW_HTTP = False
PUSH_ALLOW_LOOPBACK = False
