"""A real Celery worker, on the configured broker (Redis in CI), runs the daily expiry task
against the real database."""

import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from certbody.celery import app
from certificates.models import State
from certificates.tasks import expire_certifications
from tests import lifecycle as lc

ROOT = Path(settings.BASE_DIR)


def _database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def worker(tmp_path):
    if settings.CELERY_BROKER_URL.startswith("redis://"):
        import redis

        try:
            redis.Redis.from_url(settings.CELERY_BROKER_URL).ping()
        except redis.exceptions.ConnectionError:
            pytest.skip("no Redis answers at CELERY_BROKER_URL")
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="certbody.settings.test",
        CELERY_TASK_ALWAYS_EAGER="false",
        DATABASE_URL=_database_url(),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CELERY_BROKER_DIR=str(tmp_path / "broker"),
    )
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
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        folder = str(tmp_path / "broker" / "out")
        os.makedirs(folder, exist_ok=True)
        app.conf.broker_transport_options = {
            "data_folder_in": folder,
            "data_folder_out": folder,
            "control_folder": str(tmp_path / "broker" / "control"),
        }
    yield proc, log
    app.conf.task_always_eager, app.conf.broker_transport_options = old
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_expires_certification_through_broker(people, worker):
    proc, log = worker
    cert = lc.certified(people, decided_on=datetime.date(2021, 3, 1))
    assert cert.expiry_date == datetime.date(2024, 2, 29)
    with app.connection_for_write() as conn:
        expire_certifications.apply_async(kwargs={"on": "2024-03-01"}, connection=conn)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        cert.refresh_from_db()
        if cert.state == State.EXPIRED or proc.poll() is not None:
            break
        time.sleep(0.5)
    log.seek(0)
    assert cert.state == State.EXPIRED, f"worker log:\n{log.read()[-3000:]}"
    assert cert.expired_on == datetime.date(2024, 3, 1)
