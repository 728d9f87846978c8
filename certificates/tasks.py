"""Thin Celery adapters: load, call a service, done. The date is the body's local date. (The
certificate PDF task is beside its work, certificates/documents.py.)"""

import datetime

from celery import shared_task
from django.conf import settings

from core.dates import local_today

from .certsearch_delivery import certsearch_export_monthly
from .documents import render_missing_pdfs
from .services import expire_due_certifications


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def expire_certifications(on: str | None = None) -> int:
    """Daily: expire certifications whose expiry date has passed. Safe to run twice."""
    day = datetime.date.fromisoformat(on) if on else local_today()
    return expire_due_certifications(on=day)


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def export_certsearch_monthly(on: str | None = None) -> list[list]:
    """Monthly: write the IAF CertSearch export into CERTSEARCH_EXPORT_DIR/<YYYY-MM>/ and mail
    staff that it is ready to upload. Safe to run twice (the month's files are replaced)."""
    day = datetime.date.fromisoformat(on) if on else local_today()
    return [[f.name, f.rows] for f in certsearch_export_monthly(on=day)]


@shared_task
def sweep_certificate_pdfs() -> dict[str, int]:
    """Every 10 minutes (beat): render the certificate PDFs a lost task would have rendered
    (infra/queueing.py), still missing or out of date: at most QUEUEING_SWEEP_MAX_PDFS a run,
    newest first. Staff are told when it runs next ("the sweep at 14:30 renders it"). Safe to
    run twice or beside the tasks it stands in for."""
    return {"pdfs": render_missing_pdfs(limit=getattr(settings, "QUEUEING_SWEEP_MAX_PDFS", 200))}
