"""Stored certificate documents: render a version's PDF (certificates/pdf.py) into
Certificate.pdf.

Issuing a version renders it after commit (certificates/services/certificates.py,
certificate_issue, queues ``generate_certificate_pdf``), and re-renders the version it replaced
so that one carries the superseded mark. The task lives here, beside its work, not in tasks.py:
the services queue it, and tasks.py imports the services. Versions created
without the services (seed_demo's bulk path) get theirs from ``manage.py
generate_certificate_pdfs`` or on first download. The files live in MEDIA_ROOT but are never
served from MEDIA_URL: staff download them through the admin, which checks permissions.
"""

from celery import shared_task
from django.core.files.base import ContentFile
from django.db import OperationalError, transaction
from django.utils import timezone

from .models import PDF_PENDING, Certificate
from .pdf import render_certificate_pdf


def certificate_pdf_name(certificate) -> str:
    return f"{certificate.full_number}.pdf"


def certificate_pdf_missing(certificate) -> bool:
    """No PDF recorded, or the recorded file is gone from storage (e.g. media not restored)."""
    return not certificate.pdf or not certificate.pdf.storage.exists(certificate.pdf.name)


def _stored_bytes(certificate) -> bytes | None:
    if certificate_pdf_missing(certificate):
        return None
    with certificate.pdf.open("rb") as stored:
        return stored.read()


def certificate_store_pdf(certificate) -> bool:
    """Render the version's PDF and store it; True when a file was written.

    Safe to run twice, and concurrently: the row is locked while rendering, and rendering is
    deterministic, so when the stored file already has these bytes nothing is written.
    """
    with transaction.atomic():
        locked = (
            Certificate.objects.select_for_update(of=("self",))
            .select_related(
                "standard",
                "decision",
                "certification__client",
                "certification__application",
            )
            .get(pk=certificate.pk)
        )
        content = render_certificate_pdf(locked)
        written = _stored_bytes(locked) != content
        if written:
            _replace_file(locked, content)
        elif locked.pdf_generated_at is None:  # marked out of date, found current: say so
            locked.pdf_generated_at = timezone.now()
            locked.save(update_fields=["pdf_generated_at"])
    # The caller's instance names the stored file (someone else may have written it).
    certificate.pdf = locked.pdf.name
    certificate.pdf_generated_at = locked.pdf_generated_at
    return written


def _replace_file(locked, content: bytes) -> None:
    # Delete first so the new file gets the plain name (certificates/<year>/<full number>.pdf)
    # rather than a suffixed one. That name belongs to this version alone (numbers are unique),
    # so a file already there is a leftover, e.g. of a database restored without its media.
    # Should the save fail, the row names a deleted file, which certificate_pdf_missing()
    # reports, and the next download renders it again.
    storage = locked.pdf.storage
    name = certificate_pdf_name(locked)
    target = locked.pdf.field.generate_filename(locked, name)
    for old in {locked.pdf.name, target} - {"", None}:
        if storage.exists(old):
            storage.delete(old)
    locked.pdf.save(name, ContentFile(content), save=False)
    locked.pdf_generated_at = timezone.now()
    locked.save(update_fields=["pdf", "pdf_generated_at"])


# OperationalError: on SQLite (the default run) the web process or seed_demo may hold the write
# lock for longer than the 20 s timeout; retry later rather than leave the PDF to first download.
@shared_task(autoretry_for=(ConnectionError, OperationalError), retry_backoff=True, max_retries=5)
def generate_certificate_pdf(certificate_id: int) -> bool:
    """Render and store one certificate version's PDF (queued after commit by the issuing
    service). Safe to run twice: an unchanged PDF is not written again."""
    certificate = Certificate.objects.filter(pk=certificate_id).first()
    if certificate is None:
        return False  # rolled back or deleted meanwhile: nothing to render
    return certificate_store_pdf(certificate)


def swept_for_pdf():
    """The versions whose PDF the sweep renders (infra/queueing.py): missing, or out of date
    (no generation time: a superseded version before its mark is printed). Only versions issued
    through the services, which record the holder; those written without them (seed_demo's bulk
    path) are left to ``generate_certificate_pdfs`` or the first download."""
    return Certificate.objects.filter(PDF_PENDING)  # partial index certificate_pdf_pending


def certificate_pdf_pending(certificate) -> bool:
    """Its PDF is missing or out of date, and the sweep renders it (unless a worker or a
    download does first)."""
    return bool(certificate.holder) and (not certificate.pdf or not certificate.pdf_generated_at)


def render_missing_pdfs(*, limit: int) -> int:
    """Render the PDFs the task queue did not (a broker that was down, a task that failed for
    good): at most ``limit``, newest first (the ones staff are waiting for). Returns how many
    were rendered."""
    rendered = 0
    for pk in list(swept_for_pdf().order_by("-pk").values_list("pk", flat=True)[:limit]):
        certificate = swept_for_pdf().filter(pk=pk).first()
        if certificate is None:
            continue  # rendered meanwhile (the worker, a download)
        certificate_store_pdf(certificate)
        rendered += 1
    return rendered


def certificate_pdf_file(certificate):
    """The stored PDF, opened for reading; rendered and stored first if it is missing or out of
    date (a superseded version whose mark is not printed yet)."""
    if certificate_pdf_missing(certificate) or not certificate.pdf_generated_at:
        certificate_store_pdf(certificate)
    return certificate.pdf.open("rb")
