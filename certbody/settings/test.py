"""Test settings: fast hashing, mail in memory, tasks run eagerly unless a test says otherwise."""

import os

from .base import *  # noqa: F403
from .base import (
    CACHES,
    CERTBODY,
    DATABASES,
    INSTALLED_APPS,
    MIDDLEWARE,
    VAR_DIR,
    env,
    use_demo_certbody,
)

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# In memory; a Celery worker that a test starts in a subprocess writes files instead
# (DJANGO_EMAIL_BACKEND=...filebased.EmailBackend, DJANGO_EMAIL_FILE_PATH).
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise.")]
# Import progress in memory (the tests run imports in-process).
CACHES = {
    **CACHES,
    "progress": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "p"},
}

# SQLite: the test database is a file, not pytest's default in-memory database, so that a Celery
# worker started by a test in a subprocess (tests/celery_worker.py) opens the same database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {
        # One file per test run: two runs in one checkout must not share it.
        "NAME": env("CERTBODY_TEST_SQLITE", default=str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3"))
    }
    # A throwaway database: no fsync on commit (as fast as memory), WAL so that the worker
    # reads while a test writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = (
        "PRAGMA synchronous=OFF; PRAGMA journal_mode=WAL;"
    )

# Demo data (seed_demo) is a development tool.
if "demo" not in INSTALLED_APPS:
    INSTALLED_APPS.append("demo")

# The demo's body address and marks on certificates (base.py, DEMO_CERTBODY), but no
# accreditation: a test that needs one sets it.
use_demo_certbody(CERTBODY, names=("BODY_ADDRESS", "CERTIFICATION_MARK", "ACCREDITATION_MARK"))
