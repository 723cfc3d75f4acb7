"""What serving over HTTPS adds (the modes' `HTTPS` setting): `__Host-` cookies sent only over
HTTPS, HSTS, the redirect to https and the proxy's header saying a request came over HTTPS
(Daphne runs behind a proxy that terminates TLS). Without HTTPS, Django's defaults apply."""

from portal.settings.base import env

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_HSTS_SECONDS = 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
