"""gunicorn's settings for certbody (read from the working directory: the Dockerfile, compose
and bench/public_lookup.py all start gunicorn in the project root).

    gunicorn certbody.wsgi --bind 0.0.0.0:8000

Threaded workers (gthread) keep HTTP connections alive between requests, as a browser or a
phone scanning several QR codes does. Two workers per core, two threads each: a request is
Python work around short database and cache round trips, and the threads of one process take
turns on Python's lock, so few threads per process serve more. Measured on the public number
lookup (2 cores, docs/benchmarks.md, issue 4): 2 workers x 4 threads served 15-35 % fewer
requests a second than 4 x 1; 4 x 2 served as many as 4 x 1 with a lower p99 (23-31 ms against
30-38 ms) and no request over 85 ms, as a worker's second thread answers while the first
waits. A worker is a whole process (about 100 MB): on a machine short of memory, lower
WEB_CONCURRENCY.

Environment: WEB_CONCURRENCY (workers, default 2 per core, at most 8), GUNICORN_THREADS (threads per
worker, default 2), GUNICORN_KEEPALIVE (seconds an idle connection stays open, default 5),
GUNICORN_TIMEOUT (seconds before a stuck worker is restarted, default 60).

With more than one worker and no shared cache (CACHE_URL), each worker counts the public rate
limit on its own: gunicorn logs a warning when it starts (as `manage.py check --deploy` does,
certbody.W001).
"""

import os

# The cores this process may run on (a container's cpuset, not the host's count), and at most 8
# workers unless WEB_CONCURRENCY says more: on a large host each worker is still ~100 MB.
_cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * (_cores or 1), 8)))
threads = int(os.environ.get("GUNICORN_THREADS", 2))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
# A burst of new connections (a crowd of QR scans) waits in the kernel's queue, not refused.
backlog = 2048


def when_ready(server):
    """Warn when several workers would each count the public rate limit on their own."""
    if server.cfg.workers <= 1:
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "certbody.settings.production")
    # Django and certbody's checks load only when several workers start, after the settings
    # module is chosen above.
    from django.core.exceptions import ImproperlyConfigured  # noqa: PLC0415

    from certbody.checks import (  # noqa: PLC0415
        RATE_LIMIT_CACHE_HINT,
        per_process_rate_limit_cache,
        rate_limit_cache_message,
    )

    try:
        backend = per_process_rate_limit_cache()
    except ImproperlyConfigured:  # the workers report the settings' error themselves
        return
    if backend is not None:
        server.log.warning(
            "certbody.W001 (%d workers): %s %s",
            server.cfg.workers,
            rate_limit_cache_message(backend),
            RATE_LIMIT_CACHE_HINT,
        )
