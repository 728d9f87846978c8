"""Thin Celery adapters for reminders (reminders/services.py) and the sweep of work the task
queue did not take (infra/queueing.py). The date is the body's local date."""

import datetime

from celery import shared_task

from core.dates import local_today


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def scan_reminders(on: str | None = None) -> dict[str, int]:
    """Daily: write the reminders due ``on`` (default today) and queue sending after commit.
    Safe to run twice or concurrently."""
    from reminders.services import scan_all

    day = datetime.date.fromisoformat(on) if on else local_today()
    return scan_all(today=day).created


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def send_reminders() -> dict[str, int]:
    """Mail unsent reminders, one digest per recipient; failed sends are retried next run."""
    from reminders.services import send_due_reminders

    result = send_due_reminders(today=local_today())
    return {"mails": result.mails, "sent": result.sent, "failed": result.failed}


@shared_task
def sweep_unqueued() -> dict[str, int]:
    """Every 10 minutes (beat): do what a lost task would have done. Render the certificate PDFs
    still missing or out of date (at most QUEUEING_SWEEP_MAX_PDFS a run, newest first) and mail
    the reminders no send was tried for; a mail that failed waits for the daily send run. Safe
    to run twice or beside the tasks it stands in for."""
    from django.conf import settings

    from certificates.documents import render_missing_pdfs
    from reminders.services import send_due_reminders

    pdfs = render_missing_pdfs(limit=getattr(settings, "QUEUEING_SWEEP_MAX_PDFS", 200))
    sent = send_due_reminders(today=local_today(), never_attempted=True)
    return {"pdfs": pdfs, "mails": sent.mails, "sent": sent.sent, "failed": sent.failed}
