"""Issuing certificate versions: the number, the version row, the PDF after commit, and the
status the versions take when the certification is suspended, withdrawn or expires.

``certificate_build`` is the one place a Certificate row is put together: the issuing services
save it one at a time, seed_demo's bulk path (demo/bulk.py) bulk-creates many.
"""

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.notes import Note
from core.policy import policy
from infra.queueing import enqueue_after_commit

from ..bulk import certifications_log
from ..documents import generate_certificate_pdf
from ..errors import CertificationError
from ..models import Certificate, CertificateStatus, Certification, Decision, holder_of, number_key
from .common import certification_touch

# The history row of a recorded Statement of Applicability version (no transition has it).
RECORD_SOA_VERSION = "record_soa_version"
NOTE_SOA_VERSION = Note(_("Statement of Applicability version recorded: %(version)s"))
MSG_SOA_NOT_FOR_STANDARD = _(
    "%(standard)s certificates give no Statement of Applicability version: none is recorded. "
    "(A standard whose scope names it is marked so in the admin: Clients, Standards.)"
)


def certificate_number_for(certification: Certification) -> str:
    """The certificate number a certification prints, e.g. CB-ITSM-000042 (its pk, so once
    saved). Reads ``certification.standard``: a bulk writer sets it (not only standard_id) to
    spare a query per row."""
    prefix = policy("CERTIFICATE_NUMBER_PREFIX")
    return f"{prefix}-{certification.standard.certificate_code}-{certification.pk:06d}"


def certificate_build(
    certification: Certification,
    *,
    decision: Decision,
    on: datetime.date,
    version: int = 1,
    status: str = CertificateStatus.CURRENT,
    gap_from: datetime.date | None = None,
    gap_to: datetime.date | None = None,
    holder: dict | None = None,
) -> Certificate:
    """The unsaved certificate version ``decision`` issues on ``on``, printing the
    certification as it now stands (its number, standard, scope and dates). ``number_key`` is
    set here, as bulk_create skips save(). ``holder``: the holder as printed
    (``holder_of(certification)``); None records none, so the version prints the current data
    and the PDF sweep leaves it alone (the bulk path)."""
    number = certification.certificate_number
    expiry, original = certification.expiry_date, certification.original_certification_date
    # Set by the transition that issues (grant, recertify, ...) or by the bulk writer.
    assert expiry is not None and original is not None, "a certificate needs the cycle's dates"
    return Certificate(
        certification=certification,
        number=number,
        number_key=number_key(number),
        version=version,
        standard=certification.standard,
        scope=certification.scope,
        effective_date=on,
        expiry_date=expiry,
        original_certification_date=original,
        status=status,
        decision=decision,
        gap_from=gap_from,
        gap_to=gap_to,
        # ISO/IEC 27001: the SoA version the scope rests on, as it is at issue.
        soa_version=certification.soa_version,
        holder=holder if holder is not None else {},
    )


# The versions a new one replaces (marked superseded): the valid ones. Withdrawn, cancelled
# and expired versions ended on their own and keep their status (a grant after a withdrawal, or
# after an expiry that was not restored, starts anew), but for the expired version a
# restoration after expiry restores: that one the new version replaces.
REPLACED = (CertificateStatus.CURRENT, CertificateStatus.SUSPENDED)


def certificate_issue(
    cert, decision, *, on, gap_from=None, gap_to=None, restores_expired=False
) -> Certificate:
    """A new certificate version; the one it replaces is kept, marked superseded.
    ``restores_expired``: a restoration after expiry, which replaces the expired version."""
    if not cert.certificate_number:
        cert.certificate_number = certificate_number_for(cert)
        cert.save(update_fields=["certificate_number"])
    previous = cert.certificates.order_by("-version").first()
    replaced = Q(status__in=REPLACED)
    if restores_expired and previous is not None:
        replaced |= Q(pk=previous.pk, status=CertificateStatus.EXPIRED)
    # No generation time: its PDF lacks the superseded mark until re-rendered (the sweep,
    # certificates.tasks.sweep_certificate_pdfs, renders it if the queued task is lost).
    cert.certificates.filter(replaced).update(
        status=CertificateStatus.SUPERSEDED, pdf_generated_at=None
    )
    certificate = certificate_build(
        cert,
        decision=decision,
        on=on,
        version=(previous.version + 1) if previous else 1,
        gap_from=gap_from,
        gap_to=gap_to,
        holder=holder_of(cert),
    )
    certificate.save(force_insert=True)
    certificate_render_pdfs_after_commit(certificate, previous)
    return certificate


def certificate_render_pdfs_after_commit(*certificates):
    """Queue the PDFs once the decision is committed: the new version, and the one it replaced
    (re-rendered with its superseded mark; unchanged bytes are not rewritten). The request does
    not wait on the broker (infra/queueing.py); a PDF whose task was lost is rendered by the
    sweep (every 10 minutes) or on first download."""
    for certificate in certificates:
        if certificate is not None:
            enqueue_after_commit(generate_certificate_pdf, certificate.pk)


def certificates_set_status(cert, status):
    """The certification's current (or suspended) versions take ``status``."""
    cert.certificates.filter(
        status__in=[CertificateStatus.CURRENT, CertificateStatus.SUSPENDED]
    ).update(status=status)


def certification_record_soa_version(*, certification, soa_version: str, by) -> Certification:
    """Record the version of the client's Statement of Applicability the scope rests on
    (ISO/IEC 27001, Standard.requires_soa): the next certificate version prints it, and the
    decisions that issue one wait for it (certificates/rules.py, soa_version_recorded).
    Versions already issued keep the one they printed. Not a transition, but a change like any
    other: the revision is bumped and a history row says who recorded which version."""
    soa_version = soa_version.strip()
    if soa_version and not certification.standard.requires_soa:
        raise CertificationError(MSG_SOA_NOT_FOR_STANDARD % {"standard": certification.standard})
    stored = Certification.objects.values_list("soa_version", flat=True).get(pk=certification.pk)
    if stored == soa_version:  # nothing to record: no revision, no history row
        return certification
    with transaction.atomic():
        cert = certification_touch(
            certification, by=by, permission="certificates.manage_certification"
        )
        cert.soa_version = soa_version
        cert.save(update_fields=["soa_version"])
        certifications_log(
            [cert],
            transition=RECORD_SOA_VERSION,
            by=by,
            description=NOTE_SOA_VERSION.text(version=cert.soa_version or "-"),
        )
    return cert
