"""Thin Celery adapters for reminders (certbody/reminders.py). The date is the body's local
date."""

import datetime

from celery import shared_task

from certbody.dates import local_today


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def scan_reminders(on: str | None = None) -> dict[str, int]:
    """Daily: write the reminders due ``on`` (default today) and queue sending after commit.
    Safe to run twice or concurrently."""
    from certbody.reminders import scan_all

    day = datetime.date.fromisoformat(on) if on else local_today()
    return scan_all(today=day).created


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def send_reminders() -> dict[str, int]:
    """Mail unsent reminders, one digest per recipient; failed sends are retried next run."""
    from certbody.reminders import send_due_reminders

    result = send_due_reminders(today=local_today())
    return {"mails": result.mails, "sent": result.sent, "failed": result.failed}
