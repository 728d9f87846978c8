"""Import of existing certificates: a body migrating to certbody from its previous system, or
certificates transferred from another body (IAF MD 2). Columns: certificate_columns.py.

Shape (as clients/imports/client_import.py): one pass over the file, CHUNK rows at a time, in
one transaction; every problem reported with its row, column, value and why; any row error or
a dry run rolls everything back.

1. each row is cleaned in plain Python: required values, dates, status and source, and the
   lifecycle's date rules (``Certification.import_problems``: expiry after issue, a cycle of
   at most CYCLE_YEARS, original date not after issue, an "Active" certificate not past its
   expiry, a transfer only of an Active certificate, the next audit within the cycle);
2. per chunk, three queries load the clients (by credit code, which must already exist:
   import the client list first), the certifications already holding the chunk's numbers and
   those of the chunk's clients to its standards;
3. each new certificate then goes through the lifecycle, one transition per row
   (certificates.services.certification_import_existing: the ``import_existing`` transition
   with its rules, the StateLog saying it was imported, the decision and certificate version 1).
   That costs a constant handful of queries per row, not a bulk insert: the state machine is
   never bypassed.

The certificate number is the stable key (compared as the public lookup does: case, spaces,
dashes and full-width characters ignored). A number already in certbody with every imported
value equal is "unchanged", so importing a file twice changes nothing; with any value
different it is a row error, never an overwrite (the lifecycle moves on in the admin).
A client's open application for the standard ("applied", no certificate yet, e.g. from a
client list with a standard) is taken into the lifecycle by its certificate; any other
certification of that client to that standard is a row error (one per client and standard).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clients.imports.standards import MSG_UNKNOWN_STANDARD, StandardLookup
from clients.models import Client
from clients.validators import normalise_uscc
from core.dates import local_today
from core.errors import DomainError
from core.policy import policy
from infra.tabular import (
    MSG_EXTRA_VALUES,
    MSG_REQUIRED,
    MSG_TOO_LONG,
    ImportFileError,
    ImportReport,
    Rollback,
    RowError,
    check_headers,
    header_key,
    normalise_text,
    open_table,
    parse_date,
    stream_chunks,
)

from ..errors import CertificationError
from ..models import Certificate, Certification, State, number_key
from ..services import certification_import_existing
from .certificate_columns import (
    CERTIFICATE_COLUMNS,
    SOURCE_HELP,
    SOURCE_VALUES,
    STATUS_ENDINGS,
    STATUS_HELP,
    STATUS_VALUES,
    TRANSFERRED,
    value_key,
)

# Rows per chunk: three queries preload a chunk; each row is then a transition of its own
# (~9 queries), so a smaller chunk than the client import's keeps the progress bar moving.
CHUNK = 500

MSG_NO_PERMISSION = gettext_lazy("You do not have permission to import certificates.")
MSG_STATUS = gettext_lazy("unknown status: %(help)s")
MSG_SOURCE = gettext_lazy("unknown source: %(help)s")
MSG_DUPLICATE_NUMBER = gettext_lazy(
    "the same certificate number as row %(row)d: each certificate once per file"
)
MSG_DUPLICATE_CERTIFICATION = gettext_lazy(
    "the same client and standard as row %(row)d: a client holds one certification per standard"
)
MSG_UNKNOWN_CLIENT = gettext_lazy(
    "no client with this credit code in certbody: import the client list first"
)
MSG_NAME_MISMATCH = gettext_lazy(
    "the client with this credit code is “%(name)s”: check the code (or leave the company "
    "name empty)"
)
MSG_EXISTS_DIFFERENT = gettext_lazy(
    "this certificate is already in certbody, in state “%(state)s”, with other values "
    "(%(fields)s); change it in the admin"
)
MSG_CLIENT_HAS_CERTIFICATION = gettext_lazy(
    "%(client)s already has a certification to %(standard)s (state “%(state)s”, certificate "
    "%(number)s): a client holds one certification per standard"
)
MSG_LAST_AUDIT_FUTURE = gettext_lazy("in the future")
MSG_NO_NUMBER = gettext_lazy("no certificate yet")


@dataclass
class CertificateImportReport(ImportReport):
    """What a certificate import did, or in a dry run would do. ``created``: certificates
    brought into the lifecycle; ``unchanged``: already in certbody exactly so."""

    by_state: dict[str, int] = field(default_factory=dict)
    transferred: int = 0

    def summary(self) -> str:
        states = ", ".join(
            f"{State(name).label}: {count}" for name, count in sorted(self.by_state.items())
        )
        return _(
            "%(total)d rows: %(created)d certificates to import (%(states)s; %(transferred)d "
            "transferred from another body), %(unchanged)d already in certbody unchanged."
        ) % {
            "total": self.total,
            "created": self.created,
            "states": states or "-",
            "transferred": self.transferred,
            "unchanged": self.unchanged,
        }


@dataclass
class CertificateRow:
    row: int
    number: str
    key: str  # number_key(number): how the public lookup compares numbers
    registration_id: str
    legal_name: str
    standard: object  # clients.models.Standard
    scope: str
    original_on: datetime.date | None
    issued_on: datetime.date
    expiry_date: datetime.date
    status: str  # a certificates.models.State value
    last_audit_on: datetime.date | None
    next_due: datetime.date | None
    transferred: bool
    ending: str = ""  # a certificates.models.Ending for a withdrawn status ("" = withdrawn)


# -- cleaning ----------------------------------------------------------------------------------
def _same_name(name: str, client) -> bool:
    """Loosely the client's name (Chinese or English): equal, or one containing the other
    (a short name, or one with a qualifier in brackets), ignoring case, spaces and
    punctuation. Only meant to catch a credit code pointing at another client."""
    key = header_key(name)  # letters, digits and Chinese characters, case-folded
    for known in (client.legal_name, client.english_name):
        other = header_key(known or "")
        if other and (
            key == other or (min(len(key), len(other)) >= 2 and (key in other or other in key))
        ):
            return True
    return False


def _clean_row(row, values, columns, labels, report, standards, *, width, on):
    """A CertificateRow, or None with the row's errors added to ``report``."""
    before = report.error_count
    f = columns.fields

    def raw(name):
        index = f.get(name)
        return values[index] if index is not None and index < len(values) else ""

    def text(name, *, required=False, max_length=None):
        value = normalise_text(raw(name))
        if required and not value:
            report.add_error(RowError(row, labels[name], "", str(MSG_REQUIRED)))
            return None
        if max_length and len(value) > max_length:
            report.add_error(
                RowError(
                    row, labels[name], value[:40] + "…", str(MSG_TOO_LONG % {"max": max_length})
                )
            )
            return None
        return value

    def day(name, *, required=False):
        value = raw(name)
        if value in ("", None) or (isinstance(value, str) and not value.strip()):
            if required:
                report.add_error(RowError(row, labels[name], "", str(MSG_REQUIRED)))
            return None
        try:
            return parse_date(value)
        except ValueError as err:
            report.add_error(RowError(row, labels[name], normalise_text(value), str(err)))
            return None

    number = text("certificate_number", required=True, max_length=40)
    if number and not number_key(number):
        report.add_error(RowError(row, labels["certificate_number"], number, str(MSG_REQUIRED)))
        number = None
    registration_id = text("registration_id", required=True, max_length=64)
    legal_name = text("legal_name") or ""
    standard = None
    standard_text = text("standard", required=True)
    if standard_text:
        standard = standards.get(standard_text)
        if standard is None:
            report.add_error(
                RowError(
                    row,
                    labels["standard"],
                    standard_text,
                    str(MSG_UNKNOWN_STANDARD % {"known": standards.known}),
                )
            )
    scope = text("scope", required=True)
    original_on = day("original_certification_date")
    issued_on = day("issue_date", required=True)
    expiry_date = day("expiry_date", required=True)
    last_audit_on = day("last_audit_date")
    next_due = day("next_audit_date")
    status, ending = None, ""
    status_text = text("status", required=True)
    if status_text:
        status = STATUS_VALUES.get(value_key(status_text))
        ending = STATUS_ENDINGS.get(value_key(status_text), "")
        if status is None:
            report.add_error(
                RowError(
                    row, labels["status"], status_text, str(MSG_STATUS % {"help": STATUS_HELP})
                )
            )
    source_text = text("source")
    source = SOURCE_VALUES.get(value_key(source_text)) if source_text else None
    if source_text and source is None:
        report.add_error(
            RowError(row, labels["source"], source_text, str(MSG_SOURCE % {"help": SOURCE_HELP}))
        )
    if last_audit_on is not None and last_audit_on > on:
        report.add_error(
            RowError(
                row,
                labels["last_audit_date"],
                last_audit_on.isoformat(),
                str(MSG_LAST_AUDIT_FUTURE),
            )
        )
    if status and issued_on and expiry_date:
        problems = Certification.import_problems(
            target=status,
            issued_on=issued_on,
            expiry_date=expiry_date,
            original_on=original_on,
            next_due=next_due,
            transferred=source == TRANSFERRED,
            on=on,
        )
        shown = {
            "status": status_text,
            "issue_date": issued_on,
            "expiry_date": expiry_date,
            "original_certification_date": original_on,
            "next_audit_date": next_due,
        }
        for name, message in problems:
            value = shown[name]
            value = value.isoformat() if isinstance(value, datetime.date) else value
            report.add_error(RowError(row, labels[name], value or "", message))
    if len(values) > width and any(v not in ("", None) for v in values[width:]):
        report.add_error(RowError(row, "", "", str(MSG_EXTRA_VALUES)))
    if report.error_count > before:
        return None
    return CertificateRow(
        row=row,
        number=number,
        key=number_key(number),
        registration_id=registration_id,
        legal_name=legal_name,
        standard=standard,
        scope=scope,
        original_on=original_on,
        issued_on=issued_on,
        expiry_date=expiry_date,
        status=status,
        last_audit_on=last_audit_on,
        next_due=next_due,
        transferred=source == TRANSFERRED,
        ending=ending,
    )


def _client_keys(registration_id: str) -> tuple[str, str]:
    """The keys a client may be stored under: the USCC normalised (China), or the id as
    written upper-cased (other countries; see clients.imports.cleaning.client_key)."""
    return normalise_uscc(registration_id), normalise_text(registration_id).upper()


def cycle_issue_date(cert: Certification, versions) -> datetime.date | None:
    """The issue date of ``cert``'s current cycle as a certificate file gives it (and the
    export writes it): the cycle start, or, when the cycle's first certificate version was
    issued before it, that version's date. A recertification decided before the old expiry
    issues the new certificate that day while the cycle runs from the old expiry; the import
    takes such a certificate's issue date as the decision date (and allows its longer cycle),
    and refuses an issue date in the future, so the cycle start cannot stand for it.
    ``versions``: the certification's certificate versions."""
    issued = [v.effective_date for v in versions if v.expiry_date == cert.expiry_date]
    dates = [d for d in (cert.cycle_start, *issued) if d is not None]
    return min(dates) if dates else None


# -- writing -----------------------------------------------------------------------------------
class _Writer:
    """Checks one chunk of clean rows against the database (three queries) and brings each new
    certificate in through the lifecycle service."""

    def __init__(self, report, labels, *, on, by):
        self.report, self.labels, self.on, self.by = report, labels, on, by
        self.pairs: dict[tuple[int, int], int] = {}  # (client, standard) -> first row

    def error(self, r: CertificateRow, name: str, value, message) -> None:
        self.report.add_error(RowError(r.row, self.labels[name], value or "", str(message)))

    def write(self, rows: list[CertificateRow]) -> None:
        keys = {k for r in rows for k in _client_keys(r.registration_id)}
        clients = {c.registration_id: c for c in Client.objects.filter(registration_id__in=keys)}
        by_number: dict[str, Certification] = {}
        self.versions: dict[int, list[Certificate]] = {}  # certification -> its versions
        for c in (
            Certificate.objects.filter(number_key__in=[r.key for r in rows])
            .select_related("certification")
            .order_by("version")
        ):
            by_number[c.number_key] = c.certification
            self.versions.setdefault(c.certification_id, []).append(c)
        by_pair = {
            (c.client_id, c.standard_id): c
            for c in Certification.objects.filter(
                client_id__in=[c.pk for c in clients.values()],
                standard_id__in={r.standard.pk for r in rows},
            )
        }
        for r in rows:
            client = next(
                (clients[k] for k in _client_keys(r.registration_id) if k in clients), None
            )
            if client is None:
                self.error(r, "registration_id", r.registration_id, MSG_UNKNOWN_CLIENT)
                continue
            if r.legal_name and not _same_name(r.legal_name, client):
                self.error(
                    r, "legal_name", r.legal_name, MSG_NAME_MISMATCH % {"name": client.legal_name}
                )
                continue
            existing = by_number.get(r.key)
            if existing is not None:
                different = self._differences(existing, r, client)
                if different:
                    self.error(
                        r,
                        "certificate_number",
                        r.number,
                        MSG_EXISTS_DIFFERENT
                        % {"state": existing.get_state_display(), "fields": ", ".join(different)},
                    )
                else:
                    self.report.unchanged += 1
                continue
            pair = (client.pk, r.standard.pk)
            first = self.pairs.setdefault(pair, r.row)
            if first != r.row:
                self.error(
                    r, "standard", str(r.standard), MSG_DUPLICATE_CERTIFICATION % {"row": first}
                )
                continue
            certification = by_pair.get(pair)
            if certification is not None and not (
                certification.state == State.APPLIED and not certification.certificate_number
            ):
                self.error(
                    r,
                    "standard",
                    str(r.standard),
                    MSG_CLIENT_HAS_CERTIFICATION
                    % {
                        "client": client.legal_name,
                        "standard": r.standard,
                        "state": certification.get_state_display(),
                        "number": certification.certificate_number or MSG_NO_NUMBER,
                    },
                )
                continue
            try:
                certification_import_existing(
                    client=client,
                    standard=r.standard,
                    number=r.number,
                    scope=r.scope,
                    issued_on=r.issued_on,
                    expiry_date=r.expiry_date,
                    status=r.status,
                    original_on=r.original_on,
                    last_audit_on=r.last_audit_on,
                    next_due=r.next_due,
                    transferred=r.transferred,
                    ending=r.ending,
                    certification=certification,
                    by=self.by,
                    on=self.on,
                )
            except CertificationError as err:  # the rules checked above, checked again
                for message in err.messages:
                    self.report.add_error(RowError(r.row, "", "", str(message)))
                continue
            self.report.created += 1
            self.report.by_state[r.status] = self.report.by_state.get(r.status, 0) + 1
            self.report.transferred += r.transferred

    def _differences(self, cert: Certification, r: CertificateRow, client) -> list[str]:
        """Labels of the imported values that differ from what certbody holds."""
        labels = self.labels
        checks = [
            ("registration_id", cert.client_id == client.pk),
            ("standard", cert.standard_id == r.standard.pk),
            ("certificate_number", cert.certificate_number == r.number),
            ("scope", normalise_text(cert.scope) == r.scope),
            (
                "issue_date",
                r.issued_on
                in (cert.cycle_start, cycle_issue_date(cert, self.versions.get(cert.pk, []))),
            ),
            ("expiry_date", cert.expiry_date == r.expiry_date),
            (
                "original_certification_date",
                cert.original_certification_date == (r.original_on or r.issued_on),
            ),
            ("status", cert.state == r.status),
            (
                "next_audit_date",
                r.next_due is None
                or r.status not in (State.ACTIVE, State.SUSPENDED)
                or cert.next_surveillance_due == r.next_due,
            ),
        ]
        return [labels[name] for name, same in checks if not same]


# -- the import --------------------------------------------------------------------------------
def import_certificates(
    source,
    *,
    encoding: str | None = None,
    dry_run: bool = False,
    on: datetime.date | None = None,
    by=None,
    progress: Callable[[int, int | None], None] | None = None,
) -> CertificateImportReport:
    """Import existing certificates (CSV or XLSX, path or file object) into their lifecycle
    states. Nothing is written unless every row is valid and ``dry_run`` is false. ``on``: the
    import date the rules judge by (default: today); ``by``: the importing user (None: the
    system, e.g. the management command). ``progress(rows done, total or None)`` is called
    after each chunk. File-level problems end up in ``report.file_error``."""
    report = CertificateImportReport(dry_run=dry_run)
    if by is not None and not by.has_perm("certificates.decide_certification"):
        report.file_error = [str(MSG_NO_PERMISSION)]
        return report
    on = on or local_today()
    try:
        table = open_table(source, encoding=encoding, max_bytes=policy("IMPORT_MAX_BYTES"))
    except ImportFileError as err:
        report.file_error = list(err.messages)
        return report
    with table:
        report.format, report.encoding = table.format, table.encoding
        checked = check_headers(table, CERTIFICATE_COLUMNS, report)
        if checked is None:
            return report
        columns, labels = checked
        standards = StandardLookup()
        writer = _Writer(report, labels, on=on, by=by)
        try:
            with transaction.atomic():
                stream_chunks(
                    table,
                    report,
                    clean=lambda row, values: _clean_row(
                        row,
                        values,
                        columns,
                        labels,
                        report,
                        standards,
                        width=len(table.headers),
                        on=on,
                    ),
                    duplicate=lambda row, item, first: RowError(
                        row,
                        labels["certificate_number"],
                        item.number,
                        str(MSG_DUPLICATE_NUMBER % {"row": first}),
                    ),
                    write=writer.write,
                    progress=progress,
                    size=CHUNK,
                )
                if dry_run or report.error_count:
                    raise Rollback
        except Rollback:
            pass
        except ImportFileError as err:  # found mid-stream (bad bytes, a formula)
            report.file_error = list(err.messages)
            return report
        except DomainError as err:  # e.g. a concurrent edit of a certification being imported
            report.file_error = [str(m) for m in err.messages]
            return report
    # Rows checked against the database (a chunk at a time) report after the rows cleaned
    # meanwhile: put every problem back in file order.
    report.errors.sort(key=lambda e: e.row)
    report.committed = not dry_run and report.ok
    return report
