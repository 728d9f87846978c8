"""The IAF CertSearch workbook against IAF's template (certificates/certsearch_spec.py): the
export is written from varied data and the written file is opened and checked field by field
(tab order, headers and their order, mandatory values present, formats, length limits,
allowed values, text cells only, the tabs linked by their IDs); a value breaking the template
stops the export with a message naming the row and the field, and leaves no file."""

import datetime
import re

import openpyxl
import pytest
from django.conf import settings
from django.test.utils import override_settings
from openpyxl.worksheet import _writer as openpyxl_writer

from certificates import certsearch_spec as spec
from certificates.certsearch import (
    CertSearchError,
    certsearch_warnings,
    certsearch_write,
    country_name,
)
from certificates.models import (
    Certificate,
    CertificateStatus,
    Certification,
    Decision,
    DecisionOutcome,
    State,
)
from clients.models import Application, Client, Site, Standard
from tests.factories import ClientFactory

D = datetime.date
ON = D(2025, 7, 1)
pytestmark = pytest.mark.django_db


def certbody(**changes):
    value = dict(settings.CERTBODY)
    value.update(changes)
    return override_settings(CERTBODY=value)


def certify(
    client,
    std,
    *,
    number,
    state=State.ACTIVE,
    status=CertificateStatus.CURRENT,
    sites=None,
    scope="IT services",
    granted=D(2025, 1, 15),
):
    """One certification with one certificate version written directly."""
    expiry = Certification.expiry_for(granted)
    application = Application.objects.create(
        client=client,
        received_on=granted - datetime.timedelta(days=120),
        scope=scope,
        effective_personnel=10,
    )
    if sites is not None:
        application.sites.set(sites)
    cert = Certification.objects.create(
        client=client,
        standard=std,
        application=application,
        state=state,
        scope=scope,
        certificate_number=number,
        original_certification_date=granted,
        cycle_start=granted,
        expiry_date=expiry,
    )
    decision = Decision.objects.create(
        certification=cert, outcome=DecisionOutcome.GRANT, decided_on=granted
    )
    Certificate.objects.create(
        certification=cert,
        number=number,
        version=1,
        standard=std,
        scope=scope,
        effective_date=granted,
        expiry_date=expiry,
        original_certification_date=granted,
        status=status,
        decision=decision,
    )
    return cert


@pytest.fixture
def data():
    """Two certifications of one client (two standards), a multi-site client with sites in two
    countries and a scope per site, and one certification in each ended state."""
    itsm = Standard.objects.get(code="ISO/IEC 20000-1")
    itsm.scheme_name = "Information Technology Service Management Systems"
    itsm.save()
    isms = Standard.objects.filter(code="ISO/IEC 27001").order_by("-edition").first()
    isms.scheme_name = ""  # missing: written as code:edition, and warned about
    isms.save()
    both = ClientFactory(
        certsearch_consent=True,
        trading_name="示例科技",
        province="北京市",
        postcode="100080",
        technical_areas=[33, 19],
    )
    multi = ClientFactory(certsearch_consent=True, english_name="")
    central = multi.sites.get(is_central=True)
    central.activities = "Service desk and operations"
    central.save()
    hong_kong = Site.objects.create(
        client=multi,
        name="香港分部",
        country="HK",
        city="Hong Kong",
        address="1 Queen's Road",
        activities="Data centre operations",
    )
    seoul = Site.objects.create(
        client=multi,
        name="Seoul",
        country="KR",
        city="Seoul",
        address="1 Sejong-daero",
        postcode="04524",
    )

    def ended():
        return ClientFactory(certsearch_consent=True)

    certs = {
        "itsm": certify(both, itsm, number="CB-ITSM-000001"),
        "isms": certify(both, isms, number="CB-ISMS-000002"),
        "multi": certify(multi, itsm, number="CB-ITSM-000003", sites=[central, hong_kong, seoul]),
        "suspended": certify(
            ended(),
            itsm,
            number="CB-ITSM-000004",
            state=State.SUSPENDED,
            status=CertificateStatus.SUSPENDED,
        ),
        "withdrawn": certify(
            ended(),
            itsm,
            number="CB-ITSM-000005",
            state=State.WITHDRAWN,
            status=CertificateStatus.WITHDRAWN,
        ),
        "cancelled": certify(
            ended(),
            itsm,
            number="CB-ITSM-000006",
            state=State.WITHDRAWN,
            status=CertificateStatus.CANCELLED,
        ),
        "expired": certify(
            ended(),
            itsm,
            number="CB-ITSM-000007",
            state=State.EXPIRED,
            status=CertificateStatus.EXPIRED,
            granted=D(2021, 6, 1),
        ),
    }
    return certs


def table(wb, tab):
    """(header cells, data rows of cells) of one tab."""
    rows = list(wb[tab.title].iter_rows())
    return rows[0], rows[1:]


def check_against_spec(path) -> dict:
    """Open the written workbook and check every cell against the spec; returns
    {tab title: [{header: value}]} for the test's own assertions."""
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [tab.title for tab in spec.TABS]  # the template's tab order
    out = {}
    for tab in spec.TABS:
        header, rows = table(wb, tab)
        assert tuple(c.value for c in header) == tab.headers  # names and order exactly
        out[tab.title] = []
        for row in rows:
            assert len(row) == len(tab.fields)
            values = {}
            for fld, cell in zip(tab.fields, row, strict=True):
                value = cell.value or ""
                where = f"{tab.title} row {cell.row} “{fld.header}”"
                assert cell.data_type == "s" or value == "", where  # text only, no formula
                assert not isinstance(cell.value, (int, float, datetime.date)), where
                if fld.mandatory:
                    assert value, f"{where} is mandatory"
                if fld.max_length is not None:
                    assert len(value) <= fld.max_length, where
                if fld.allowed is not None and value:
                    assert value in fld.allowed, where
                if fld.kind == spec.DATE and value:
                    assert re.fullmatch(r"\d{8}", value), where
                    datetime.date.fromisoformat(
                        f"{value[:4]}-{value[4:6]}-{value[6:]}"
                    )  # a real date
                if fld.kind == spec.ID:
                    assert spec.ID_PATTERN.fullmatch(value), where
                if fld.kind == spec.COUNTRY:
                    assert not re.fullmatch(r"[A-Z]{2}", value), f"{where}: a code, not a name"
                assert spec.problems(fld, value) == [], where
                values[fld.header] = value
            out[tab.title].append(values)
    # The tabs are linked by their IDs: each certification's entity is on the entity tab
    # (once), each other tab's row belongs to a certification of the file.
    entity_ids = [r["Certified Entity Unique ID"] for r in out[spec.CERTIFIED_ENTITY.title]]
    assert len(entity_ids) == len(set(entity_ids))
    cins = {r["Certification Identity Number"] for r in out[spec.CERTIFICATION.title]}
    for r in out[spec.CERTIFICATION.title]:
        assert r["Certified Entity Unique ID"] in entity_ids
    for tab in (spec.STANDARD_AND_SCHEME, spec.SITES, spec.SECTOR):
        for r in out[tab.title]:
            assert r["Certification Identity Number"] in cins, tab.title
    return out


@certbody(ACCREDITATION="CNAS C999-M")
def test_workbook_matches_the_template(tmp_path, data):
    (f,) = certsearch_write(out_dir=tmp_path, on=ON)
    out = check_against_spec(f.path)
    cert_rows = {r["Certificate Number"]: r for r in out["Certification"]}
    assert set(cert_rows) == {f"{c.certificate_number}-V1" for c in data.values()}

    # One client, two certificates: one entity row, both certifications point at it.
    both = data["itsm"].client
    entity = next(
        r for r in out["Certified Entity"] if r["Certified Entity Unique ID"] == f"CE-{both.pk}"
    )
    assert entity["Certified Entity Trading Name"] == "示例科技"
    assert entity["Certified Entity State"] == "北京市"
    assert entity["Certified Entity Zipcode/Postcode"] == "100080"
    assert entity["Certified Entity Country/Economy"] == "China"
    assert len(out["Certified Entity"]) == 6  # six clients
    for key in ("itsm", "isms"):
        row = cert_rows[f"{data[key].certificate_number}-V1"]
        assert row["Certified Entity Unique ID"] == f"CE-{both.pk}"

    # Statuses in IAF's words.
    status = {
        k: cert_rows[f"{c.certificate_number}-V1"]["Certification Status"] for k, c in data.items()
    }
    assert status == {
        "itsm": "Active",
        "isms": "Active",
        "multi": "Active",
        "suspended": "Suspended",
        "withdrawn": "Withdrawn",
        "cancelled": "Cancelled",
        "expired": "Expired",
    }

    # Standard & Scheme: the scheme name as set, else code:edition.
    schemes = {
        r["Certification Identity Number"]: r for r in out["Certification Standard & Scheme"]
    }
    itsm_scheme = schemes[str(data["itsm"].public_id)]
    assert itsm_scheme["Scheme Name"] == "Information Technology Service Management Systems"
    assert itsm_scheme["Standard Name"] == "ISO/IEC 20000-1:2018"
    isms_scheme = schemes[str(data["isms"].public_id)]
    assert isms_scheme["Scheme Name"] == isms_scheme["Standard Name"] == str(data["isms"].standard)

    # Sites: one a row, each with its own country (the client's when none), scope per site.
    sites = [
        r
        for r in out["Certification Sites"]
        if r["Certification Identity Number"] == str(data["multi"].public_id)
    ]
    assert sorted((s["Site Country/Economy"], s["Site City"], s["Site Scope"]) for s in sites) == [
        ("China", "北京", "Service desk and operations"),
        ("Hong Kong", "Hong Kong", "Data centre operations"),
        ("Korea, Republic of", "Seoul", "IT services"),  # no activities: the whole scope
    ]
    seoul = next(s for s in sites if s["Site City"] == "Seoul")
    assert seoul["Site Zipcode/Postcode"] == "04524"

    # Sectors: the client's IAF codes.
    sectors = {
        (r["Sector Code"], r["Sector Name"])
        for r in out["Certification Sector"]
        if r["Certification Identity Number"] == str(data["itsm"].public_id)
    }
    assert {code for code, _name in sectors} == {"19", "33"}
    assert ("33", "Information technology") in sectors


@certbody(ACCREDITATION="CNAS C999-M")
def test_warnings_name_the_standards_without_a_scheme_name(data):
    (warning,) = certsearch_warnings()
    assert str(data["isms"].standard) in warning
    assert "Scheme Name" in warning
    assert "ISO/IEC 20000-1" not in warning


@certbody(ACCREDITATION="")
def test_warning_without_accreditation(data):
    warnings = certsearch_warnings()
    assert any("CERTBODY_ACCREDITATION is not set" in w and "Unaccredited" in w for w in warnings)


def test_too_long_value_stops_the_export_naming_row_and_field(tmp_path, data):
    long_scope = "x" * 10_001
    Certificate.objects.filter(certification=data["multi"]).update(scope=long_scope)
    Client.objects.filter(pk=data["itsm"].client_id).update(city="")
    (tmp_path / "certsearch-2025-07-01-001.xlsx").write_bytes(b"yesterday's good file")
    temporary = len(openpyxl_writer.ALL_TEMP_FILES)
    with pytest.raises(CertSearchError) as caught:
        certsearch_write(out_dir=tmp_path, on=ON, max_rows=2)  # a part begun before the errors
    assert len(openpyxl_writer.ALL_TEMP_FILES) == temporary  # openpyxl's sheet files removed
    messages = caught.value.messages
    assert "values break IAF's template" in messages[0]
    scope_problem = next(m for m in messages if "Certification Scope" in m)
    assert "CB-ITSM-000003-V1" in scope_problem
    assert "10001 characters" in scope_problem and "at most 10000" in scope_problem
    # Every problem at once: the site scope (the whole scope, no activities at Seoul) and the
    # client's empty city, reported once for its entity however many certificates it holds.
    assert any("Site Scope" in m and "CB-ITSM-000003-V1" in m for m in messages)
    city_problems = [m for m in messages if "“Certified Entity City”" in m]
    assert len(city_problems) == 1 and "is empty" in city_problems[0]
    assert "CB-ISMS-000002-V1" in city_problems[0]  # the client's first certificate
    # Nothing half written: the folder holds what it held.
    assert [p.name for p in tmp_path.iterdir()] == ["certsearch-2025-07-01-001.xlsx"]
    assert (tmp_path / "certsearch-2025-07-01-001.xlsx").read_bytes() == b"yesterday's good file"


def test_spec_rules():
    uid = spec.CERTIFIED_ENTITY.fields[0]
    assert spec.problems(uid, "CE-12") == []
    assert spec.problems(uid, "")  # mandatory
    assert spec.problems(uid, "CE 12")  # a space is not allowed in an ID
    assert spec.problems(uid, "x" * 46)
    status = spec.CERTIFICATION.fields[3]
    assert spec.problems(status, "Revoked")
    issue = spec.CERTIFICATION.fields[8]
    assert spec.problems(issue, "2025-01-15")
    assert spec.problems(issue, "20250115") == []
    assert all(len(t.title) <= 31 for t in spec.TABS)  # Excel's limit on a tab name


def test_country_names():
    assert country_name("CN") == "China"
    assert country_name("KR") == "Korea, Republic of"  # IAF's name (spec override)
    assert country_name("XX") == ""
