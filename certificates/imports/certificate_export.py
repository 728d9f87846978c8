"""Export of existing certificates in the certificate import's own columns
(certificate_columns.py), as CSV or XLSX, so that an export imported again
changes nothing: every row is "unchanged" (the round trip).

One row per certification holding a certificate, in a state the import can take (Active,
Suspended, Withdrawn, Expired): applications, refused, rejected and reviewed certifications,
and one reapplied after a withdrawal (applied again), are skipped. Each row gives what the
import compares (certificate_import._Writer._differences):

- the certificate number as the import stores it: ``Certification.certificate_number``, the
  printed number without the version suffix of ``Certificate.full_number`` ("-V2"), which the
  import's number key would not find;
- the client's credit code and name, the standard as "code:edition", the scope;
- the original certification date, the issue date of the current cycle
  (:func:`certificate_import.cycle_issue_date`: the cycle start, or for a recertification
  decided before the old expiry the decision date printed on its certificate, as the import
  takes a recertified certificate's issue date) and the expiry date;
- the status in the import's vocabulary (有效/暂停/撤销/过期, or Active/Suspended/Withdrawn/Expired
  in English);
- the last audit date: the actual end of the latest closed audit of the current cycle (empty
  when none, e.g. an imported certificate); the next audit date: the next surveillance due
  (empty when none);
- the source: always 迁移 / Migrated. A certification certbody granted itself is, for another
  system (or certbody) reading this file, one migrated from this body's system; one imported as
  transferred from another body is the body's own certificate since, and is exported as
  migrated too (its history keeps the transfer; the import refuses a transfer of a certificate
  not Active anyway).

Streams: certifications are read CHUNK at a time with their client and standard joined and
their certificate versions and closed audits prefetched (three queries per chunk), and rows are
written as they come (XLSX in openpyxl's write-only mode).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch

from audits.models import Audit
from infra.tabular import ENCODINGS, FORMATS, write_table

from ..models import IMPORT_TARGETS, Certificate, CertificateStatus, Certification, State
from .certificate_columns import (
    CERTIFICATE_COLUMNS,
    MIGRATED,
    SOURCE_VALUES,
    STATUS_ENDINGS,
    STATUS_VALUES,
    value_key,
)
from .certificate_import import cycle_issue_date

# The formats offered (manage.py export_certificates): infra/tabular/export.py's.
__all__ = ["CHUNK", "ENCODINGS", "FORMATS", "export_certificates", "export_headers", "export_rows"]

CHUNK = 2000

# The status and source as the import reads them: (Chinese, English).
STATUS_LABELS = {
    State.ACTIVE: ("有效", "Active"),
    State.SUSPENDED: ("暂停", "Suspended"),
    State.WITHDRAWN: ("撤销", "Withdrawn"),
    State.EXPIRED: ("过期", "Expired"),
}
# A withdrawal at the client's request or on ceasing (its newest version Cancelled) reads back
# as one.
CANCELLED_LABELS = ("注销", "Cancelled")
SOURCE_LABELS = ("迁移", "Migrated")
# Fail at import if the words written here stop reading back as what they mean.
assert set(STATUS_LABELS) == set(IMPORT_TARGETS)
assert all(
    STATUS_VALUES[value_key(label)] == state
    for state, labels in STATUS_LABELS.items()
    for label in labels
)
assert all(
    STATUS_VALUES[value_key(label)] == State.WITHDRAWN and value_key(label) in STATUS_ENDINGS
    for label in CANCELLED_LABELS
)
assert all(SOURCE_VALUES[value_key(label)] == MIGRATED for label in SOURCE_LABELS)


def export_headers(language: str = "zh") -> list[str]:
    chinese = language.startswith("zh")
    return [c.label_zh if chinese else c.label_en for c in CERTIFICATE_COLUMNS.values()]


def _status_labels(cert: Certification, versions) -> tuple[str, str]:
    """(Chinese, English) status of a certification: a cancelled one (its newest version
    Cancelled) as 注销, so the import does not read it back as a withdrawal."""
    if cert.state == State.WITHDRAWN and versions[0].status == CertificateStatus.CANCELLED:
        return CANCELLED_LABELS
    return STATUS_LABELS[cert.state]


def _row(cert: Certification, chinese: bool) -> list:
    versions = list(cert.certificates.all())
    audits = [a for a in cert.closed_audits if a.cycle == cert.cycle]
    standard = cert.standard
    pick = 0 if chinese else 1
    values = {
        "certificate_number": cert.certificate_number,
        "registration_id": cert.client.registration_id,
        "legal_name": cert.client.legal_name,
        "standard": f"{standard.code}:{standard.edition}",
        "scope": cert.scope,
        "original_certification_date": cert.original_certification_date,
        "issue_date": cycle_issue_date(cert, versions),
        "expiry_date": cert.expiry_date,
        "status": _status_labels(cert, versions)[pick],
        "last_audit_date": audits[0].actual_end if audits else None,
        "next_audit_date": cert.next_surveillance_due,
        "source": SOURCE_LABELS[pick],
    }
    return [values[name] for name in CERTIFICATE_COLUMNS]


def export_rows(queryset=None, language: str = "zh"):
    """Rows of the export, streamed: a fixed number of queries per CHUNK certifications."""
    queryset = queryset if queryset is not None else Certification.objects.all()
    queryset = (
        queryset.filter(state__in=IMPORT_TARGETS)
        .exclude(certificate_number="")
        .filter(Exists(Certificate.objects.filter(certification=OuterRef("pk"))))
        .select_related("client", "standard")
        .prefetch_related(
            Prefetch(
                "certificates",
                queryset=Certificate.objects.only(
                    "pk", "certification_id", "version", "effective_date", "expiry_date", "status"
                ).order_by("-version"),
            ),
            Prefetch(
                "audits",
                queryset=Audit.objects.closed()
                .filter(actual_end__isnull=False)
                .only("pk", "certification_id", "cycle", "actual_end")
                .order_by("-actual_end", "-pk"),
                to_attr="closed_audits",
            ),
        )
        .order_by("pk")
    )
    chinese = language.startswith("zh")
    for cert in queryset.iterator(chunk_size=CHUNK):
        yield _row(cert, chinese)


def export_certificates(
    out, *, format: str = "csv", encoding: str = "utf-8-sig", language: str = "zh", queryset=None
) -> int:
    """Write the export to ``out`` (a path or a binary file object); returns the rows written.
    ``queryset``: the certifications to export (default: all); those without a certificate
    the import could take are skipped."""
    return write_table(
        out,
        headers=export_headers(language),
        rows=export_rows(queryset, language),
        format=format,
        encoding=encoding,
        sheet_name="certificates",
    )
