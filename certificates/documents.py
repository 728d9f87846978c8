"""Stored certificate documents: render a version's PDF (certificates/pdf.py) into
Certificate.pdf.

Issuing a version renders it after commit (certificates/services.py, _issue_certificate), and
re-renders the version it replaced so that one carries the superseded mark. Versions created
without the services (seed_demo's bulk path) get theirs from ``manage.py
generate_certificate_pdfs`` or on first download. The files live in MEDIA_ROOT but are never
served from MEDIA_URL: staff download them through the admin, which checks permissions.
"""

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from .models import Certificate
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
                "certification__client",
                "certification__application",
            )
            .get(pk=certificate.pk)
        )
        content = render_certificate_pdf(locked)
        written = _stored_bytes(locked) != content
        if written:
            _replace_file(locked, content)
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


def certificate_pdf_file(certificate):
    """The stored PDF, opened for reading; rendered and stored first if it is missing."""
    if certificate_pdf_missing(certificate):
        certificate_store_pdf(certificate)
    return certificate.pdf.open("rb")
