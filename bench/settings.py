"""Settings for the public-page benchmark only (bench/public_lookup.py), never for a deployment.

Production-like: DEBUG off, a shared Redis cache (so the rate limit counts across every
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

# CACHES and its system checks come from certbody.settings.base: bench/public_lookup.py sets
# CACHE_URL (--cache-url, default Redis db 2, apart from production's db 1).
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
