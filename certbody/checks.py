"""System checks for how certbody is deployed (registered when the certbody app is ready).

- certbody.W001 (``check --deploy``): the public rate limit is on but counts in a cache each
  process keeps for itself (a memory cache, or none): with N web processes an address gets N
  times its limit. gunicorn.conf.py logs the same warning when it starts more than one worker.
- certbody.E001, E002 (every start): policy settings with a fixed set of values.
- certbody.E003 (every start, production settings): the secret key or the admin password is
  docker-compose.yml's example. ``manage.py migrate``, which compose's web service runs first,
  then stops with this error, unless ``CERTBODY_LOCAL_TRIAL=true``.
"""

from __future__ import annotations

import os
import re

from django.conf import settings
from django.core import checks

from core.policy import SURVEILLANCE_OVERDUE_ACTIONS, policy

# Caches every process keeps for itself: nothing counted there is seen by another process.
PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}
# docker-compose.yml's defaults, and base.py's laptop key.
EXAMPLE_SECRET_KEYS = {"change-me-in-production", "dev-only-insecure-key-change-me"}
EXAMPLE_ADMIN_PASSWORDS = {"admin-change-me"}


def per_process_rate_limit_cache() -> str | None:
    """The cache backend the rate limit counts in, when it is on and that cache is per
    process; else None."""
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return None
    return _per_process_backend()


def _per_process_backend() -> str | None:
    alias = getattr(settings, "RATELIMIT_USE_CACHE", "default")
    backend = settings.CACHES.get(alias, {}).get("BACKEND", "")
    return backend if backend in PER_PROCESS_CACHES else None


RATE_LIMIT_CACHE_HINT = (
    "Set CACHE_URL (e.g. redis://127.0.0.1:6379/1) so that every web process counts in one "
    "cache, or run a single web process (WEB_CONCURRENCY=1)."
)


def rate_limit_cache_message(backend: str) -> str:
    return (
        f"The public rate limit (RATELIMIT_ENABLE) counts in a per-process cache ({backend}): "
        "each web process counts on its own, so with several processes an address gets "
        "several times its limit."
    )


@checks.register(checks.Tags.security, deploy=True)
def check_rate_limit_cache(app_configs=None, **kwargs):
    backend = per_process_rate_limit_cache()
    # One web process (gunicorn.conf.py reads WEB_CONCURRENCY): its own count is the count.
    if backend is None or os.environ.get("WEB_CONCURRENCY", "").strip() == "1":
        return []
    return [
        checks.Warning(
            rate_limit_cache_message(backend), hint=RATE_LIMIT_CACHE_HINT, id="certbody.W001"
        )
    ]


@checks.register(checks.Tags.security)
def check_example_secrets(app_configs=None, **kwargs):
    if not getattr(settings, "REFUSE_EXAMPLE_SECRETS", False):
        return []
    errors = []
    trial = "If this is a trial on one machine, set CERTBODY_LOCAL_TRIAL=true."
    if settings.SECRET_KEY in EXAMPLE_SECRET_KEYS or "change-me" in settings.SECRET_KEY:
        errors.append(
            checks.Error(
                "DJANGO_SECRET_KEY is the example key: anyone who has read docker-compose.yml "
                "can sign sessions and password-reset links.",
                hint="Set DJANGO_SECRET_KEY to a long random value, e.g. the output of "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'. " + trial,
                id="certbody.E003",
            )
        )
    if os.environ.get("CERTBODY_ADMIN_PASSWORD", "") in EXAMPLE_ADMIN_PASSWORDS:
        errors.append(
            checks.Error(
                "CERTBODY_ADMIN_PASSWORD (ADMIN_PASSWORD in docker-compose.yml) is the example "
                "password.",
                hint="Set ADMIN_PASSWORD to a password of your own (it is used when the login "
                "admin is created). " + trial,
                id="certbody.E003",
            )
        )
    return errors


# PostgreSQL's memory units (https://www.postgresql.org/docs/current/config-setting.html), in
# kB, and the range it accepts for work_mem: 64 kB to 2147483647 kB.
_PG_MEMORY = re.compile(r"^([0-9]+)\s*(kB|MB|GB|TB)?$")
_PG_UNIT_KB = {None: 1, "kB": 1, "MB": 1024, "GB": 1024**2, "TB": 1024**3}
_WORK_MEM_KB = (64, 2147483647)


def _work_mem_ok(value) -> bool:
    match = _PG_MEMORY.match(str(value).strip())
    if not match:
        return False
    kb = int(match.group(1)) * _PG_UNIT_KB[match.group(2)]
    return _WORK_MEM_KB[0] <= kb <= _WORK_MEM_KB[1]


def check_policy(app_configs=None, **kwargs):
    """Policy settings with a fixed set of values are checked when certbody starts."""
    errors = []
    work_mem = policy("IMPORT_WORK_MEM")
    if not _work_mem_ok(work_mem):
        errors.append(
            checks.Error(
                "CERTBODY['IMPORT_WORK_MEM'] (environment variable CERTBODY_IMPORT_WORK_MEM) is "
                f"{work_mem!r}.",
                hint="A PostgreSQL memory size from 64kB to 2047GB, such as 64MB or 65536kB.",
                id="certbody.E002",
            )
        )
    action = policy("SURVEILLANCE_OVERDUE_ACTION")
    if action not in SURVEILLANCE_OVERDUE_ACTIONS:
        errors.append(
            checks.Error(
                "CERTBODY['SURVEILLANCE_OVERDUE_ACTION'] (environment variable "
                f"CERTBODY_SURVEILLANCE_OVERDUE_ACTION) is {action!r}.",
                hint=f"Use one of: {', '.join(SURVEILLANCE_OVERDUE_ACTIONS)}.",
                id="certbody.E001",
            )
        )
    return errors
