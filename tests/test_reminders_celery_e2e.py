"""Reminders end to end through Celery (issue 5, Tests): a real worker on the configured broker
(Redis in CI, the filesystem broker by default) and the test database (PostgreSQL in CI, a
SQLite file by default) runs the beat's daily scan, which writes the
reminders and queues the sending after commit; the worker then mails the digests (to files).
Run again, it writes and mails nothing. And a broker that is down loses no reminder.

A certification decided on 2025-01-15 has its first surveillance due on 2026-01-15; on
2026-01-16 it is overdue (grace 0): staff (manage) hear that it is overdue, the decision maker
(decide) of it or of its escalation. Two recipients, one mail each.
"""

import ast
import contextlib
import datetime
import email
import email.policy
import logging
import os
import re
import time

import pytest
from django.conf import settings
from django.core import mail
from django.utils import translation

from certbody.celery import app
from reminders.digests import kind_line
from reminders.models import Reminder, ReminderKind
from reminders.sending import send_due_reminders
from reminders.tasks import scan_reminders
from tests import lifecycle as lc
from tests.celery_worker import running_worker, wait_for, worker_log

D = datetime.date
GRANTED = D(2025, 1, 15)
DUE = D(2026, 1, 15)
OVERDUE_DAY = "2026-01-16"
TIMEOUT = 60  # seconds the worker gets for each step
SEPARATOR = b"\n" + b"-" * 79 + b"\n"  # after each message in a filebased backend's file


@pytest.fixture
def mail_dir(tmp_path):
    return tmp_path / "mail"


@pytest.fixture
def worker(tmp_path, mail_dir):
    with running_worker(
        tmp_path,
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        DJANGO_EMAIL_FILE_PATH=str(mail_dir),
    ) as (proc, log):
        yield proc, log


def _mail_files(folder):
    return sorted(folder.glob("*.log")) if folder.exists() else []


def _messages(files):
    """Every message the filebased backend wrote, parsed (bodies decoded)."""
    messages = []
    for path in files:
        for raw in path.read_bytes().split(SEPARATOR):
            if raw.strip():
                messages.append(email.message_from_bytes(raw, policy=email.policy.default))
    return messages


def _succeeded(log, task: str, *, after: int = 0, task_id: str = r"[^\]]+"):
    """The results of ``task`` the worker logged as succeeded after offset ``after`` of the
    log, with the offset just past each line."""
    pattern = re.compile(
        rf"Task {re.escape(task)}\[{task_id}\] succeeded in [\d.e-]+s: (.*)$", re.MULTILINE
    )
    text = worker_log(log)
    return [(ast.literal_eval(m.group(1)), m.end()) for m in pattern.finditer(text, after)]


def _flat(text: str) -> str:
    return " ".join(text.split())


def _written(scan: dict) -> dict:
    return {kind: n for kind, n in scan.items() if n}


def _scan_then_send(log, scan_id: str, *, after: int = 0):
    """Wait-predicate: the scan ``scan_id`` succeeded and, after it, the send it queued on
    commit. Returns (scan result, send result, log offset after the send)."""

    def check():
        scans = _succeeded(log, "reminders.tasks.scan_reminders", after=after, task_id=scan_id)
        if not scans:
            return None
        sends = _succeeded(log, "reminders.tasks.send_reminders", after=scans[0][1])
        if not sends:
            return None
        return scans[0][0], sends[0][0], sends[0][1]

    return check


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_scans_and_mails_each_reminder_once(people, worker, mail_dir):
    proc, log = worker
    cert = lc.certified(people, decided_on=GRANTED)
    assert cert.next_surveillance_due == DUE
    assert cert.certificate_number

    # What beat sends at 06:00 (by the task's name, through the broker), for the day after.
    task_name = app.conf.beat_schedule["scan-reminders-daily"]["task"]
    assert task_name == scan_reminders.name
    with app.connection_for_write() as conn:
        first = app.send_task(task_name, kwargs={"on": OVERDUE_DAY}, connection=conn)
    scan, send, offset = wait_for(
        _scan_then_send(log, first.id),
        proc=proc,
        log=log,
        timeout=TIMEOUT,
        what="the scan and the send it queues after commit",
    )
    # The rows: written by the scan, marked sent by the sender.
    # (Other kinds may be due that day too, e.g. the month's CertSearch upload: they go into
    # the same digests.)
    reminders = list(Reminder.objects.select_related("recipient", "content_type"))
    about_cert = [r for r in reminders if r.subject == cert]
    assert ReminderKind.SURVEILLANCE_OVERDUE in _written(scan)
    assert sum(scan.values()) == len(reminders)
    assert {r.due_date for r in about_cert} == {DUE}
    assert {r.recipient for r in about_cert} == {people.staff, people.decider}
    assert (ReminderKind.SURVEILLANCE_OVERDUE, people.staff) in {
        (r.kind, r.recipient) for r in about_cert
    }
    assert all(r.sent_at is not None and r.attempts == 1 for r in reminders)
    recipients = {r.recipient for r in reminders}
    assert send == {"mails": len(recipients), "sent": len(reminders), "failed": 0}
    sent_at = {r.pk: r.sent_at for r in reminders}

    # The mails: one digest per recipient, naming the certificate and what is due.
    files = _mail_files(mail_dir)  # written before the sender marked the rows sent
    messages = _messages(files)
    assert len(files) == len(messages) == len(recipients)  # one connection, one mail each
    assert sorted(str(m["To"]) for m in messages) == sorted(u.email for u in recipients)
    for message in messages:
        body = _flat(message.get_body(preferencelist=("plain",)).get_content())
        mine = [r for r in reminders if r.recipient.email == str(message["To"])]
        assert f"{len(mine)} deadline reminder" in str(message["Subject"])
        with translation.override(settings.LANGUAGE_CODE):  # the digest's language
            for reminder in mine:
                assert _flat(kind_line(reminder)) in body
        if any(r in about_cert for r in mine):
            assert cert.certificate_number in body
            assert f"/work/certifications/{cert.pk}/" in body  # links to it
    staff_mail = next(m for m in messages if str(m["To"]) == people.staff.email)
    assert "Surveillance was due by 2026-01-15" in _flat(staff_mail.get_content())

    # Again (a second beat run, a retry): nothing new is written, nothing is mailed again.
    with app.connection_for_write() as conn:
        second = scan_reminders.apply_async(kwargs={"on": OVERDUE_DAY}, connection=conn)
    scan, send, _ = wait_for(
        _scan_then_send(log, second.id, after=offset),
        proc=proc,
        log=log,
        timeout=TIMEOUT,
        what="the second scan and send",
    )
    assert sum(scan.values()) == 0
    assert send == {"mails": 0, "sent": 0, "failed": 0}
    time.sleep(0.5)  # a stray mail would be on disk by now (the send has finished)
    assert _mail_files(mail_dir) == files
    assert {r.pk: r.sent_at for r in Reminder.objects.all()} == sent_at
    assert "ERROR" not in worker_log(log), worker_log(log)[-4000:]


# -- the broker is down -------------------------------------------------------------------------
DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@contextlib.contextmanager
def dead_broker():
    """This process publishes to a broker that refuses connections (not eagerly)."""
    conf = app.conf
    # Publishing uses broker_write_url (the environment's CELERY_BROKER_URL wins over
    # conf.broker_url, not over a write URL set in the configuration).
    assert not os.environ.get("CELERY_BROKER_WRITE_URL")
    old = (
        conf.get("broker_write_url"),
        conf.broker_transport_options,
        conf.task_always_eager,
        app._pool,
        app.amqp._producer_pool,
    )
    conf["broker_write_url"] = DEAD_BROKER
    conf.broker_transport_options = {}
    conf.task_always_eager = False
    app._pool = app.amqp._producer_pool = None  # connect anew, to the dead broker
    try:
        assert app.connection_for_write().as_uri(include_password=True) == DEAD_BROKER
        yield
    finally:
        # The dead broker's pools stay in kombu's registry under its URL; nobody reuses them.
        (
            conf["broker_write_url"],
            conf.broker_transport_options,
            conf.task_always_eager,
            app._pool,
            app.amqp._producer_pool,
        ) = old


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_broker_down_logs_a_clear_line_and_loses_no_reminder(people, caplog):
    """The existing test in test_reminders.py replaces ``delay``; here the publish really
    fails, after the scan's transaction has committed."""
    cert = lc.certified(people, decided_on=GRANTED)
    caplog.set_level(logging.INFO, logger="reminders.tasks")
    with dead_broker():
        started = time.monotonic()
        created = scan_reminders(on=OVERDUE_DAY)  # the task's body: commits, then publishes
        elapsed = time.monotonic() - started
    assert created[ReminderKind.SURVEILLANCE_OVERDUE] >= 1
    total = sum(created.values())
    assert total == Reminder.objects.count() >= 2

    errors = [r for r in caplog.records if r.name == "reminders.tasks"]
    assert [r.levelno for r in errors] == [logging.ERROR]
    line = errors[0].getMessage()
    assert line.startswith("Could not queue sending of reminders (broker unavailable?): ")
    assert "127.0.0.1:1" in line and "Connection refused" in line
    assert line.endswith("The reminders are saved and go out with the next send run.")
    assert elapsed < 10, f"publishing to a dead broker took {elapsed:.1f} s"
    # Committed before the publish was tried, and still waiting to be sent.
    assert Reminder.objects.unsent().count() == total
    assert mail.outbox == []

    # The broker is back: the next send run (beat at 06:30, or manage.py send_reminders).
    sent = send_due_reminders(today=D(2026, 1, 16))
    assert (sent.mails, sent.sent, sent.failed) == (2, total, 0)
    assert sorted(m.to[0] for m in mail.outbox) == [people.decider.email, people.staff.email]
    assert all(cert.certificate_number in m.body for m in mail.outbox)
    assert Reminder.objects.unsent().count() == 0
