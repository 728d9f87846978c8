"""Cleaning a client list row in plain Python (no forms: a form per row costs more than the
insert): a :class:`~clients.imports.rows.ClientRow`, or the row's errors (row number, column,
value, why). Runs in the import's reading thread: no database here."""

from django.utils.translation import gettext_lazy

from core.dates import local_today
from infra.tabular import (
    MSG_EXTRA_VALUES,
    MSG_REQUIRED,
    MSG_TOO_LONG,
    RowError,
    normalise_text,
    parse_date,
    parse_int,
)

from ..models import normalise_search, search_grams
from ..validators import normalise_uscc, uscc_error
from .rows import ClientRow, copy_lines
from .standards import MSG_UNKNOWN_STANDARD, StandardLookup

MSG_DUPLICATE = gettext_lazy("the same key as row %(row)d: each client once per file")
MSG_NEGATIVE = gettext_lazy("must be a whole number of 1 or more")
MSG_COUNTRY = gettext_lazy("a two-letter ISO 3166 country code, e.g. CN")
MSG_EMAIL = gettext_lazy("not an email address")
MSG_SITES = gettext_lazy(
    "each site as name|city|address, sites separated by ';' (this entry has %(n)d parts)"
)
MSG_SCOPE_NEEDED = gettext_lazy("a standard needs a scope in the same row")
MSG_FUTURE = gettext_lazy("in the future")
MSG_ID_NUMBER = gettext_lazy(
    "the cell holds a number, so Excel has already rounded the code: format the column as "
    "text, type the codes again and upload the file"
)


def client_key(registration_id: str, country: str) -> str:
    """The stable key of a client: the USCC normalised (China), else the id upper-cased."""
    if country == "CN":
        return normalise_uscc(registration_id)
    return normalise_text(registration_id).upper()


def _text(values, index, report, row, label, *, required=False, max_length=None):
    value = values[index] if index is not None and index < len(values) else ""
    value = normalise_text(value) if not isinstance(value, str) else value
    if required and not value:
        report.add_error(RowError(row, label, "", str(MSG_REQUIRED)))
        return None
    if max_length and len(value) > max_length:
        report.add_error(
            RowError(row, label, value[:40] + "…", str(MSG_TOO_LONG % {"max": max_length}))
        )
        return None
    return value


def clean_row(
    row: int,
    values: list,
    columns,
    labels,
    report,
    standards: StandardLookup,
    *,
    width: int,
    copy: bool = False,
):
    """A ClientRow, or None with the row's errors added to ``report``. ``copy``: with its COPY
    lines (PostgreSQL)."""
    before = report.error_count
    f = columns.fields

    def text(name, **kwargs):
        return _text(values, f.get(name), report, row, labels[name], **kwargs)

    legal_name = text("legal_name", required=True, max_length=255)
    english_name = text("english_name", max_length=255)
    country = (text("country", max_length=2) or "CN").upper()
    if not (len(country) == 2 and country.isalpha() and country.isascii()):
        report.add_error(RowError(row, labels["country"], country, str(MSG_COUNTRY)))
    raw_id = values[f["registration_id"]] if f.get("registration_id") is not None else ""
    if isinstance(raw_id, (int, float)):
        # Excel stored the code as a number: an 18-digit code has already lost digits.
        report.add_error(RowError(row, labels["registration_id"], str(raw_id), str(MSG_ID_NUMBER)))
        registration_id = None
    else:
        registration_id = text("registration_id", required=True, max_length=64)
    if registration_id and country == "CN":
        # Normalised and checked once; it is then the key as it is (client_key).
        registration_id = normalise_uscc(registration_id)
        error = uscc_error(registration_id)
        if error is not None:
            report.add_error(
                RowError(row, labels["registration_id"], registration_id, " ".join(error.messages))
            )
    city = text("city", required=True, max_length=100)
    address = text("address", required=True, max_length=500)
    personnel = None
    raw = values[f["effective_personnel"]] if f.get("effective_personnel") is not None else ""
    if raw in ("", None):
        report.add_error(RowError(row, labels["effective_personnel"], "", str(MSG_REQUIRED)))
    else:
        try:
            personnel = parse_int(raw)
            if personnel < 1:
                raise ValueError(str(MSG_NEGATIVE))
        except ValueError as err:
            report.add_error(RowError(row, labels["effective_personnel"], str(raw), str(err)))
    standard = None
    standard_text = text("standard")
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
    scope = text("scope") or ""
    if standard_text and not scope:
        report.add_error(RowError(row, labels["scope"], "", str(MSG_SCOPE_NEEDED)))
    since = None
    raw = values[f["system_operating_since"]] if f.get("system_operating_since") is not None else ""
    if raw not in ("", None):
        try:
            since = parse_date(raw)
            if since > local_today():
                raise ValueError(str(MSG_FUTURE))
        except ValueError as err:
            report.add_error(RowError(row, labels["system_operating_since"], str(raw), str(err)))
    contact_name = text("contact_name", max_length=200) or ""
    contact_phone = text("contact_phone", max_length=50) or ""
    contact_email = text("contact_email", max_length=254) or ""
    if contact_email and ("@" not in contact_email or " " in contact_email):
        report.add_error(RowError(row, labels["contact_email"], contact_email, str(MSG_EMAIL)))
    sites = []
    for entry in _split_sites(text("sites") or ""):
        parts = [normalise_text(p) for p in entry.split("|")]
        if len(parts) != 3 or not all(parts):
            report.add_error(
                RowError(row, labels["sites"], entry, str(MSG_SITES % {"n": len(parts)}))
            )
            continue
        sites.append(tuple(parts))
    if len(values) > width and any(v not in ("", None) for v in values[width:]):
        report.add_error(RowError(row, "", "", str(MSG_EXTRA_VALUES)))
    if report.error_count > before:
        return None
    text = normalise_search(f"{legal_name} {english_name or ''}")  # as set_search_fields()
    item = ClientRow(
        row=row,
        # As client_key(): the CN code is normalised above, other ids by normalise_text.
        key=registration_id if country == "CN" else registration_id.upper(),
        legal_name=legal_name,
        registration_id=registration_id,
        english_name=english_name or "",
        country=country,
        city=city,
        address=address,
        effective_personnel=personnel,
        standard=standard,
        scope=scope,
        system_operating_since=since,
        contact_name=contact_name,
        contact_phone=contact_phone,
        contact_email=contact_email,
        sites=sites,
        search_text=text,
        search_grams=search_grams(text),
    )
    if copy:
        copy_lines(item)
    return item


def _split_sites(text: str) -> list[str]:
    return [p.strip() for p in text.replace("\n", ";").split(";") if p.strip()]
