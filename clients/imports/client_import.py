"""Import of client lists: clients with their central site, other sites and primary contact,
and, where a row names a standard, the client's application for it.

Shape. One pass over the file (clients/imports/tabular.py streams it), CHUNK rows at a time,
in one transaction:

1. each row is cleaned in plain Python (no forms: a form per row costs more than the insert)
   and either gives a ``ClientRow`` or row errors (row number, column, value, why); this
   happens in a reading thread (no database there) while the caller's thread writes the
   previous chunk (stream_chunks(pipelined=True)): PostgreSQL works while Python cleans;
2. per chunk, one query finds the clients that already exist (by the stable key, the
   registration id: for Chinese entities the unified social credit code, validated with its
   check character) with their central site and primary contact;
3. new clients are written with ``COPY`` on PostgreSQL (their ids reserved from the table's
   sequence in one query, so their sites and contact carry the id without a round trip;
   ``bulk_create`` on other databases), changed ones with ``_update_rows`` (one
   ``UPDATE ... FROM unnest()`` per chunk on PostgreSQL, arrays bound in binary); rows that
   change nothing are counted as unchanged.

Concurrent imports. The unique registration id stays the guard: when another import creates
one of this chunk's new clients between the lookup and the write, the write fails on the
unique constraint, the whole import is rolled back and the report names the row ("another
import created this client meanwhile; run the import again").

All or nothing: the first row error stops the writing (the rest of the file is still read and
checked, so every problem is reported at once) and the transaction is rolled back. A dry run
(the preview) does the same work and always rolls back, so it reports exactly what an import
would create, update and leave unchanged. Memory stays bounded: a chunk of rows, plus the set
of keys seen (to report a key that appears twice in one file).

Applications. A row with a standard creates the client's application for that standard and
opens its certification (state "applied"), like application_submit; when the client already
has a certification to that standard still in application review ("applied", "under review"),
its application is updated instead; in any later state the application is left as it is
(counted as "kept": the lifecycle moves on from the admin, not from a spreadsheet). An unknown
standard is a row error.
"""

from __future__ import annotations

import dataclasses
import datetime
import queue
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter

from django.core.exceptions import EmptyResultSet
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.dates import local_today
from core.policy import policy
from infra.db import server_bound_cursor

from ..models import Application, Client, Contact, Site, Standard, normalise_search, search_grams
from ..validators import normalise_uscc, uscc_error
from .columns import CLIENT_COLUMNS, map_headers, normalise_text, parse_date, parse_int
from .tabular import ImportFileError, open_table

CHUNK = 2000
# Rows reported in full; beyond this only counted (a file with 100,000 bad rows would otherwise
# make a report nobody reads).
MAX_REPORTED_ERRORS = 1000

MSG_REQUIRED = gettext_lazy("required, but empty")
MSG_DUPLICATE = gettext_lazy("the same key as row %(row)d: each client once per file")
MSG_UNKNOWN_STANDARD = gettext_lazy(
    "unknown standard; known: %(known)s (code and edition, e.g. ISO/IEC 20000-1:2018)"
)
MSG_TOO_LONG = gettext_lazy("longer than %(max)d characters")
MSG_NEGATIVE = gettext_lazy("must be a whole number of 1 or more")
MSG_COUNTRY = gettext_lazy("a two-letter ISO 3166 country code, e.g. CN")
MSG_EMAIL = gettext_lazy("not an email address")
MSG_SITES = gettext_lazy(
    "each site as name|city|address, sites separated by ';' (this entry has %(n)d parts)"
)
MSG_SCOPE_NEEDED = gettext_lazy("a standard needs a scope in the same row")
MSG_FUTURE = gettext_lazy("in the future")
MSG_EXTRA_VALUES = gettext_lazy("values beyond the last column with a header")
MSG_ID_NUMBER = gettext_lazy(
    "the cell holds a number, so Excel has already rounded the code: format the column as "
    "text, type the codes again and upload the file"
)
MSG_AMBIGUOUS_COLUMN = gettext_lazy("columns %(headers)s all mean the same field: keep one of them")
MSG_MISSING_COLUMN = gettext_lazy("required column missing (header %(zh)s or %(en)s)")
MSG_CREATED_MEANWHILE = gettext_lazy(
    "another import created this client meanwhile; run the import again"
)
MSG_CREATED_MEANWHILE_CHUNK = gettext_lazy(
    "another import created one of the clients of rows %(first)d to %(last)d meanwhile; run "
    "the import again"
)

# States in which the application can still change (review not finished).
APPLICATION_OPEN = ("applied", "under_review")


@dataclass
class RowError:
    row: int
    column: str
    value: str
    message: str

    def __str__(self):
        where = _("row %(row)d") % {"row": self.row}
        if self.column:
            where += f", {self.column}"
        value = f' "{self.value}"' if self.value not in ("", None) else ""
        return f"{where}{value}: {self.message}"


@dataclass
class ImportReport:
    """What an import did, or in a dry run would do."""

    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    applications_created: int = 0
    applications_updated: int = 0
    applications_kept: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    file_error: list[str] = field(default_factory=list)
    dry_run: bool = False
    committed: bool = False
    format: str = ""
    encoding: str | None = None

    @property
    def ok(self) -> bool:
        return not self.error_count and not self.file_error

    def add_error(self, error: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(error)

    def as_dict(self) -> dict:
        """For ImportJob.report (JSON): messages as plain strings."""
        data = dataclasses.asdict(self)
        data["errors"] = [dataclasses.asdict(e) for e in self.errors]
        data["file_error"] = [str(m) for m in self.file_error]
        data["summary"] = self.summary()
        data["ok"] = self.ok
        return data

    def summary(self) -> str:
        return _(
            "%(total)d rows: %(created)d clients to create, %(updated)d to update, "
            "%(unchanged)d unchanged; applications: %(app_created)d new, %(app_updated)d "
            "updated, %(app_kept)d kept as they are."
        ) % {
            "total": self.total,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "app_created": self.applications_created,
            "app_updated": self.applications_updated,
            "app_kept": self.applications_kept,
        }


@dataclass
class ClientRow:
    row: int
    key: str
    legal_name: str
    registration_id: str
    english_name: str
    country: str
    city: str
    address: str
    effective_personnel: int
    standard: Standard | None
    scope: str
    system_operating_since: datetime.date | None
    contact_name: str
    contact_phone: str
    contact_email: str
    sites: list[tuple[str, str, str]]
    # Computed while reading (the reading thread has time to spare, the writing one has not):
    # Client.set_search_fields() of the names and, on PostgreSQL, the row's COPY lines should
    # the client be new (_copy_lines; the writer only adds the ids).
    search_text: str = ""
    search_grams: str = ""
    copy_client: str = ""  # CLIENT_COPY_FIELDS, then id and created_at go after it
    copy_sites: tuple[str, ...] = ()  # SITE_COPY_FIELDS without the client id that goes first
    copy_contact: str = ""  # CONTACT_COPY_FIELDS without the client id; "" without a contact


class _Rollback(Exception):
    """Leaves the import's transaction: a dry run, or a row failed."""


class _CreatedMeanwhile(Exception):
    """A new client of the chunk exists after all: another import wrote it after the lookup
    (the unique registration id refused the write). Leaves the transaction, rolling back."""

    def __init__(self, error: RowError):
        super().__init__(str(error))
        self.error = error


# -- cleaning ----------------------------------------------------------------------------------
def client_key(registration_id: str, country: str) -> str:
    """The stable key of a client: the USCC normalised (China), else the id upper-cased."""
    if country == "CN":
        return normalise_uscc(registration_id)
    return normalise_text(registration_id).upper()


class StandardLookup:
    """Standards by what spreadsheets call them: "ISO/IEC 20000-1:2018", "ISO/IEC 20000-1"
    (the newest edition accepting applications), "20000-1", "ISO 9001:2015", "GB/T 19001"...
    Case, spaces and full-width characters do not matter."""

    def __init__(self):
        self.by_key: dict[str, Standard] = {}
        standards = list(Standard.objects.all())
        for std in standards:
            self.by_key.setdefault(self._key(f"{std.code}:{std.edition}"), std)
        # Without an edition: the newest edition accepting applications.
        for std in sorted(standards, key=lambda s: (not s.is_active, -int(s.edition or 0))):
            bare = std.code.split(" ", 1)[-1]  # "ISO/IEC 20000-1" -> "20000-1"
            for name in (std.code, bare, f"{bare}:{std.edition}"):
                self.by_key.setdefault(self._key(name), std)
        self.known = ", ".join(sorted(f"{s.code}:{s.edition}" for s in standards))

    @staticmethod
    def _key(text: str) -> str:
        return normalise_text(text).upper().replace(" ", "")  # NFKC folds full-width colons

    def get(self, text: str) -> Standard | None:
        return self.by_key.get(self._key(text))


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


def _clean_row(
    row: int,
    values: list,
    columns,
    labels,
    report: ImportReport,
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
        _copy_lines(item)
    return item


def _split_sites(text: str) -> list[str]:
    return [p.strip() for p in text.replace("\n", ";").split(";") if p.strip()]


# -- writing -----------------------------------------------------------------------------------
CLIENT_FIELDS = ("legal_name", "english_name", "country", "city", "address", "effective_personnel")
_client_values = attrgetter(*CLIENT_FIELDS)  # of a ClientRow or a Client: one tuple
# COPY of the new clients' sites and primary contacts: plain tuples in this column order (id
# and anything else not listed take the column default). Every NOT NULL column is listed.
SITE_COPY_FIELDS = ("client", "name", "is_central", "city", "address", "personnel")
CONTACT_COPY_FIELDS = ("client", "name", "role", "phone", "email", "is_primary")
_UNIQUE_KEY = re.compile(r"\)=\((.*)\) already exists")


def _filter_in(queryset, name: str, values):
    """``queryset.filter(<name>__in=values)``; on PostgreSQL as ``column = ANY(array)``, one
    parameter instead of one placeholder per value: Django builds 2,000 placeholders and
    psycopg parses them again for every chunk (35 ms per query of a 2,000-row chunk)."""
    if connection.vendor != "postgresql":
        return queryset.filter(**{f"{name}__in": values})
    meta = queryset.model._meta
    qn = connection.ops.quote_name
    column = f"{qn(meta.db_table)}.{qn(meta.get_field(name).column)}"
    return queryset.extra(where=[f"{column} = ANY(%s)"], params=[list(values)])


def _values_in(queryset, name: str, values, fields) -> list[tuple]:
    """``_filter_in(queryset, name, values).values_list(*fields)`` as a list of tuples. On
    PostgreSQL the query runs on a psycopg cursor of Django's connection (the same
    transaction) with its parameters bound on the server in binary: Django's cursor quotes the
    array of 2,000 keys into the SQL text in Python (the regular expression per element), a
    cost paid by every chunk, new clients included."""
    queryset = _filter_in(queryset, name, values).values_list(*fields)
    if connection.vendor != "postgresql":
        return list(queryset)
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # e.g. .none(): no query
        return []
    with server_bound_cursor() as cursor:
        # Django's placeholders are all %s (a literal % is %%): %b binds in binary. The same
        # text every chunk: prepared, planned once per connection (not 3-4 ms per chunk).
        cursor.execute(sql.replace("%s", "%b"), params, prepare=True)
        return cursor.fetchall()


def _bulk_update(model, objs: list, fields: list[str]) -> None:
    """``model.objects.bulk_update(objs, fields)``; on PostgreSQL one
    ``UPDATE ... FROM unnest(arrays)`` per CHUNK objects instead. Django's bulk_update builds
    a CASE WHEN expression per object and field: about 7 ms of Python per changed client (an
    update import ran at ~200 rows/s), and PostgreSQL then walks the CASE for every row."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objs, fields, batch_size=CHUNK)
        return
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    prep = [(c.attname, c.get_db_prep_save) for c in columns]
    rows = [tuple(save(getattr(obj, name), connection) for name, save in prep) for obj in objs]
    _update_rows(model, fields, rows)


def _update_rows(model, fields: list[str], rows: list[tuple]) -> None:
    """Set ``fields`` of the rows given as plain tuples ``(pk, value of each field)``, values as
    the database takes them (str, int, date, None). PostgreSQL: one ``UPDATE ... FROM
    unnest(arrays)`` per CHUNK rows, the arrays built straight from the tuples. Elsewhere
    ``bulk_update`` of instances carrying only the pk and these fields."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        objs = [model(pk=row[0], **dict(zip(fields, row[1:], strict=True))) for row in rows]
        model.objects.bulk_update(objs, fields, batch_size=CHUNK)
        return
    sql = _update_sql(model, fields)
    # Arrays bound on the server in binary: Django's cursor quotes them into the SQL text in
    # Python, about 45 ms per 2,000 clients, more than PostgreSQL takes for the update.
    with server_bound_cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            batch = rows[start : start + CHUNK]
            params = [list(column) for column in zip(*batch, strict=True)]
            cursor.execute(sql, params, prepare=True)  # the same text every chunk


def _update_sql(model, fields: list[str]) -> str:
    """``UPDATE table SET f = v.f, ... FROM unnest(%b::type[], ...) AS v(pk, f, ...) WHERE
    table.pk = v.pk``: one array parameter per column, the pk first (psycopg's ``%b``: bound
    on the server, in binary)."""
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    qn = connection.ops.quote_name
    table, pk = qn(meta.db_table), qn(meta.pk.column)
    # As Django's own UNNEST bulk insert: array types without length (no silent truncation).
    # %b: each array a binary parameter.
    arrays = ", ".join(f"%b::{c.db_type(connection).split('(')[0]}[]" for c in columns)
    return (
        f"UPDATE {table} SET "
        + ", ".join(f"{qn(c.column)} = v.{qn(c.column)}" for c in columns[1:])
        + f" FROM unnest({arrays}) AS v({', '.join(qn(c.column) for c in columns)})"
        + f" WHERE {table}.{pk} = v.{pk}"
    )


_CLIENT_DEFAULTS = {f.attname: f.get_default() for f in Client._meta.concrete_fields}


def _new_client(r: ClientRow) -> Client:
    """``Client(registration_id=r.key, legal_name=r.legal_name, ...)`` with its search fields
    (``set_search_fields()``, computed by _clean_row), with positional
    arguments: Model.__init__ then skips the keyword handling and the default of every field
    not given (half its time, for every new client)."""
    values = _CLIENT_DEFAULTS.copy()
    values["registration_id"] = r.key
    for name, value in zip(CLIENT_FIELDS, _client_values(r), strict=True):
        values[name] = value
    values["search_text"], values["search_grams"] = r.search_text, r.search_grams
    return Client(*values.values())


# COPY's text format: fields separated by tabs, rows by newlines, \N for NULL, booleans t/f, and
# backslash, tab, newline and carriage return escaped with a backslash. Cleaned text has no
# NUL (tabular.py refuses the file) and no tab or line break (normalise_text), but is escaped
# all the same.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_field(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return _escape(value)
    if isinstance(value, (int, datetime.date)):  # a date YYYY-MM-DD, a datetime with its zone
        return str(value)
    # A new kind of column (JSON, UUID, list...) needs its own COPY text form: not a repr.
    raise TypeError(f"no COPY text form for {type(value).__name__}")


def _escape(text: str) -> str:
    # Most text has nothing to escape: two C scans instead of a translation.
    if "\\" in text or not text.isprintable():
        return text.translate(_COPY_ESCAPES)
    return text


# The new client's columns in the COPY but its id and creation time, which the writer adds.
CLIENT_COPY_FIELDS = tuple(
    f.attname for f in Client._meta.concrete_fields if f.attname not in ("id", "created_at")
)
# Those columns as COPY text, with the model's defaults: what a row does not set.
_CLIENT_COPY_DEFAULTS = {name: _copy_field(_CLIENT_DEFAULTS[name]) for name in CLIENT_COPY_FIELDS}


def _copy_lines(r: ClientRow) -> None:
    """The row's COPY lines for a new client, its sites and its contact, without the ids
    (computed in the reading thread: the writer then only puts the ids in front). The client's
    values are those of ``_new_client(r)``: the model's defaults, the row's CLIENT_FIELDS, its
    key and its search fields."""
    values = _CLIENT_COPY_DEFAULTS.copy()  # keeps CLIENT_COPY_FIELDS' order
    for name, value in zip(CLIENT_FIELDS, _client_values(r), strict=True):
        values[name] = _copy_field(value)
    values["registration_id"] = _escape(r.key)
    values["search_text"] = _escape(r.search_text)
    values["search_grams"] = _escape(r.search_grams)
    r.copy_client = "\t".join(values.values())
    # SITE_COPY_FIELDS and CONTACT_COPY_FIELDS after the client id; the central site as the
    # client's own name, city, address and personnel.
    v = values
    sites = [f"{v['legal_name']}\tt\t{v['city']}\t{v['address']}\t{v['effective_personnel']}"]
    for site_name, site_city, site_address in r.sites:
        sites.append(f"{_escape(site_name)}\tf\t{_escape(site_city)}\t{_escape(site_address)}\t0")
    r.copy_sites = tuple(sites)
    if r.contact_name:
        r.copy_contact = (
            f"{_escape(r.contact_name)}\t\t{_escape(r.contact_phone)}\t"
            f"{_escape(r.contact_email)}\tt"
        )


def _copy_text(cursor, model, fields, text: str) -> None:
    """``COPY table (columns of fields) FROM STDIN`` of ready lines (COPY's text format), in
    one write: the raw cursor of Django's connection, so inside the import's transaction."""
    meta = model._meta
    qn = connection.ops.quote_name
    columns = ", ".join(qn(meta.get_field(name).column) for name in fields)
    with cursor.copy(f"COPY {qn(meta.db_table)} ({columns}) FROM STDIN") as copy:
        copy.write(text)


def _create_clients(new_rows: list[ClientRow]) -> list[int]:
    """Write the chunk's new clients and return their ids (in the order of ``new_rows``).

    PostgreSQL: the ids are reserved from the table's sequence in one query and the clients
    written with one COPY of the lines the reading thread prepared (every concrete column:
    the model's defaults included). Elsewhere ``bulk_create``. A registration id another
    import wrote meanwhile fails on the unique constraint: raised as _CreatedMeanwhile."""
    if connection.vendor != "postgresql":
        clients = [_new_client(r) for r in new_rows]
        try:
            Client.objects.bulk_create(clients, batch_size=CHUNK)
        except IntegrityError as err:
            if "registration_id" not in str(err):
                raise
            first, last = new_rows[0].row, new_rows[-1].row
            raise _CreatedMeanwhile(
                RowError(
                    first, "", "", str(MSG_CREATED_MEANWHILE_CHUNK % {"first": first, "last": last})
                )
            ) from err
        return [c.pk for c in clients]
    import psycopg

    meta = Client._meta
    created = _copy_field(timezone.now())  # auto_now_add, as bulk_create's pre_save
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own cursor, in Django's connection and transaction
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(new_rows)],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        text = "".join(
            f"{r.copy_client}\t{pk}\t{created}\n" for r, pk in zip(new_rows, ids, strict=True)
        )
        try:
            _copy_text(cursor, Client, [*CLIENT_COPY_FIELDS, "id", "created_at"], text)
        except psycopg.errors.UniqueViolation as err:
            detail = err.diag.message_detail or ""
            if "registration_id" not in detail:
                raise
            match = _UNIQUE_KEY.search(detail)
            key = match.group(1) if match else ""
            row = next((r.row for r in new_rows if r.key == key), new_rows[0].row)
            raise _CreatedMeanwhile(RowError(row, "", key, str(MSG_CREATED_MEANWHILE))) from err
    return ids


class _Writer:
    """Writes one chunk of clean rows: a fixed number of queries per chunk."""

    def __init__(self, report: ImportReport, *, received_on: datetime.date):
        self.report = report
        self.received_on = received_on

    def write(self, rows: list[ClientRow]) -> None:
        from certificates.models import Certification

        # Existing clients, sites and contacts as plain tuples of the columns compared: model
        # instances cost more to build than the rest of an update chunk's Python.
        existing = {  # key -> (pk, values of CLIENT_FIELDS)
            row[1]: (row[0], row[2:])
            for row in _values_in(
                Client.objects.all(),
                "registration_id",
                [r.key for r in rows],
                ("pk", "registration_id", *CLIENT_FIELDS),
            )
        }
        ids = [pk for pk, _values in existing.values()]
        central, others, contacts = {}, {}, {}
        if ids:  # new clients have none: no queries
            sites = _values_in(
                Site.objects.all(),
                "client",
                ids,
                ("pk", "client_id", "name", "is_central", "city", "address"),
            )
            for pk, client_id, name, is_central, city, address in sites:
                if is_central:
                    central[client_id] = (pk, city, address)
                else:
                    others[(client_id, name)] = (pk, city, address)
            primary = Contact.objects.filter(is_primary=True).order_by("-pk")
            contacts = {  # the lowest pk wins, as before
                c[1]: c
                for c in _values_in(
                    primary, "client", ids, ("pk", "client_id", "name", "phone", "email")
                )
            }
        certifications = {}
        wanted = [
            (existing[r.key][0], r.standard.pk) for r in rows if r.standard and r.key in existing
        ]
        if wanted:
            for cert in Certification.objects.filter(
                client_id__in={c for c, _s in wanted}, standard_id__in={s for _c, s in wanted}
            ).select_related("application"):
                certifications[(cert.client_id, cert.standard_id)] = cert

        new_clients, changed = [], []
        by_row = {}  # row -> client pk, for the rows whose client is new or changed
        for r in rows:
            found = existing.get(r.key)
            if found is None:
                new_clients.append(r)
            elif found[1] != (values := _client_values(r)):
                changed.append((found[0], *values, r.search_text, r.search_grams))
                by_row[r.row] = found[0]
            else:
                self.report.unchanged += 1
        new_ids = _create_clients(new_clients) if new_clients else []
        for r, pk in zip(new_clients, new_ids, strict=True):
            by_row[r.row] = pk
        _update_rows(Client, [*CLIENT_FIELDS, "search_text", "search_grams"], changed)
        self.report.created += len(new_clients)
        self.report.updated += len(changed)

        # Sites and contacts: the client's row is what changed, or its sites/contact did.
        site_new, site_changed, contact_new, contact_changed = [], {}, [], []
        touched = set()
        copy = connection.vendor == "postgresql" and bool(new_clients)
        if copy:
            # New clients have no sites or contacts yet: their lines (prepared by the reading
            # thread) go straight to COPY, the client id in front.
            site_lines, contact_lines = [], []
            for r, pk in zip(new_clients, new_ids, strict=True):
                site_lines += [f"{pk}\t{line}\n" for line in r.copy_sites]
                if r.copy_contact:
                    contact_lines.append(f"{pk}\t{r.copy_contact}\n")
            with connection.cursor() as wrapper:
                _copy_text(wrapper.cursor, Site, SITE_COPY_FIELDS, "".join(site_lines))
                if contact_lines:
                    _copy_text(wrapper.cursor, Contact, CONTACT_COPY_FIELDS, "".join(contact_lines))
        for r in rows:
            if copy and r.key not in existing:
                continue
            client_id = by_row.get(r.row) or existing[r.key][0]
            site = central.get(client_id)
            if site is None:
                site_new.append(
                    Site(
                        client_id=client_id,
                        name=r.legal_name,
                        is_central=True,
                        city=r.city,
                        address=r.address,
                        personnel=r.effective_personnel,
                    )
                )
            elif (site[1], site[2]) != (r.city, r.address):
                site_changed[site[0]] = (site[0], r.city, r.address)
                touched.add(r.row)
            for name, city, address in r.sites:
                site = others.get((client_id, name))
                if site is None:
                    site_new.append(
                        Site(
                            client_id=client_id,
                            name=name,
                            is_central=False,
                            city=city,
                            address=address,
                        )
                    )
                    touched.add(r.row)
                elif (site[1], site[2]) != (city, address):
                    # A site named twice in one row: the last entry wins (one UPDATE per site).
                    others[(client_id, name)] = site_changed[site[0]] = (site[0], city, address)
                    touched.add(r.row)
            if r.contact_name:
                contact = contacts.get(client_id)
                values = (r.contact_name, r.contact_phone, r.contact_email)
                if contact is None:
                    contact_new.append(
                        Contact(
                            client_id=client_id,
                            name=r.contact_name,
                            phone=r.contact_phone,
                            email=r.contact_email,
                            is_primary=True,
                        )
                    )
                    touched.add(r.row)
                elif contact[2:] != values:
                    contact_changed.append((contact[0], *values))
                    touched.add(r.row)
        Site.objects.bulk_create(site_new, batch_size=CHUNK)
        _update_rows(Site, ["city", "address"], list(site_changed.values()))
        Contact.objects.bulk_create(contact_new, batch_size=CHUNK)
        _update_rows(Contact, ["name", "phone", "email"], contact_changed)
        # A client whose own fields were unchanged but whose sites or contact changed is updated.
        unchanged_rows = {r.row for r in rows} - set(by_row)
        moved = len(touched & unchanged_rows)
        self.report.unchanged -= moved
        self.report.updated += moved
        self._applications(rows, by_row, existing, certifications)

    def _applications(self, rows, by_row, existing, certifications):
        from certificates.models import Certification

        new_apps, changed_apps, changed_certs = [], [], []
        for r in rows:
            if r.standard is None:
                continue
            client_id = by_row.get(r.row) or existing[r.key][0]
            cert = certifications.get((client_id, r.standard.pk))
            if cert is None:
                new_apps.append((r, client_id))
            elif cert.state in APPLICATION_OPEN and cert.application is not None:
                app = cert.application
                # An empty 体系运行日期 cell keeps the date already recorded (a partial sheet
                # must not erase what staff entered).
                since = r.system_operating_since or app.system_operating_since
                values = (r.scope, r.effective_personnel, since)
                current = (app.scope, app.effective_personnel, app.system_operating_since)
                if values != current or cert.scope != r.scope:
                    app.scope, app.effective_personnel, app.system_operating_since = values
                    cert.scope = r.scope
                    changed_apps.append(app)
                    changed_certs.append(cert)
                # else unchanged: counted with the client
            else:
                self.report.applications_kept += 1
        applications = Application.objects.bulk_create(
            [
                Application(
                    client_id=client_id,
                    received_on=self.received_on,
                    scope=r.scope,
                    effective_personnel=r.effective_personnel,
                    system_operating_since=r.system_operating_since,
                    notes=_("Imported from a client list."),
                )
                for r, client_id in new_apps
            ],
            batch_size=CHUNK,
        )
        Through = Application.standards.through
        Through.objects.bulk_create(
            [
                Through(application_id=app.pk, standard_id=r.standard.pk)
                for app, (r, _client_id) in zip(applications, new_apps, strict=True)
            ],
            batch_size=CHUNK,
        )
        Certification.objects.bulk_create(
            [
                Certification(
                    client_id=client_id, standard=r.standard, application=app, scope=r.scope
                )
                for app, (r, client_id) in zip(applications, new_apps, strict=True)
            ],
            batch_size=CHUNK,
        )
        _bulk_update(
            Application, changed_apps, ["scope", "effective_personnel", "system_operating_since"]
        )
        _bulk_update(Certification, changed_certs, ["scope"])
        self.report.applications_created += len(new_apps)
        self.report.applications_updated += len(changed_apps)


def check_headers(table, columns_def, report):
    """Map the file's headers to ``columns_def``; report unknown columns, two headers for one
    field and missing required ones (row 1). Returns the ColumnMap and the column label of
    each field as the file writes it (else our Chinese header), or None when the file cannot
    be imported."""
    columns = map_headers(table.headers, columns_def)
    report.unknown_columns = list(columns.unknown)
    for _name, headers in columns.ambiguous.items():
        report.add_error(
            RowError(1, "", "", str(MSG_AMBIGUOUS_COLUMN % {"headers": ", ".join(headers)}))
        )
    for name in columns.missing:
        col = columns_def[name]
        report.add_error(
            RowError(
                1,
                col.label_zh,
                "",
                str(MSG_MISSING_COLUMN % {"zh": col.label_zh, "en": col.label_en}),
            )
        )
    if report.error_count:
        return None
    labels = {name: col.label_zh for name, col in columns_def.items()}
    labels.update({name: table.headers[i] for name, i in columns.fields.items()})
    return columns, labels


def stream_chunks(
    table, report, *, clean, duplicate, write, progress=None, size=CHUNK, pipelined=False
):
    """The loop both imports share: clean each row (``clean(row, values)`` gives an item with
    a ``key``, or None with the row's errors reported), report a key seen twice
    (``duplicate(row, item, first_row)`` gives the RowError), and ``write`` clean rows ``size``
    at a time. Rows are written even after an error (the caller rolls back at the end), so a
    preview counts what every valid row would do. ``progress(rows read, rows in the file)``
    after each chunk and at the end.

    ``pipelined``: the rows are read and cleaned in a second thread while this one writes the
    previous chunk (the database works while Python cleans), with the same result: see
    _stream_pipelined. ``clean`` then takes a third argument, where to add the row's errors
    (``add_error``, ``error_count``), and must not use the database."""
    if pipelined:
        _stream_pipelined(table, report, clean, duplicate, write, progress, size)
        return
    seen: dict[str, int] = {}
    chunk = []
    for row, values in table.rows():
        report.total += 1
        item = clean(row, values)
        if item is None:
            continue
        first = seen.setdefault(item.key, row)
        if first != row:
            report.add_error(duplicate(row, item, first))
            continue
        chunk.append(item)
        if len(chunk) >= size:
            write(chunk)
            chunk = []
            if progress:
                progress(report.total, table.total_rows)
    if chunk:
        write(chunk)
    if progress:
        progress(report.total, table.total_rows)


class _ErrorBatch:
    """The row errors the reading thread found since its last message (``add_error`` and
    ``error_count`` as ImportReport's): handed to the writing thread with the next chunk."""

    __slots__ = ("errors",)

    def __init__(self):
        self.errors: list[RowError] = []

    @property
    def error_count(self) -> int:
        return len(self.errors)

    def add_error(self, error: RowError) -> None:
        self.errors.append(error)


_SWITCH_INTERVAL = 0.0005  # seconds
_QUEUED_CHUNKS = 2  # chunks read ahead of the writer: bounds memory
_STOP_TIMEOUT = 30  # seconds to wait for the reading thread once told to stop


def _stream_pipelined(table, report, clean, duplicate, write, progress, size):
    """stream_chunks with the reading in a thread of its own.

    The reading thread reads, cleans and checks the rows for duplicate keys (no database) and
    queues messages ``(rows read so far, row errors since the last message, chunk or None,
    last)``: a message per full chunk, one per ``size`` errors without a chunk (memory stays
    bounded), and a last one. This thread applies each message in order as the sequential loop
    would have at that point: the rows read and the errors into ``report``, then ``write`` and
    ``progress``. So ``report`` (and the order of its errors), the writes and the progress
    calls are those of the sequential loop, and all of them happen in this thread. An
    exception of the reading thread (ImportFileError found mid-stream) is raised here when its
    turn comes, after the chunks read before it were written, as the sequential loop would. An
    exception here (a failed write) stops the reading thread; neither side waits for ever."""
    messages = queue.Queue(maxsize=_QUEUED_CHUNKS)
    stop = threading.Event()
    reader = threading.Thread(
        target=_read_ahead,
        args=(table, clean, duplicate, size, messages, stop),
        # Messages are formatted in the caller's language and dates in its time zone, which
        # are per thread.
        kwargs={"language": translation.get_language(), "zone": timezone.get_current_timezone()},
        name="import-reader",
        daemon=True,
    )
    # The writer waits on PostgreSQL ~1,750 times per 100,000 rows and then needs the GIL back
    # from the reader: at the default 5 ms switch interval that wait is a good part of the
    # import (docs/benchmarks.md). A shorter interval while the import runs; restored after.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, _SWITCH_INTERVAL))
    reader.start()
    try:
        while True:
            try:
                message = messages.get(timeout=1)
            except queue.Empty:
                if not reader.is_alive() and messages.empty():
                    raise RuntimeError("the import's reading thread ended early") from None
                continue
            if isinstance(message, BaseException):
                raise message
            total, errors, chunk, last = message
            report.total = total
            for error in errors:
                report.add_error(error)
            if chunk:
                write(chunk)
            if progress and (chunk or last):
                progress(report.total, table.total_rows)
            if last:
                break
    finally:
        stop.set()
        reader.join(_STOP_TIMEOUT)
        sys.setswitchinterval(interval)


def _read_ahead(table, clean, duplicate, size, messages, stop, *, language, zone):
    """The reading thread of _stream_pipelined."""

    def send(message) -> bool:
        while not stop.is_set():
            try:
                messages.put(message, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    chunk, errors, total = [], _ErrorBatch(), 0
    try:
        with translation.override(language), timezone.override(zone):
            seen: dict[str, int] = {}
            rows = table.rows()
            try:
                for row, values in rows:
                    if stop.is_set():
                        return
                    total += 1
                    item = clean(row, values, errors)
                    if item is not None:
                        first = seen.setdefault(item.key, row)
                        if first != row:
                            errors.add_error(duplicate(row, item, first))
                        else:
                            chunk.append(item)
                            if len(chunk) >= size:
                                if not send((total, errors.errors, chunk, False)):
                                    return
                                chunk, errors = [], _ErrorBatch()
                                continue
                    if errors.error_count >= size:
                        if not send((total, errors.errors, None, False)):
                            return
                        errors = _ErrorBatch()
            finally:
                rows.close()
            send((total, errors.errors, chunk, True))
    except BaseException as err:  # handed to the writing thread, raised there
        # First the rows read and the errors found before it, as the sequential loop has
        # them in the report when the exception leaves it (the unfinished chunk is not
        # written).
        if send((total, errors.errors, None, False)):
            send(err)


# -- the import --------------------------------------------------------------------------------
def tune_import_transaction() -> None:
    """PostgreSQL: the import's transaction gets IMPORT_WORK_MEM of work_mem (SET LOCAL: it
    ends with the transaction). Each new client adds a few dozen entries to the GIN indexes of
    the name search (clients 0006, 0007); PostgreSQL gathers them in a pending list and merges
    it into the index in work_mem-sized batches while the import writes. Bigger batches, fewer
    merges: measured in docs/benchmarks.md (issue 6)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('work_mem', %s, true)", [policy("IMPORT_WORK_MEM")])


def import_clients(
    source,
    *,
    encoding: str | None = None,
    dry_run: bool = False,
    received_on: datetime.date | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> ImportReport:
    """Import a client list (CSV or XLSX, path or file object). Nothing is written unless every
    row is valid and ``dry_run`` is false. ``progress(rows done, total or None)`` is called
    after each chunk. File-level problems end up in ``report.file_error``."""
    report = ImportReport(dry_run=dry_run)
    try:
        table = open_table(source, encoding=encoding, max_bytes=policy("IMPORT_MAX_BYTES"))
    except ImportFileError as err:
        report.file_error = list(err.messages)
        return report
    with table:
        report.format, report.encoding = table.format, table.encoding
        checked = check_headers(table, CLIENT_COLUMNS, report)
        if checked is None:
            return report
        columns, labels = checked
        standards = StandardLookup()
        writer = _Writer(report, received_on=received_on or local_today())
        copy = connection.vendor == "postgresql"  # new rows go to COPY: lines made while reading
        try:
            with transaction.atomic():
                tune_import_transaction()
                stream_chunks(
                    table,
                    report,
                    # In the reading thread: row errors go to the sink it gives.
                    clean=lambda row, values, sink: _clean_row(
                        row,
                        values,
                        columns,
                        labels,
                        sink,
                        standards,
                        width=len(table.headers),
                        copy=copy,
                    ),
                    duplicate=lambda row, item, first: RowError(
                        row,
                        labels["registration_id"],
                        item.key,
                        str(MSG_DUPLICATE % {"row": first}),
                    ),
                    write=writer.write,
                    progress=progress,
                    pipelined=True,
                )
                if dry_run or report.error_count:
                    raise _Rollback
        except _Rollback:
            pass
        except _CreatedMeanwhile as err:  # rolled back: nothing of this import is written
            if err.error.value:  # the key is known: name its column too
                err.error.column = labels["registration_id"]
            report.add_error(err.error)
            return report
        except ImportFileError as err:  # found mid-stream (bad bytes, a formula)
            report.file_error = list(err.messages)
            return report
    report.committed = not dry_run and report.ok
    return report
