"""The IAF CertSearch export: our issued certificates as .xlsx files for the monthly upload.

IAF MD 28 asks accredited bodies to upload their certifications to IAF CertSearch at least
monthly: .xlsx, at most 10,000 rows and 50 MB a file (shared/domain.md, "Certificates and the
public"). ``certsearch_write`` streams the rows into as many files as needed
(certsearch-YYYY-MM-DD-001.xlsx, -002.xlsx, ...), each written to a temporary file and renamed,
so a crash never leaves half a file. The ``export_certsearch`` command, the Certification admin
action and the monthly task (``certsearch_export_monthly``) all call it.

Rows: one per certification that has issued a certificate, from its newest version only, with a
public status (Active, Suspended, Withdrawn, Expired: never applications, drafts or refusals),
and only for clients that consented to the listing (``Client.certsearch_consent``). Ordered by
certificate number. The number of queries does not grow with the rows: one query per 2,000
certificates plus their prefetched sites.

Columns
-------
IAF's template fixes the header names and their order. What we could read of IAF's public
documentation (support.iafcertsearch.org: "Certification Template for Certification Body", the
field glossaries of template versions 1.1-2.1, "Excel General Rules") confirms these field
names: Certification Identity Number, Certificate Number, Certification Status, Accreditation
Status (Accredited / Unaccredited), Certification Type, Certification Scope, Certification
Original Issue Date, Certification Issue Date, Certification Expiry Date, Certified Entity
Name, Certified Entity English Name. The other headers below are our own plain names. This is
our understanding, to check against the current template before the first upload: IAF's
template version 2.x splits the data over several sheet tabs (Certified Entity, Certification,
Certification Sites, Certification Sector) linked by a "Certified Entity Unique ID", which we do
not produce; IAF's import maps differing field names ("field mapping") and ISO country codes
("data mapping by country") once, after which uploads go through.

==================================== ==========================================================
Header                               Value
==================================== ==========================================================
Certification Identity Number        ``Certification.public_id`` (UUID): stable across
                                     certificate versions and cycles, so IAF updates the same
                                     record each month
Certificate Number                   the printed number with its version, e.g. CB-ITSM-000042-V2
Certification Status                 Active, Suspended, Withdrawn or Expired
                                     (``public_status.CERTSEARCH_STATUS``), on the export date
Accreditation Status                 Accredited when CERTBODY ACCREDITATION is set, else
                                     Unaccredited
Certification Type                   Management System
Standard                             code:edition, e.g. ISO/IEC 20000-1:2018
Certification Scope                  the scope printed on that version
Certification Original Issue Date    original certification date (an Excel date)
Certification Issue Date             effective date of that version (an Excel date)
Certification Expiry Date            expiry date of that version (an Excel date)
Certified Entity Name                the client's legal name
Certified Entity English Name        the client's English name (may be empty)
Certified Entity Street               the client's registered address line, as stored
Certified Entity City                the client's city
Certified Entity Country/Economy     ISO 3166 alpha-2 code as stored (e.g. CN); no country name
                                     (the project has no country-name table or library)
Certification Sites                  every site in scope, one per line, "name: address, city",
                                     central function first; the sites of the certification's
                                     application, or else all the client's sites
Certification Body Name              CERTBODY BODY_NAME
Accreditation                        CERTBODY ACCREDITATION as set (e.g. "CNAS C123-M")
==================================== ==========================================================

Sites go in one cell per certification (one row per certificate keeps IAF's 10,000-row limit
meaning 10,000 certificates, and IAF's single-sheet template puts one certification per row).
"""

from __future__ import annotations

import datetime
import itertools
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from accounts.models import user_language
from core.errors import DomainError
from core.policy import policy
from reminders.recipients import MANAGE, recipient_ids

from .models import Certificate, CertificateStatus, CertSearchUpload
from .public_status import CERTSEARCH_STATUS, public_status


class CertSearchError(DomainError):
    """The export cannot be written (a file too large, a folder not writable)."""


HEADERS = (
    "Certification Identity Number",
    "Certificate Number",
    "Certification Status",
    "Accreditation Status",
    "Certification Type",
    "Standard",
    "Certification Scope",
    "Certification Original Issue Date",
    "Certification Issue Date",
    "Certification Expiry Date",
    "Certified Entity Name",
    "Certified Entity English Name",
    "Certified Entity Street",
    "Certified Entity City",
    "Certified Entity Country/Economy",
    "Certification Sites",
    "Certification Body Name",
    "Accreditation",
)
SHEET_TITLE = "Certifications"
CERTIFICATION_TYPE = "Management System"
# IAF's limit per uploaded file ("Excel General Rules"): a fact of IAF's system, not our policy.
MAX_FILE_BYTES = 50 * 1024 * 1024
CHUNK_SIZE = 2000
FILE_PREFIX = "certsearch"
MANAGE_PERMISSION = "certificates.manage_certification"


@dataclass(frozen=True)
class ExportFile:
    path: Path
    rows: int

    @property
    def name(self) -> str:
        return self.path.name


# -- reads -------------------------------------------------------------------------------------
def certsearch_certificates(*, certifications=None):
    """The newest certificate version of each certification whose client consented to the
    IAF CertSearch listing, superseded versions left out; ``certifications`` (a Certification
    queryset) narrows it to those. Ordered by certificate number."""
    newer = Certificate.objects.filter(
        certification=OuterRef("certification"), version__gt=OuterRef("version")
    )
    qs = (
        Certificate.objects.filter(certification__client__certsearch_consent=True)
        .exclude(status=CertificateStatus.SUPERSEDED)
        .filter(~Exists(newer))
        .select_related("certification__client", "certification__application", "standard")
        .prefetch_related("certification__application__sites", "certification__client__sites")
        .order_by("number", "certification_id")
    )
    if certifications is not None:
        qs = qs.filter(certification__in=certifications.values("pk"))
    return qs


def _text(value) -> str:
    # openpyxl refuses control characters; IAF wants plain text values.
    return ILLEGAL_CHARACTERS_RE.sub("", str(value or "")).strip()


def _sites(certification) -> str:
    application = certification.application
    sites = list(application.sites.all()) if application is not None else []
    if not sites:
        sites = list(certification.client.sites.all())
    return "\n".join(f"{_text(s.name)}: {_text(s.address)}, {_text(s.city)}" for s in sites)


def certsearch_rows(*, on: datetime.date, certifications=None) -> Iterator[tuple]:
    """The export's rows (values in ``HEADERS`` order), streamed; statuses as of ``on``."""
    body_name = _text(policy("BODY_NAME"))
    accreditation = _text(policy("ACCREDITATION"))
    accreditation_status = "Accredited" if accreditation else "Unaccredited"
    qs = certsearch_certificates(certifications=certifications)
    for certificate in qs.iterator(chunk_size=CHUNK_SIZE):
        status = public_status(certificate, on=on)
        if status is None:
            continue
        certification = certificate.certification
        client = certification.client
        yield (
            str(certification.public_id),
            certificate.full_number,
            CERTSEARCH_STATUS[status],
            accreditation_status,
            CERTIFICATION_TYPE,
            str(certificate.standard),
            _text(certificate.scope),
            certificate.original_certification_date,
            certificate.effective_date,
            certificate.expiry_date,
            _text(client.legal_name),
            _text(client.english_name),
            _text(client.address),
            _text(client.city),
            _text(client.country).upper(),
            _sites(certification),
            body_name,
            accreditation,
        )


# -- files -------------------------------------------------------------------------------------
def file_name(on: datetime.date, part: int) -> str:
    return f"{FILE_PREFIX}-{on.isoformat()}-{part:03d}.xlsx"


def _cell(ws, value):
    if isinstance(value, str):
        # A text starting with "=" must stay text, never become a formula (IAF: no formulas).
        cell = WriteOnlyCell(ws, value)
        cell.data_type = "s"
        return cell
    return value


def _write_file(path: Path, rows: Iterable[tuple]) -> int:
    """Write one .xlsx atomically: a temporary file in the same folder, then a rename."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET_TITLE)
    ws.append(HEADERS)
    count = 0
    for row in rows:
        ws.append([_cell(ws, v) for v in row])
        count += 1
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        wb.save(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        size = os.path.getsize(tmp)
        if size > MAX_FILE_BYTES:
            raise CertSearchError(
                _(
                    "%(name)s would be %(size).1f MB, over IAF CertSearch's limit of %(limit)d MB "
                    "a file: lower CERTBODY_CERTSEARCH_MAX_ROWS and export again."
                )
                % {
                    "name": path.name,
                    "size": size / 1024 / 1024,
                    "limit": MAX_FILE_BYTES // 1024 // 1024,
                }
            )
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


def certsearch_write(
    *, out_dir, on: datetime.date, certifications=None, max_rows: int | None = None
) -> list[ExportFile]:
    """Write the export into ``out_dir`` (created if missing) as certsearch-<on>-NNN.xlsx files
    of at most CERTSEARCH_MAX_ROWS rows each; returns them in order. Writing again the same day
    replaces the files and removes parts left over from a longer earlier export of that day.
    No qualifying certificate: no file."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CertSearchError(
            _("Cannot create the folder %(dir)s: %(error)s") % {"dir": out, "error": err}
        ) from err
    if not out.is_dir() or not os.access(out, os.W_OK | os.X_OK):
        raise CertSearchError(_("The folder %(dir)s is not writable.") % {"dir": out})
    max_rows = max_rows or policy("CERTSEARCH_MAX_ROWS")
    if max_rows < 1:
        raise CertSearchError(_("CERTSEARCH_MAX_ROWS must be at least 1."))
    files = []
    rows = iter(certsearch_rows(on=on, certifications=certifications))
    try:
        while (first := next(rows, None)) is not None:
            path = out / file_name(on, len(files) + 1)
            part = itertools.chain([first], itertools.islice(rows, max_rows - 1))
            files.append(ExportFile(path, _write_file(path, part)))
    except OSError as err:
        raise CertSearchError(
            _("Cannot write the export into %(dir)s: %(error)s") % {"dir": out, "error": err}
        ) from err
    written = {f.path.name for f in files}
    for stale in out.glob(f"{FILE_PREFIX}-{on.isoformat()}-[0-9][0-9][0-9].xlsx"):
        if stale.name not in written:
            stale.unlink(missing_ok=True)
    return files


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def certsearch_download(*, on: datetime.date, certifications):
    """The export of ``certifications`` as one download: (file name, content type, open
    binary file), the .xlsx itself when it fits one file, else a .zip of the files; None when
    none of them qualifies. The file is anonymous and disappears once closed."""
    with tempfile.TemporaryDirectory(prefix="certsearch-") as tmp:
        files = certsearch_write(out_dir=tmp, on=on, certifications=certifications)
        if not files:
            return None
        out = tempfile.TemporaryFile()  # noqa: SIM115 (the caller gets it open; closing deletes)
        if len(files) == 1:
            with open(files[0].path, "rb") as fh:
                shutil.copyfileobj(fh, out)
            name, content_type = files[0].name, XLSX_CONTENT_TYPE
        else:
            # .xlsx files are compressed already: store them as they are.
            with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
                for f in files:
                    archive.write(f.path, f.name)
            name, content_type = f"{FILE_PREFIX}-{on.isoformat()}.zip", "application/zip"
        out.seek(0)
        return name, content_type, out


# -- the monthly export --------------------------------------------------------------------------
def month_dir(on: datetime.date) -> Path:
    """Where the monthly export of ``on``'s month goes: CERTSEARCH_EXPORT_DIR/<YYYY-MM>/."""
    return Path(policy("CERTSEARCH_EXPORT_DIR")) / f"{on:%Y-%m}"


def certsearch_recipients():
    """Who is told about the monthly export: the same people the reminder scans write to about
    certifications (active staff, or superusers, who manage certifications, with an email)."""
    return get_user_model().objects.filter(pk__in=recipient_ids(MANAGE)).order_by("pk")


def _mail_text(files: list[ExportFile], *, folder: Path, on: datetime.date) -> tuple[str, str]:
    month = f"{on:%Y-%m}"
    subject = _("IAF CertSearch export for %(month)s is ready") % {"month": month}
    if not files:
        body = _(
            "The monthly IAF CertSearch export for %(month)s found no certificate to upload "
            "(none issued to a client that consented to the listing). Nothing to do this month."
        ) % {"month": month}
        return subject, body
    lines = [
        _(
            "The monthly IAF CertSearch export for %(month)s is ready to upload to IAF "
            "CertSearch (Data Management, Import Certification, File Upload)."
        )
        % {"month": month},
        "",
        _("Folder: %(folder)s") % {"folder": folder},
        "",
    ]
    lines += [_("%(name)s: %(rows)d rows") % {"name": f.name, "rows": f.rows} for f in files]
    lines += [
        "",
        _("Total: %(rows)d rows in %(files)d files.")
        % {"rows": sum(f.rows for f in files), "files": len(files)},
    ]
    return subject, "\n".join(lines)


def certsearch_notify(files: list[ExportFile], *, folder: Path, on: datetime.date) -> int:
    """Mail each recipient, in their language, that the month's files are ready; returns the
    number of mails."""
    recipients = list(certsearch_recipients().select_related("preference"))
    if not recipients:
        return 0
    messages = []
    for user in recipients:
        with translation.override(user_language(user)):
            subject, body = _mail_text(files, folder=folder, on=on)
        messages.append(EmailMessage(subject, body, to=[user.email]))
    with get_connection() as connection:
        return connection.send_messages(messages) or 0


def certsearch_export_monthly(*, on: datetime.date) -> list[ExportFile]:
    """Write the month's export into CERTSEARCH_EXPORT_DIR/<YYYY-MM>/, record it on the
    month's CertSearchUpload and tell staff, once a month.

    Safe to run twice: the month's folder ends up holding only this run's files (each replaced
    atomically; files of an earlier run that month are removed once the new ones are written),
    the record is updated, and staff are mailed only by the month's first export (a failed
    mail rolls the record back, so the retry mails). Until staff record the upload, the daily
    reminder scan chases it (certificates/reminders.py, scan_certsearch).
    """
    folder = month_dir(on)
    files = certsearch_write(out_dir=folder, on=on)
    keep = {f.path.name for f in files}
    for old in folder.glob(f"{FILE_PREFIX}-*.xlsx"):
        if old.name not in keep:
            old.unlink(missing_ok=True)
    with transaction.atomic():
        upload, _created = CertSearchUpload.objects.get_or_create(month=on.replace(day=1))
        upload = CertSearchUpload.objects.select_for_update().get(pk=upload.pk)
        first = upload.exported_at is None
        upload.exported_at = timezone.now()
        upload.folder = str(folder)
        upload.files = [[f.name, f.rows] for f in files]
        upload.save()
        if first:
            certsearch_notify(files, folder=folder, on=on)
    return files


def certsearch_record_upload(*, uploads, by) -> int:
    """Record that ``by`` uploaded these months to IAF CertSearch (those not recorded yet);
    returns how many were recorded now. The reminders for those months stop."""
    return uploads.filter(uploaded_at__isnull=True).update(
        uploaded_at=timezone.now(), uploaded_by=by
    )
