"""A Redis that hangs (accepts connections, never answers) must not hang requests (issue 14,
finding 6), and work the broker could not take is not lost.

The fake Redis is a socket on 127.0.0.1 (port 0: any free port) that accepts and never writes.
The cache and the broker get the settings certbody's settings module gives them for a Redis URL
(read again with CACHE_URL / CELERY_BROKER_URL pointing at it), so these tests check the real
timeouts. No real Redis is needed."""

import contextlib
import datetime
import importlib
import logging
import socket
import threading
import time

import pytest
from django.core import mail
from django.urls import reverse

from certbody.celery import app
from certificates.models import Certificate, State
from certificates.tasks import sweep_certificate_pdfs
from infra import queueing
from reminders.models import Reminder
from reminders.registry import scan_all
from reminders.tasks import scan_reminders, sweep_unsent_reminders
from tests import lifecycle as lc

D = datetime.date


class HungRedis:
    """Accepts every connection and never answers."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(128)
        self.port = self.server.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.connections = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _addr = self.server.accept()
            except OSError:
                return  # closed
            self.connections.append(conn)

    def close(self):
        # Closing the accepted sockets ends any read still waiting on them (no timeout: EOF).
        self.server.close()
        for conn in self.connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()


@pytest.fixture
def hung():
    server = HungRedis()
    yield server
    server.close()


def settings_for(monkeypatch, **environ):
    """certbody.settings.base read again with ``environ`` (Django's settings untouched)."""
    from certbody.settings import base

    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    try:
        reloaded = importlib.reload(base)
        return {name: getattr(reloaded, name) for name in dir(reloaded) if name.isupper()}
    finally:
        for name in environ:
            monkeypatch.delenv(name)
        importlib.reload(base)


@contextlib.contextmanager
def broker_at(url: str, transport_options: dict, connection_timeout):
    """This process publishes to ``url`` (not eagerly) with the given broker settings."""
    conf = app.conf
    saved = {
        name: conf.get(name)
        for name in (
            "broker_write_url",
            "broker_transport_options",
            "broker_connection_timeout",
            "task_always_eager",
        )
    }
    pools = (app._pool, app.amqp._producer_pool)
    conf["broker_write_url"] = url
    conf["broker_transport_options"] = transport_options
    conf["broker_connection_timeout"] = connection_timeout
    conf["task_always_eager"] = False
    app._pool = app.amqp._producer_pool = None  # connect anew, to ``url``
    queueing.reset()
    try:
        yield
    finally:
        queueing.drain(timeout=10)
        for name, value in saved.items():
            conf[name] = value
        app._pool, app.amqp._producer_pool = pools
        queueing.reset()


def timed(fn, limit):
    """Run ``fn`` in a thread; (seconds it took or None if not within ``limit``, its result)."""
    box = {}

    def run():
        started = time.monotonic()
        box["result"] = fn()
        box["elapsed"] = time.monotonic() - started

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(limit)
    return box.get("elapsed"), box.get("result")


# -- the cache ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_public_pages_do_not_pay_the_cache_timeout_at_every_request(
    client, settings, hung, monkeypatch, caplog
):
    """Before: every request waited for the cache's socket timeout (1.0 s each; ~8 requests a
    second for a whole gunicorn). Now the first pays it and the cache is skipped for a few
    seconds (the rate limit counts in this process meanwhile)."""
    cache = settings_for(monkeypatch, CACHE_URL=hung.url)["CACHES"]["default"]
    assert cache["BACKEND"] == "infra.cache.RedisCache"
    settings.CACHES = {**settings.CACHES, "default": cache}
    settings.RATELIMIT_SYNC_INTERVAL = 0.1
    url = "/verify/"
    times = []
    with caplog.at_level(logging.WARNING, logger="infra.ratelimit"):
        for _ in range(8):
            started = time.monotonic()
            response = client.get(url, REMOTE_ADDR="203.0.113.7")
            times.append(time.monotonic() - started)
            assert response.status_code == 200
            time.sleep(0.15)  # past the batch interval: each request would ask the cache
    assert times[0] < 2, times  # the socket timeout, once
    assert max(times[1:]) < 0.3, times
    assert "Rate limit not counted" in caplog.text


# -- the broker: a decision's request ----------------------------------------------------------
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_decision_answers_promptly_when_the_broker_hangs(client, people, hung, monkeypatch):
    """Before: the scope reduction committed, then its request waited on the broker for ever
    (publishing the certificate PDF task). Now the request does not wait on the broker."""
    config = settings_for(monkeypatch, CELERY_BROKER_URL=hung.url)
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    client.force_login(people.decider)
    url = reverse("admin:certificates_certification_transition", args=[cert.pk, "reduce_scope"])
    with broker_at(
        hung.url,
        config.get("CELERY_BROKER_TRANSPORT_OPTIONS", {}),
        config.get("CELERY_BROKER_CONNECTION_TIMEOUT", 4),
    ):
        elapsed, response = timed(
            lambda: client.post(
                url,
                {
                    "on": "2025-06-01",
                    "reason": "Site closed",
                    "scope": "Reduced scope",
                    "revision": cert.revision,
                },
            ),
            limit=10,
        )
        assert elapsed is not None and elapsed < 3, f"the request took {elapsed} s (None: >10)"
        assert response.status_code == 302
        cert.refresh_from_db()
        assert cert.state == State.ACTIVE and cert.scope == "Reduced scope"
        newest = cert.certificates.order_by("-version").first()
        assert newest.version == 2
        # The page says the PDF is pending, and when the sweep renders it.
        page = client.get(response["Location"]).content.decode()
        assert "PDF pending" in page and "sweep" in page


# -- the broker down: nothing lost -------------------------------------------------------------
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_work_the_broker_did_not_take_is_done_by_the_sweep(people, hung, monkeypatch, caplog):
    """Before: a decision's PDF task that could not be published was only logged (the PDF
    waited for someone to download it), and reminders waited for the next day's send run."""
    config = settings_for(monkeypatch, CELERY_BROKER_URL=hung.url)
    with broker_at(
        hung.url,
        config.get("CELERY_BROKER_TRANSPORT_OPTIONS", {}),
        config.get("CELERY_BROKER_CONNECTION_TIMEOUT", 4),
    ):
        cert = lc.certified(people, decided_on=D(2025, 1, 15))  # grant: its PDF is queued
        scan_reminders(on="2026-01-16")  # the surveillance is overdue; sending is queued
        queueing.drain(timeout=10)
    certificate = cert.certificates.get()
    assert not certificate.pdf, "the PDF task reached no worker"
    assert Reminder.objects.unsent().count() >= 2
    assert mail.outbox == []

    # The broker is back; beat runs the sweeps (called directly here).
    assert sweep_certificate_pdfs() == {"pdfs": 1}
    certificate.refresh_from_db()
    assert certificate.pdf and certificate.pdf_generated_at
    result = sweep_unsent_reminders()
    assert Reminder.objects.unsent().count() == 0
    assert len(mail.outbox) == result["mails"] == 2

    # Nothing left: a second sweep does nothing.
    assert sweep_certificate_pdfs() == {"pdfs": 0}
    assert sweep_unsent_reminders() == {"mails": 0, "sent": 0, "failed": 0}


@pytest.mark.django_db
def test_the_sweep_leaves_failed_mail_to_the_daily_send_run(
    people, django_capture_on_commit_callbacks
):
    """A reminder whose mail failed stays for the daily send run (one attempt a day, as
    before); the sweep only sends reminders never tried."""
    with django_capture_on_commit_callbacks(execute=True):  # the PDF task runs (eagerly)
        cert = lc.certified(people, decided_on=D(2025, 1, 15))
    assert Certificate.objects.filter(certification=cert).exclude(pdf="").exists()
    scan_all(today=D(2026, 1, 16))
    Reminder.objects.update(attempts=1, last_error="SMTPServerDisconnected")
    assert sweep_certificate_pdfs() == {"pdfs": 0}
    assert sweep_unsent_reminders() == {"mails": 0, "sent": 0, "failed": 0}
    assert Reminder.objects.unsent().count() >= 2


# -- an import started while the broker hangs ---------------------------------------------------
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_import_started_while_the_broker_hangs_answers_and_says_it_failed(
    client, people, hung, monkeypatch, settings
):
    """Before: the upload's request published the import task after its commit, in the
    request thread, and waited for the broker's timeouts. Now it answers at once; the publisher
    thread gives up and marks the job failed, which its page then says."""
    from clients.models import ImportJob
    from tests.clients.test_import_admin import _upload
    from tests.clients.test_import_clients import csv_bytes, row

    settings.CERTBODY = {**settings.CERTBODY, "IMPORT_INLINE_MAX_BYTES": 10}  # to the worker
    config = settings_for(monkeypatch, CELERY_BROKER_URL=hung.url)
    client.force_login(people.staff)
    with broker_at(
        hung.url,
        config.get("CELERY_BROKER_TRANSPORT_OPTIONS", {}),
        config.get("CELERY_BROKER_CONNECTION_TIMEOUT", 4),
    ):
        elapsed, response = timed(
            lambda: _upload(client, csv_bytes([row(n) for n in range(1, 4)])), limit=10
        )
        assert elapsed is not None and elapsed < 0.9, f"the upload took {elapsed} s (None: >10)"
        assert response.status_code == 302
        assert queueing.drain(timeout=10)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    page = client.get(response["Location"]).content.decode()
    assert "The task queue is not available: try again later." in page
