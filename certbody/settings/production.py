"""Production settings: secrets only from the environment, HTTPS only, secure cookies.

`manage.py check --deploy` prints no warnings with the environment README documents
("Production"): DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, CACHE_URL, and HTTPS in front.
"""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")

# CERTBODY_LOCAL_TRIAL=true: a trial on one machine over plain http://localhost (docker compose
# up). It allows docker-compose.yml's example secret key and admin password (refused otherwise
# when the web process starts: certbody/checks.py, certbody.E003) and turns the HTTPS-only
# defaults below off. Never set it on a server others reach.
LOCAL_TRIAL = env.bool("CERTBODY_LOCAL_TRIAL", default=False)
REFUSE_EXAMPLE_SECRETS = not LOCAL_TRIAL
_HTTPS = not LOCAL_TRIAL

SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=_HTTPS)
CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=_HTTPS)
# The TLS-terminating proxy sets X-Forwarded-Proto: https (and must overwrite a client's).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HSTS: browsers refuse plain HTTP to this host (and its subdomains) for a year. Set
# DJANGO_SECURE_HSTS_SECONDS=0 only while trying HTTPS out.
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000 if _HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
# Django redirects http:// to https://, unless the TLS-terminating proxy says it does that
# itself (DJANGO_PROXY_SSL_REDIRECT=true): then Django does not, and check --deploy's reminder
# (security.W008) is silenced, because the environment says the proxy redirects.
PROXY_SSL_REDIRECT = env.bool("DJANGO_PROXY_SSL_REDIRECT", default=False)
SECURE_SSL_REDIRECT = env.bool(
    "DJANGO_SECURE_SSL_REDIRECT", default=_HTTPS and not PROXY_SSL_REDIRECT
)
SILENCED_SYSTEM_CHECKS = ["security.W008"] if PROXY_SSL_REDIRECT else []

EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
