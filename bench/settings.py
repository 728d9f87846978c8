"""Settings for the public-page benchmark only (bench/public_lookup.py), never for a deployment.

Production-like: DEBUG off, a shared Redis cache (so django-ratelimit counts across every
gunicorn worker, as in production), persistent database connections. Rate limiting stays
enabled so its cost is part of what is measured, with a limit far above the load
(CERTBODY_PUBLIC_RATE_LIMIT, default 100000000/m). ROOT_URLCONF adds the bare baseline view.
"""

from certbody.settings.base import *  # noqa: F403
from certbody.settings.base import CERTBODY, DATABASES, env

DEBUG = False
SECRET_KEY = "bench-only-not-a-secret"  # the benchmark serves 127.0.0.1 only
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "bench.urls"

# db 2: apart from production's db 1 and the tests' brokers.
CACHES = {"default": env.cache("CACHE_URL", default="redis://127.0.0.1:6379/2")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "certbody.cache.RedisCache"  # as certbody.settings.base
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
RATELIMIT_ENABLE = True
CERTBODY = {
    **CERTBODY,
    "PUBLIC_RATE_LIMIT": env("CERTBODY_PUBLIC_RATE_LIMIT", default="100000000/m"),
}

DATABASES["default"]["CONN_MAX_AGE"] = 60

# One line per request would cost more than some pages: warnings and errors only.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
