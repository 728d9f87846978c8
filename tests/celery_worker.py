"""A real Celery worker in a subprocess, on the configured broker (Redis in CI) and the test
database, for the tests that see a task go through the broker end to end.

The worker must see the rows the test writes: the tests using it are transactional
(``django_db(transaction=True, serialized_rollback=True)``). On SQLite the test database is a
file (certbody/settings/test.py), which the worker opens too; with the default filesystem
broker no server is needed, so these tests run on a laptop as they run in CI.
"""

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from certbody.celery import app

ROOT = Path(settings.BASE_DIR)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def database_url() -> str:
    """The test database as a DATABASE_URL for the subprocess: pytest-django's test_<name> on
    PostgreSQL, the test database file on SQLite (certbody/settings/test.py makes it a file)."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return (
        f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
        f"/{s['NAME']}"
    )


def require_broker() -> None:
    """Skip when no Redis answers at CELERY_BROKER_URL, except under CI=true: there it fails."""
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        return  # the filesystem broker needs no server
    import redis

    try:
        redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=3).ping()
    except redis.exceptions.ConnectionError as err:
        message = f"no Redis answers at CELERY_BROKER_URL={settings.CELERY_BROKER_URL}: {err}"
        if IN_CI:
            pytest.fail(f"{message} (CI=true: Redis is required)")
        pytest.skip(message)


@contextlib.contextmanager
def running_worker(tmp_path: Path, **extra_env: str):
    """Start ``celery -A certbody worker --pool solo`` on the test database and the configured
    broker, with ``extra_env`` on top; make this process publish to the same broker (not
    eagerly). Yields ``(process, log)``; the log file holds the worker's output."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.fail("the SQLite test database is in memory: a worker cannot open it")
    require_broker()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "certbody.settings.test",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_BROKER_DIR": str(tmp_path / "broker"),
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "PYTHONUNBUFFERED": "1",
        **extra_env,
    }
    log = (tmp_path / "worker.log").open("w+")  # closed after the worker stops
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "certbody",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "info",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    old = (app.conf.task_always_eager, app.conf.broker_transport_options)
    app.conf.task_always_eager = False
    # Pooled producers (.delay, the publisher thread of infra/queueing.py) publish with the
    # options they were made with: fresh ones, to this worker's broker folder.
    app._pool = app.amqp._producer_pool = None
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        folder = str(tmp_path / "broker" / "out")
        os.makedirs(folder, exist_ok=True)
        app.conf.broker_transport_options = {
            "data_folder_in": folder,
            "data_folder_out": folder,
            "control_folder": str(tmp_path / "broker" / "control"),
        }
    try:
        yield proc, log
    finally:
        app.conf.task_always_eager, app.conf.broker_transport_options = old
        app._pool = app.amqp._producer_pool = None
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def worker_log(log) -> str:
    log.flush()
    log.seek(0)
    return log.read()


def wait_for(predicate, *, proc, log, timeout: float = 60, what: str = "the worker"):
    """Poll ``predicate`` every 0.25 s until it is true; fail with the worker's log when it is
    not within ``timeout`` seconds or the worker died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        if proc.poll() is not None:
            pytest.fail(f"the worker exited ({proc.returncode}):\n{worker_log(log)[-4000:]}")
        time.sleep(0.25)
    pytest.fail(f"{what}: not within {timeout:.0f} s. Worker log:\n{worker_log(log)[-4000:]}")
