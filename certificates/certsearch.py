"""The IAF CertSearch export: our issued certificates as .xlsx files for the monthly upload.

IAF MD 28 asks accredited bodies to upload their certifications to IAF CertSearch at least
monthly. The files follow IAF's Excel certification template version 2.1, described once as data
in certificates/certsearch_spec.py (tabs, headers, order, mandatory fields, limits, allowed
values; sources and choices: docs/decisions/010-certsearch-template.md). ``certsearch_write``
streams the records into as many files as needed (certsearch-YYYY-MM-DD-001.xlsx, -002.xlsx,
...), at most CERTSEARCH_MAX_ROWS (IAF: 10,000) certifications and 50 MB a file. The
``export_certsearch`` command, the Certification admin action, the workspace's CertSearch page
and the monthly task (``certsearch_export_monthly``, certsearch_delivery.py) all call it.

Which certifications: one record per certification that has issued a certificate, from its
newest version, with a public status (Active, Suspended, Withdrawn, Cancelled, Expired:
``public_status.CERTSEARCH_STATUS``; never applications, drafts or refusals), of clients that
consented to the listing (``Client.certsearch_consent``) and did not ask for a restricted listing
(``Client.restricted_listing``: IAF CertSearch is a public search by name). Ordered by
certificate number. Queries do not grow with the records: per 2,000 certificates one query, plus
one each for the application sites, the client sites, the client's technical areas and the
granted scope extensions with their sites (``sites_in_scope``: the sites the certificate prints).

Each file holds, in the template's tab order:

- Certified Entity: one row per client, ``Certified Entity Unique ID`` = "CE-<client pk>"
  (stable for the client's life, unlike its name or registration id, which staff may correct),
  legal, trading and English names, country as IAF's country name (django-countries' English
  name, spec.COUNTRY_NAME_OVERRIDES where IAF's list differs), street, city, state/province,
  postcode;
- Certification: one row per certification, linked to its entity by that ID;
  ``Certification Identity Number`` = ``Certification.public_id`` (stable across versions and
  cycles, so IAF updates the same record each month), the printed number with its version,
  status on the export date, Accreditation Status ("Accredited" when CERTBODY ACCREDITATION is
  set and the standard is within it, ``Standard.accredited``), type, scope, the three dates as
  YYYYMMDD text;
- Certification Standard & Scheme: ``Standard.scheme_name`` (else "code:edition") and the
  standard "code:edition";
- Certification Sites: one row per site in scope (the application's sites, else every site of
  the client), with its own country, address, province, postcode and its activities (else the
  certificate's scope);
- Certification Sector: one row per IAF code of the client (``Client.technical_areas``).

Every cell is text (openpyxl's string type: never a formula, whatever it starts with), control
characters removed. Every value is checked against the spec before any file is renamed into
place: a record that breaks a rule stops the export, and the error lists every problem found
(row, tab, field and why) at once, so one run shows all there is to fix; no file is left half
written (temporary files, renamed only when the whole export is good). A record is never left
out silently: a missing certification would leave its old status (say, Active) standing in IAF
CertSearch.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from clients.models import Standard
from core.countries import country_name as core_country_name
from core.errors import DomainError
from core.policy import policy

from . import certsearch_spec as spec
from .models import Certificate, CertificateStatus, sites_in_scope
from .public_status import CERTSEARCH_STATUS, public_status


class CertSearchError(DomainError):
    """The export cannot be written (a record breaking IAF's template, a file too large, a
    folder not writable)."""


CERTIFICATION_TYPE = "Management System"
# IAF's limit per uploaded file ("Excel General Rules"): a fact of IAF's system, not our policy.
MAX_FILE_BYTES = spec.MAX_FILE_BYTES
CHUNK_SIZE = 2000
FILE_PREFIX = "certsearch"
MANAGE_PERMISSION = "certificates.manage_certification"
#: Problems listed one by one in the error; the rest are counted.
MAX_PROBLEMS_LISTED = 50


@dataclass(frozen=True)
class ExportFile:
    path: Path
    rows: int

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class Record:
    """One certification's rows on each tab (values in the spec's field order, all text)."""

    label: str  # names the row in an error: certificate number and client
    entity_id: str
    entity: tuple
    rows: dict = field(default_factory=dict)  # spec.Tab -> [tuple, ...] (not the entity tab)


# -- reads -------------------------------------------------------------------------------------
def certsearch_certificates(*, certifications=None):
    """The newest certificate version of each certification whose client consented to the
    IAF CertSearch listing and asked for no restricted listing, superseded versions left out;
    ``certifications`` (a Certification queryset) narrows it to those. Ordered by certificate
    number."""
    newer = Certificate.objects.filter(
        certification=OuterRef("certification"), version__gt=OuterRef("version")
    )
    qs = (
        Certificate.objects.filter(
            certification__client__certsearch_consent=True,
            certification__client__restricted_listing=False,
        )
        .exclude(status=CertificateStatus.SUPERSEDED)
        .filter(~Exists(newer))
        .select_related("certification__client", "certification__application", "standard")
        .prefetch_related(
            "certification__application__sites",
            "certification__client__sites",
            "certification__client__technical_areas",
            "certification__scope_extensions__sites",
        )
        .order_by("number", "certification_id")
    )
    if certifications is not None:
        qs = qs.filter(certification__in=certifications.values("pk"))
    return qs


def _text(value) -> str:
    # openpyxl refuses control characters; IAF wants plain text values.
    return ILLEGAL_CHARACTERS_RE.sub("", str(value or "")).strip()


def country_name(code) -> str:
    """IAF CertSearch's name of an ISO 3166 country code ("" for an unknown code)."""
    override = spec.COUNTRY_NAME_OVERRIDES.get(str(code or "").upper())
    return override or core_country_name(code, "en")


def entity_id(client) -> str:
    """The client's Certified Entity Unique ID: stable for the client's life."""
    return f"CE-{client.pk}"


def scheme_name(standard) -> str:
    """The standard's IAF CertSearch Scheme Name: as set, else "code:edition"."""
    return _text(standard.scheme_name) or _text(standard)


def certsearch_records(*, on: datetime.date, certifications=None) -> Iterator[Record]:
    """The export's records, one a certification, streamed; statuses as of ``on``."""
    accreditation = bool(_text(policy("ACCREDITATION")))
    qs = certsearch_certificates(certifications=certifications)
    for certificate in qs.iterator(chunk_size=CHUNK_SIZE):
        status = public_status(certificate, on=on)
        if status is None:
            continue
        certification = certificate.certification
        client = certification.client
        standard = certificate.standard
        cin = str(certification.public_id)
        ce = entity_id(client)
        scope = _text(certificate.scope)
        accredited = accreditation and standard.accredited
        record = Record(
            label=_("certificate %(number)s (%(client)s)")
            % {"number": certificate.full_number, "client": _text(client.legal_name)},
            entity_id=ce,
            entity=(
                ce,
                _text(client.legal_name),
                _text(client.trading_name),
                _text(client.english_name),
                country_name(client.country),
                _text(client.address),
                _text(client.city),
                _text(client.province),
                _text(client.postcode),
            ),
        )
        record.rows[spec.CERTIFICATION] = [
            (
                ce,
                cin,
                _text(certificate.full_number),
                CERTSEARCH_STATUS.get(status, ""),
                "Accredited" if accredited else "Unaccredited",
                CERTIFICATION_TYPE,
                scope,
                spec.format_date(certificate.original_certification_date),
                spec.format_date(certificate.effective_date),
                spec.format_date(certificate.expiry_date),
            )
        ]
        record.rows[spec.STANDARD_AND_SCHEME] = [(cin, scheme_name(standard), _text(standard))]
        record.rows[spec.SITES] = [
            (
                cin,
                country_name(site.country or client.country),
                _text(site.address),
                _text(site.city),
                _text(site.province),
                _text(site.postcode),
                _text(site.activities) or scope,
            )
            for site in sites_in_scope(certification)
        ]
        record.rows[spec.SECTOR] = [
            (cin, _text(area.name), str(area.code)) for area in client.technical_areas.all()
        ]
        yield record


def record_problems(record: Record, *, entity: bool = True) -> list[str]:
    """Every way ``record`` breaks the template, one message each naming the row, the tab, the
    field and why; the entity row only when ``entity``."""
    found = []
    tabs = [(spec.CERTIFIED_ENTITY, [record.entity])] if entity else []
    tabs += [(tab, record.rows.get(tab, [])) for tab in spec.TABS[1:]]
    for tab, rows in tabs:
        for row in rows:
            for fld, value in zip(tab.fields, row, strict=True):
                for problem in spec.problems(fld, value):
                    found.append(
                        _("%(row)s, tab “%(tab)s”, field “%(field)s”: %(problem)s.")
                        % {
                            "row": record.label,
                            "tab": tab.title,
                            "field": fld.header,
                            "problem": problem,
                        }
                    )
    return found


def certsearch_warnings() -> list[str]:
    """What makes the export say less than it should, though IAF would take it: no
    CERTBODY_ACCREDITATION (every row "Unaccredited"), standards with certificates but no
    Scheme Name of their own."""
    found = []
    if not _text(policy("ACCREDITATION")):
        found.append(
            _(
                "CERTBODY_ACCREDITATION is not set: every certification in the IAF CertSearch "
                "export says “Unaccredited”. Set the environment variable CERTBODY_ACCREDITATION "
                "to the body's accreditation (for example “CNAS C123-M”) and restart certbody."
            )
        )
    missing = Standard.objects.filter(
        scheme_name="", pk__in=Certificate.objects.values("standard")
    ).order_by("code", "-edition")
    if missing:
        found.append(
            _(
                "No Scheme Name is set for %(standards)s: the export writes the standard's code "
                "and edition as its IAF CertSearch Scheme Name, which IAF checks against the "
                "scheme of your accreditation. Set each standard's Scheme Name in the admin "
                "(Clients, Standards)."
            )
            % {"standards": ", ".join(str(s) for s in missing)}
        )
    return found


# -- files -------------------------------------------------------------------------------------
def file_name(on: datetime.date, part: int) -> str:
    return f"{FILE_PREFIX}-{on.isoformat()}-{part:03d}.xlsx"


def _text_row(ws, values) -> list:
    """Every value as a text cell: a value starting with "=" stays text, never a formula
    (IAF: text values, no formulas)."""
    cells = []
    for value in values:
        cell = WriteOnlyCell(ws, value)
        cell.data_type = "s"
        cells.append(cell)
    return cells


class _Part:
    """One file being written: a write-only workbook with every tab of the template, saved to
    a temporary file in the target folder and renamed into place only by ``commit``."""

    def __init__(self, path: Path):
        self.path = path
        self.rows = 0
        self.entities: set[str] = set()
        self.workbook = Workbook(write_only=True)
        self.sheets = {}
        for tab in spec.TABS:
            ws = self.workbook.create_sheet(tab.title)
            ws.append(_text_row(ws, tab.headers))
            self.sheets[tab] = ws
        self.tmp: str | None = None
        self.saved = False

    def add(self, record: Record) -> None:
        if record.entity_id not in self.entities:
            self.entities.add(record.entity_id)
            ws = self.sheets[spec.CERTIFIED_ENTITY]
            ws.append(_text_row(ws, record.entity))
        for tab in spec.TABS[1:]:
            ws = self.sheets[tab]
            for row in record.rows.get(tab, []):
                ws.append(_text_row(ws, row))
        self.rows += 1

    def save(self) -> None:
        fd, self.tmp = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
        )
        os.close(fd)
        self.saved = True  # openpyxl's own temporary files are gone, even if this fails
        self.workbook.save(self.tmp)
        with open(self.tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        size = os.path.getsize(self.tmp)
        if size > MAX_FILE_BYTES:
            raise CertSearchError(
                _(
                    "%(name)s would be %(size).1f MB, over IAF CertSearch's limit of %(limit)d MB "
                    "a file: lower CERTBODY_CERTSEARCH_MAX_ROWS and export again."
                )
                % {
                    "name": self.path.name,
                    "size": size / 1024 / 1024,
                    "limit": MAX_FILE_BYTES // 1024 // 1024,
                }
            )

    def commit(self) -> ExportFile:
        os.replace(self.tmp, self.path)
        self.tmp = None
        return ExportFile(self.path, self.rows)

    def discard(self) -> None:
        """Remove what is left of an export that failed: the temporary file, or, for a part
        never saved, openpyxl's per-sheet temporary files (saving to the null device closes
        and removes them)."""
        if self.tmp:
            Path(self.tmp).unlink(missing_ok=True)
            self.tmp = None
        if self.workbook is not None and not self.saved:
            with contextlib.suppress(Exception):
                self.workbook.save(os.devnull)
        self.workbook = None


def _problems_error(problems: list[str]) -> CertSearchError:
    shown = problems[:MAX_PROBLEMS_LISTED]
    messages = [
        _(
            "The IAF CertSearch export was not written: %(count)d values break IAF's template "
            "(version %(version)s). Correct them and export again:"
        )
        % {"count": len(problems), "version": spec.TEMPLATE_VERSION},
        *shown,
    ]
    if len(problems) > len(shown):
        messages.append(_("… and %(count)d more.") % {"count": len(problems) - len(shown)})
    return CertSearchError(messages)


def certsearch_write(
    *, out_dir, on: datetime.date, certifications=None, max_rows: int | None = None
) -> list[ExportFile]:
    """Write the export into ``out_dir`` (created if missing) as certsearch-<on>-NNN.xlsx files
    of at most CERTSEARCH_MAX_ROWS certifications each; returns them in order. Writing again the
    same day replaces the files and removes parts left over from a longer earlier export of
    that day. No qualifying certificate: no file. A record breaking the template: no file at
    all, and a CertSearchError listing every problem."""
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
    if not 1 <= max_rows <= spec.MAX_RECORDS:
        raise CertSearchError(
            _("CERTSEARCH_MAX_ROWS must be between 1 and %(limit)d (IAF CertSearch's limit).")
            % {"limit": spec.MAX_RECORDS}
        )
    parts: list[_Part] = []
    problems: list[str] = []
    checked: set[str] = set()
    try:
        part = None
        for record in certsearch_records(on=on, certifications=certifications):
            found = record_problems(record, entity=record.entity_id not in checked)
            checked.add(record.entity_id)
            if found:
                problems += found
            if problems:
                continue  # nothing more is written; every record is still checked
            if part is None or part.rows >= max_rows:
                if part is not None:
                    part.save()
                part = _Part(out / file_name(on, len(parts) + 1))
                parts.append(part)
            part.add(record)
        if problems:
            raise _problems_error(problems)
        if part is not None:
            part.save()
        files = [p.commit() for p in parts]
    except OSError as err:
        raise CertSearchError(
            _("Cannot write the export into %(dir)s: %(error)s") % {"dir": out, "error": err}
        ) from err
    finally:
        for p in parts:
            p.discard()
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
