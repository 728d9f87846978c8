"""A real Celery worker, on the configured broker (Redis in CI), runs the daily expiry task
against the real database."""

import datetime
import time

import pytest

from certbody.celery import app
from certificates.models import State
from certificates.tasks import expire_certifications
from tests import lifecycle as lc
from tests.celery_worker import running_worker


@pytest.fixture
def worker(tmp_path):
    with running_worker(tmp_path) as (proc, log):
        yield proc, log


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


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_renders_a_decisions_pdf_queued_after_commit(people, worker):
    """The decision's PDF task goes out from the publisher thread (infra/queueing.py), not
    the committing thread, and reaches the worker."""
    from infra import queueing

    proc, log = worker
    cert = lc.certified(people, decided_on=datetime.date(2025, 1, 15))
    assert queueing.drain(timeout=10)
    certificate = cert.certificates.get()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        certificate.refresh_from_db()
        if certificate.pdf:
            break
        time.sleep(0.5)
    log.seek(0)
    assert certificate.pdf and certificate.pdf_generated_at, f"worker log:\n{log.read()[-3000:]}"
