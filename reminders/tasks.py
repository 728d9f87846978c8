"""Thin Celery adapters for the reminders: the daily scan (reminders/registry.py), the daily
send run (reminders/sending.py), and the sweep of reminders whose queued sending was lost
(infra/queueing.py). The date is the body's local date."""

import datetime
import logging

from celery import shared_task
from django.db import transaction

from core.dates import local_today
from reminders.registry import scan_all
from reminders.sending import send_due_reminders

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def scan_reminders(on: str | None = None) -> dict[str, int]:
    """Daily: write the reminders due ``on`` (default today) and queue sending after commit.
    Safe to run twice or concurrently."""
    day = datetime.date.fromisoformat(on) if on else local_today()
    created = scan_all(today=day).created
    transaction.on_commit(enqueue_send)
    return created


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def send_reminders() -> dict[str, int]:
    """Mail unsent reminders, one digest per recipient; failed sends are retried next run."""
    result = send_due_reminders(today=local_today())
    return {"mails": result.mails, "sent": result.sent, "failed": result.failed}


@shared_task
def sweep_unsent_reminders() -> dict[str, int]:
    """Every 10 minutes (beat): mail the reminders no send was tried for (their queued sending
    was lost); a mail that failed waits for the daily send run. Safe to run twice or beside
    the send run."""
    sent = send_due_reminders(today=local_today(), never_attempted=True)
    return {"mails": sent.mails, "sent": sent.sent, "failed": sent.failed}


def enqueue_send() -> None:
    """Queue the sender (a Celery task, not a request: it may wait the broker's short timeouts).
    The reminders are already committed: if the broker is down they wait for the next send run
    (the sweep, every 10 minutes, or the daily run) instead of being lost."""
    try:
        send_reminders.delay()
    except Exception as err:  # kombu raises OperationalError and others; none must escape
        logger.error(
            "Could not queue sending of reminders (broker unavailable?): %s. The reminders are "
            "saved and go out with the next send run.",
            err,
        )
