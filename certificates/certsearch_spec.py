"""IAF CertSearch's Excel certification template for certification bodies (version 2.1), as data.

The export (certificates/certsearch.py) writes from this spec and checks every value against it
before anything is written; the test (tests/certificates/test_certsearch_spec.py) opens the
written workbook and checks it against the same spec, tab by tab and field by field. Where the
template changes, change it here, once.

Sources (IAF CertSearch support site, support.iafcertsearch.org, read December 2026) and the
choices made where they are silent: docs/decisions/010-certsearch-template.md. In short:

- IAF's "Excel General Rules": .xlsx only; header names, column order and sheet-tab order
  exactly as the template (a deleted column is a "missing field" error); one value per cell,
  text values, no formulas; at most 10,000 records on the certification sheet and 50 MB a
  file.
- Field glossary version 2.1 ("Certified Entity Data Fields", "Certification Data Fields",
  "Certification Standard & Scheme", "Certification Sites", "Certification Sector") and the
  release notes of 19 August 2024 (version 2.1 adds the "Certification Sector" tab):
  the field names, mandatory flags and character limits below. Where IAF gives no limit
  ("N/A" or silent) ``max_length`` is None.
- Dates: the glossary's format YYYYMMDD, written as text (IAF: data values in text format).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

TEMPLATE_VERSION = "2.1"

#: IAF's date format in the glossary: 20170223 (YYYYMMDD).
DATE_FORMAT = "%Y%m%d"
DATE_PATTERN = re.compile(r"\d{8}")

#: Records on the certification sheet per file ("Excel General Rules").
MAX_RECORDS = 10_000
#: Bytes per file ("Excel General Rules").
MAX_FILE_BYTES = 50 * 1024 * 1024

#: Certified Entity Unique ID: letters (any script), digits and only these special characters
#: (glossary, "Certified Entity Unique ID": @ # - + = \ / : ; , ~ _ .).
ID_PATTERN = re.compile(r"[\w@#\-+=\\/:;,~.]+")

# Kinds of value.
TEXT = "text"
DATE = "date"
ID = "id"
COUNTRY = "country"

#: The CertSearch "Certification Status" values we send: the public ones of IAF's status
#: dataset ("Certification Status": Active, Suspended, Cancelled, Withdrawn, Expired are
#: searchable in public; Inactive and Draft are not, and we never send them).
STATUS_VALUES = ("Active", "Suspended", "Withdrawn", "Expired", "Cancelled")
ACCREDITATION_VALUES = ("Accredited", "Unaccredited")
CERTIFICATION_TYPE_VALUES = ("Management System",)


@dataclass(frozen=True)
class Field:
    header: str
    mandatory: bool
    kind: str = TEXT
    max_length: int | None = None
    allowed: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Tab:
    title: str
    fields: tuple[Field, ...]
    #: IAF requires the tab's rows (False: the tab is optional, but written with its headers).
    required: bool = True

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(f.header for f in self.fields)


CERTIFIED_ENTITY = Tab(
    "Certified Entity",
    (
        Field("Certified Entity Unique ID", True, ID, 45),
        Field("Certified Entity Name", True, TEXT, 300),
        Field("Certified Entity Trading Name", False, TEXT, 500),
        Field("Certified Entity English Name", False, TEXT, 300),
        Field("Certified Entity Country/Economy", True, COUNTRY),
        Field("Certified Entity Street", True, TEXT),
        Field("Certified Entity City", True, TEXT),
        Field("Certified Entity State", False, TEXT),
        Field("Certified Entity Zipcode/Postcode", False, TEXT),
    ),
)

CERTIFICATION = Tab(
    "Certification",
    (
        Field("Certified Entity Unique ID", True, ID, 45),
        Field("Certification Identity Number", True, TEXT, 60),
        Field("Certificate Number", True, TEXT, 60),
        Field("Certification Status", True, TEXT, 45, STATUS_VALUES),
        Field("Accreditation Status", True, TEXT, 45, ACCREDITATION_VALUES),
        Field("Certification Type", True, TEXT, 45, CERTIFICATION_TYPE_VALUES),
        Field("Certification Scope", False, TEXT, 10_000),
        Field("Certification Original Issue Date", False, DATE),
        Field("Certification Issue Date", True, DATE),
        Field("Certification Expiry Date", True, DATE),
    ),
)

STANDARD_AND_SCHEME = Tab(
    "Certification Standard & Scheme",
    (
        Field("Certification Identity Number", True, TEXT, 60),
        Field("Scheme Name", True, TEXT),
        Field("Standard Name", True, TEXT),
    ),
)

SITES = Tab(
    "Certification Sites",
    (
        Field("Certification Identity Number", True, TEXT, 60),
        # "always required when filling up a certification site field"
        Field("Site Country/Economy", True, COUNTRY),
        Field("Site Street", False, TEXT),
        Field("Site City", False, TEXT),
        Field("Site State", False, TEXT),
        Field("Site Zipcode/Postcode", False, TEXT),
        Field("Site Scope", False, TEXT, 10_000),
    ),
    required=False,
)

SECTOR = Tab(
    "Certification Sector",
    (
        Field("Certification Identity Number", True, TEXT, 60),
        Field("Sector Name", False, TEXT),
        Field("Sector Code", False, TEXT),
    ),
    required=False,
)

#: The tabs in the template's order.
TABS = (CERTIFIED_ENTITY, CERTIFICATION, STANDARD_AND_SCHEME, SITES, SECTOR)

#: Where IAF CertSearch's country list names a country otherwise than django-countries' English
#: name (ISO code -> IAF's name). Only differences documented by IAF are listed (its "Data
#: mapping" example maps "South Korea" to "Korea, Republic of"); any other name IAF does not
#: recognise is mapped once in IAF CertSearch ("Data Mapping by Country") and then goes through.
COUNTRY_NAME_OVERRIDES = {
    "KR": "Korea, Republic of",
}


def format_date(day: datetime.date | None) -> str:
    return day.strftime(DATE_FORMAT) if day else ""


def problems(field: Field, value: str) -> list[str]:
    """What is wrong with ``value`` (already text) for ``field``, one sentence a rule (the
    caller names the row and the field); empty when it fits."""
    found = []
    if not value:
        if field.mandatory:
            found.append(_("it is empty, and IAF CertSearch requires it"))
        return found
    if field.max_length is not None and len(value) > field.max_length:
        found.append(
            _("it has %(length)d characters, IAF CertSearch allows at most %(limit)d")
            % {"length": len(value), "limit": field.max_length}
        )
    if field.allowed is not None and value not in field.allowed:
        found.append(
            _("“%(value)s” is not one of %(allowed)s")
            % {"value": value, "allowed": ", ".join(field.allowed)}
        )
    if field.kind == DATE and not DATE_PATTERN.fullmatch(value):
        found.append(_("“%(value)s” is not a date written YYYYMMDD") % {"value": value})
    if field.kind == ID and not ID_PATTERN.fullmatch(value):
        found.append(
            _(
                "“%(value)s” has characters IAF CertSearch does not accept in an identifier "
                "(letters, digits and @ # - + = \\ / : ; , ~ _ . only)"
            )
            % {"value": value}
        )
    return found
