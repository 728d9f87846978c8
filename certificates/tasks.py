"""Thin Celery adapters: load, call a service, done. The date is the body's local date."""

from celery import shared_task

from certbody.dates import local_today

from .services import expire_due_certifications


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def expire_certifications(on: str | None = None) -> int:
    """Daily: expire certifications whose expiry date has passed. Safe to run twice."""
    import datetime

    day = datetime.date.fromisoformat(on) if on else local_today()
    return expire_due_certifications(on=day)
