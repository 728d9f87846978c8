"""Thin Celery adapters: load, call a service, done. The date is the body's local date."""

from celery import shared_task
from django.db import OperationalError

from core.dates import local_today

from .services import expire_due_certifications


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def expire_certifications(on: str | None = None) -> int:
    """Daily: expire certifications whose expiry date has passed. Safe to run twice."""
    import datetime

    day = datetime.date.fromisoformat(on) if on else local_today()
    return expire_due_certifications(on=day)


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def export_certsearch_monthly(on: str | None = None) -> list[list]:
    """Monthly: write the IAF CertSearch export into CERTSEARCH_EXPORT_DIR/<YYYY-MM>/ and mail
    staff that it is ready to upload. Safe to run twice (the month's files are replaced)."""
    import datetime

    from .certsearch import certsearch_export_monthly

    day = datetime.date.fromisoformat(on) if on else local_today()
    return [[f.name, f.rows] for f in certsearch_export_monthly(on=day)]


# OperationalError: on SQLite (the default run) the web process or seed_demo may hold the write
# lock for longer than the 20 s timeout; retry later rather than leave the PDF to first download.
@shared_task(autoretry_for=(ConnectionError, OperationalError), retry_backoff=True, max_retries=5)
def generate_certificate_pdf(certificate_id: int) -> bool:
    """Render and store one certificate version's PDF (queued after commit by the issuing
    service). Safe to run twice: an unchanged PDF is not written again."""
    from .documents import certificate_store_pdf
    from .models import Certificate

    certificate = Certificate.objects.filter(pk=certificate_id).first()
    if certificate is None:
        return False  # rolled back or deleted meanwhile: nothing to render
    return certificate_store_pdf(certificate)
