"""The IAF CertSearch export (certificates/certsearch.py): which certificates become rows, what
each column holds, files of at most CERTSEARCH_MAX_ROWS rows written atomically, and the
command, admin action and monthly task that produce it."""

import datetime
import io
import zipfile
from copy import deepcopy

import openpyxl
import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from certificates import certsearch, certsearch_delivery
from certificates import certsearch_spec as spec
from certificates import services as svc
from certificates.certsearch import CertSearchError, certsearch_records, certsearch_write
from certificates.models import (
    Certificate,
    CertificateStatus,
    Certification,
    CertSearchUpload,
    Decision,
    DecisionOutcome,
    State,
)
from certificates.tasks import export_certsearch_monthly
from clients.models import Application, Client, Site
from tests import lifecycle as lc
from tests.factories import ClientFactory, UserFactory, standard

D = datetime.date
pytestmark = pytest.mark.django_db

CIN = "Certification Identity Number"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def certbody(**changes):
    """override_settings for a few CERTBODY entries, the others unchanged."""
    value = deepcopy(settings.CERTBODY)
    value.update(changes)
    return override_settings(CERTBODY=value)


def consent(*certs):
    Client.objects.filter(certifications__in=certs).update(certsearch_consent=True)


def issued(n, *, sites=1, versions=1, consent=True, granted=D(2025, 1, 15)):
    """``n`` issued certifications written directly (fast), each for a new client with
    ``sites`` sites in its application and ``versions`` certificate versions (older ones
    superseded). Certificate numbers CB-T-000001.. in creation order."""
    std = standard()
    expiry = Certification.expiry_for(granted)
    certs = []
    for _ in range(n):
        client = ClientFactory(certsearch_consent=consent)
        extra = [
            Site.objects.create(
                client=client, name=f"Site {k}", city="上海", address=f"上海市浦东新区{k}号"
            )
            for k in range(1, sites)
        ]
        application = Application.objects.create(
            client=client,
            received_on=granted - datetime.timedelta(days=120),
            scope="IT",
            effective_personnel=10,
        )
        application.sites.set([*client.sites.filter(is_central=True), *extra])
        number = f"CB-T-{Certification.objects.count() + 1:06d}"
        cert = Certification.objects.create(
            client=client,
            standard=std,
            application=application,
            state=State.ACTIVE,
            scope="IT services",
            certificate_number=number,
            original_certification_date=granted,
            cycle_start=granted,
            expiry_date=expiry,
        )
        decision = Decision.objects.create(
            certification=cert, outcome=DecisionOutcome.GRANT, decided_on=granted
        )
        for v in range(1, versions + 1):
            Certificate.objects.create(
                certification=cert,
                number=number,
                version=v,
                standard=std,
                scope=f"IT services v{v}",
                effective_date=granted + datetime.timedelta(days=v - 1),
                expiry_date=expiry,
                original_certification_date=granted,
                status=CertificateStatus.CURRENT if v == versions else CertificateStatus.SUPERSEDED,
                decision=decision,
            )
        certs.append(cert)
    return certs


def read(path_or_bytes, tab=spec.CERTIFICATION):
    """(header row, data rows as {header: value}) of one tab of an .xlsx."""
    if isinstance(path_or_bytes, bytes):
        path_or_bytes = io.BytesIO(path_or_bytes)
    ws = openpyxl.load_workbook(path_or_bytes)[tab.title]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def certification(record) -> dict:
    """The record's Certification row as {header: value}."""
    (row,) = record.rows[spec.CERTIFICATION]
    return dict(zip(spec.CERTIFICATION.headers, row, strict=True))


def records(on):
    """{Certification Identity Number: record} of the export as of ``on``."""
    return {certification(r)[CIN]: r for r in certsearch_records(on=on)}


# -- tabs and values --------------------------------------------------------------------------
def test_tabs_and_headers_as_the_spec(tmp_path):
    for tab in spec.TABS:  # each tab described in the module docstring
        assert f"- {tab.title}:" in certsearch.__doc__, tab.title
    issued(1)
    (f,) = certsearch_write(out_dir=tmp_path, on=D(2025, 7, 1))
    wb = openpyxl.load_workbook(f.path)
    assert wb.sheetnames == [t.title for t in spec.TABS]
    for tab in spec.TABS:
        headers, _rows = read(f.path, tab)
        assert tuple(headers) == tab.headers


@certbody(BODY_NAME="Test Certification Ltd.", ACCREDITATION="CNAS C999-M")
def test_values(tmp_path):
    (cert,) = issued(1, sites=3)
    client = cert.client
    client.english_name = "Example IT Co., Ltd."
    client.trading_name = "示例科技"
    client.province = "北京市"
    client.postcode = "100000"
    client.save()
    (f,) = certsearch_write(out_dir=tmp_path, on=D(2025, 7, 1))
    _, (entity,) = read(f.path, spec.CERTIFIED_ENTITY)
    assert entity == {
        "Certified Entity Unique ID": f"CE-{client.pk}",
        "Certified Entity Name": client.legal_name,
        "Certified Entity Trading Name": "示例科技",
        "Certified Entity English Name": "Example IT Co., Ltd.",
        "Certified Entity Country/Economy": "China",
        "Certified Entity Street": client.address,
        "Certified Entity City": "北京",
        "Certified Entity State": "北京市",
        "Certified Entity Zipcode/Postcode": "100000",
    }
    _, (row,) = read(f.path)
    assert row == {
        "Certified Entity Unique ID": f"CE-{client.pk}",
        CIN: str(cert.public_id),
        "Certificate Number": f"{cert.certificate_number}-V1",
        "Certification Status": "Active",
        "Accreditation Status": "Accredited",
        "Certification Type": "Management System",
        "Certification Scope": "IT services v1",
        "Certification Original Issue Date": "20250115",
        "Certification Issue Date": "20250115",
        "Certification Expiry Date": cert.expiry_date.strftime("%Y%m%d"),
    }
    _, (std,) = read(f.path, spec.STANDARD_AND_SCHEME)
    assert std == {
        CIN: str(cert.public_id),
        "Scheme Name": "ISO/IEC 20000-1:2018",  # no scheme name set: code:edition
        "Standard Name": "ISO/IEC 20000-1:2018",
    }
    _, sites = read(f.path, spec.SITES)
    assert [s["Site City"] for s in sites] == ["北京", "上海", "上海"]
    assert {s["Site Country/Economy"] for s in sites} == {"China"}


@certbody(ACCREDITATION="CNAS C999-M")
def test_scheme_name_and_standard_outside_the_accreditation():
    (cert,) = issued(1)
    std = cert.standard
    std.scheme_name = "Information Technology Service Management Systems"
    std.accredited = False
    std.save()
    (record,) = certsearch_records(on=D(2025, 7, 1))
    assert certification(record)["Accreditation Status"] == "Unaccredited"
    assert record.rows[spec.STANDARD_AND_SCHEME] == [
        (
            str(cert.public_id),
            "Information Technology Service Management Systems",
            "ISO/IEC 20000-1:2018",
        )
    ]


@certbody(ACCREDITATION="")
def test_unaccredited_without_accreditation_setting():
    issued(1)
    (record,) = certsearch_records(on=D(2025, 7, 1))
    assert certification(record)["Accreditation Status"] == "Unaccredited"


def test_dates_are_yyyymmdd_text(tmp_path):
    (cert,) = issued(1, versions=2)
    (f,) = certsearch_write(out_dir=tmp_path, on=D(2025, 7, 1))
    ws = openpyxl.load_workbook(f.path)[spec.CERTIFICATION.title]
    row = {h.value: c for h, c in zip(ws[1], ws[2], strict=True)}
    expected = {
        "Certification Original Issue Date": "20250115",
        "Certification Issue Date": "20250116",  # version 2's effective date
        "Certification Expiry Date": cert.expiry_date.strftime("%Y%m%d"),
    }
    for header, text in expected.items():
        assert row[header].data_type == "s", header
        assert row[header].value == text, header


def test_text_starting_with_equals_stays_text(tmp_path):
    (cert,) = issued(1)
    Certificate.objects.filter(certification=cert).update(scope='=HYPERLINK("x")\x07')
    (f,) = certsearch_write(out_dir=tmp_path, on=D(2025, 7, 1))
    ws = openpyxl.load_workbook(f.path)[spec.CERTIFICATION.title]
    scope = ws.cell(row=2, column=spec.CERTIFICATION.headers.index("Certification Scope") + 1)
    assert scope.data_type == "s"
    assert scope.value == '=HYPERLINK("x")'  # control character dropped, no formula


# -- which certificates ------------------------------------------------------------------------
def test_status_mapped_to_iaf_vocabulary(people):
    # Decisions a month apart, so the one auditor's stage audits never overlap.
    by_state = {
        State.ACTIVE: lc.certified(people, decided_on=D(2025, 1, 15)),
        State.SUSPENDED: lc.certified(people, decided_on=D(2025, 2, 15)),
        State.WITHDRAWN: lc.certified(people, decided_on=D(2025, 3, 15)),
        State.EXPIRED: lc.certified(people, decided_on=D(2022, 1, 15)),
    }
    svc.certification_suspend(
        certification=by_state[State.SUSPENDED],
        reason="Asked",
        by=people.decider,
        on=D(2025, 6, 1),
    )
    svc.certification_withdraw(
        certification=by_state[State.WITHDRAWN],
        reason="Asked",
        by=people.decider,
        on=D(2025, 6, 1),
    )
    svc.certification_expire(certification=by_state[State.EXPIRED], on=D(2025, 1, 15))
    for state, cert in by_state.items():
        cert.refresh_from_db()
        assert cert.state == state
    consent(*by_state.values())
    status_of = {
        cin: certification(r)["Certification Status"] for cin, r in records(D(2025, 7, 1)).items()
    }
    assert status_of == {
        str(by_state[State.ACTIVE].public_id): "Active",
        str(by_state[State.SUSPENDED].public_id): "Suspended",
        str(by_state[State.WITHDRAWN].public_id): "Withdrawn",
        str(by_state[State.EXPIRED].public_id): "Expired",
    }
    # A current certificate past its expiry date is Expired on the export date, even before
    # the nightly expiry task ran.
    active = by_state[State.ACTIVE]
    later = active.expiry_date + datetime.timedelta(days=1)
    rows = records(later)
    assert certification(rows[str(active.public_id)])["Certification Status"] == "Expired"


def test_drafts_refusals_and_non_consenting_clients_left_out(people):
    shown = lc.certified(people, decided_on=D(2025, 1, 15))
    not_consenting = lc.certified(people, decided_on=D(2025, 2, 15))
    applied = lc.apply(people)
    pending, _, _ = lc.pending(people, stage1_start=D(2024, 10, 5), stage2_start=D(2024, 11, 20))
    refused, _, _ = lc.pending(people, stage1_start=D(2024, 10, 12), stage2_start=D(2024, 12, 2))
    svc.certification_refuse(
        certification=refused, reason="Not effective", by=people.decider, on=D(2025, 1, 15)
    )
    refused.refresh_from_db()
    assert (applied.state, pending.state, refused.state) == (
        State.APPLIED,
        State.DECISION_PENDING,
        State.REFUSED,
    )
    consent(shown, applied, pending, refused)
    assert not Client.objects.get(certifications=not_consenting).certsearch_consent
    assert list(records(D(2025, 7, 1))) == [str(shown.public_id)]


def test_newest_version_only_with_the_same_identity_number(people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    consent(cert)
    (before,) = (certification(r) for r in certsearch_records(on=D(2025, 2, 1)))
    lc.extend_scope(
        certification=cert,
        scope="IT services and cloud",
        reason="Asked",
        by=people.decider,
        on=D(2025, 3, 1),
    )
    (after,) = (certification(r) for r in certsearch_records(on=D(2025, 4, 1)))
    assert before["Certificate Number"] == f"{cert.certificate_number}-V1"
    assert after["Certificate Number"] == f"{cert.certificate_number}-V2"
    assert after["Certification Scope"] == "IT services and cloud"
    assert after["Certification Issue Date"] == "20250301"
    assert after["Certification Original Issue Date"] == "20250115"
    assert before[CIN] == after[CIN] == str(cert.public_id)


def test_multi_site_lists_every_site_in_scope(people):
    client = ClientFactory(certsearch_consent=True)
    branch = Site.objects.create(client=client, name="深圳分部", city="深圳", address="南山区1号")
    Site.objects.create(client=client, name="Out of scope", city="广州", address="天河区9号")
    central = client.sites.get(is_central=True)
    cert = lc.certified(people, client=client, sites=[central, branch])
    # Without sites on the application: every site of the client.
    plain_client = ClientFactory(certsearch_consent=True)
    Site.objects.create(client=plain_client, name="Lab", city="杭州", address="西湖区2号")
    plain = lc.certified(people, client=plain_client, decided_on=D(2025, 2, 15))
    rows = records(D(2025, 7, 1))

    def sites(c):  # (street, city) of each site row
        return [(r[2], r[3]) for r in rows[str(c.public_id)].rows[spec.SITES]]

    assert sites(cert) == [(client.address, "北京"), ("南山区1号", "深圳")]
    assert sites(plain) == [(plain_client.address, "北京"), ("西湖区2号", "杭州")]


def test_sites_added_by_a_granted_scope_extension_are_listed_as_printed(people):
    """The Sites tab lists what the certificate prints: the application's sites and those a
    granted scope extension added (certificates.models.sites_in_scope)."""
    client = ClientFactory(certsearch_consent=True)
    central = client.sites.get(is_central=True)
    cert = lc.certified(people, client=client, sites=[central], decided_on=D(2025, 1, 15))
    added = Site.objects.create(
        client=client, name="苏州数据中心", city="苏州", address="工业园区5号"
    )
    v2 = lc.extend_scope(
        certification=cert,
        scope="IT services and the Suzhou data centre",
        reason="Asked",
        by=people.decider,
        on=D(2025, 3, 1),
        sites=[added],
    )
    rows = records(D(2025, 4, 1))[str(cert.public_id)].rows[spec.SITES]
    printed = [(s["address"], s["city"]) for s in v2.holder_snapshot()["sites"]]
    assert (
        [(r[2], r[3]) for r in rows]
        == printed
        == [
            (client.address, "北京"),
            ("工业园区5号", "苏州"),
        ]
    )


def test_restricted_listing_left_out(people):
    shown = lc.certified(people, decided_on=D(2025, 1, 15))
    restricted = lc.certified(people, decided_on=D(2025, 2, 15))
    consent(shown, restricted)
    Client.objects.filter(certifications=restricted).update(restricted_listing=True)
    assert list(records(D(2025, 7, 1))) == [str(shown.public_id)]


# -- files -------------------------------------------------------------------------------------
@certbody(CERTSEARCH_MAX_ROWS=3)
def test_split_at_the_row_limit(tmp_path):
    certs = issued(7)
    files = certsearch_write(out_dir=tmp_path, on=D(2025, 7, 1))
    assert [(f.name, f.rows) for f in files] == [
        ("certsearch-2025-07-01-001.xlsx", 3),
        ("certsearch-2025-07-01-002.xlsx", 3),
        ("certsearch-2025-07-01-003.xlsx", 1),
    ]
    numbers = []
    for f in files:
        headers, rows = read(f.path)
        assert tuple(headers) == spec.CERTIFICATION.headers
        assert len(rows) == f.rows
        numbers += [r["Certificate Number"] for r in rows]
    assert numbers == sorted(f"{c.certificate_number}-V1" for c in certs)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f.name for f in files]


@certbody(CERTSEARCH_MAX_ROWS=3)
def test_writing_again_replaces_the_days_files(tmp_path):
    certs = issued(7)
    certsearch_write(out_dir=tmp_path, on=D(2025, 7, 1))
    Client.objects.filter(certifications__in=certs[:4]).update(certsearch_consent=False)
    files = certsearch_write(out_dir=tmp_path, on=D(2025, 7, 1))
    assert [f.rows for f in files] == [3]
    assert [p.name for p in tmp_path.iterdir()] == ["certsearch-2025-07-01-001.xlsx"]


def test_nothing_to_export_writes_no_file(tmp_path):
    issued(2, consent=False)
    assert certsearch_write(out_dir=tmp_path, on=D(2025, 7, 1)) == []
    assert list(tmp_path.iterdir()) == []


def test_file_over_the_iaf_size_limit_is_refused_and_not_left(tmp_path, monkeypatch):
    issued(2)
    monkeypatch.setattr(certsearch, "MAX_FILE_BYTES", 1000)
    with pytest.raises(CertSearchError, match="over IAF CertSearch's limit"):
        certsearch_write(out_dir=tmp_path, on=D(2025, 7, 1))
    assert list(tmp_path.iterdir()) == []  # neither the file nor its temporary file


def test_queries_do_not_grow_with_rows():
    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            rows = list(certsearch_records(on=D(2025, 7, 1)))
        return len(rows), len(ctx.captured_queries)

    issued(2, sites=3, versions=2)
    rows, queries = count_queries()
    assert rows == 2
    issued(18, sites=3, versions=2)
    assert count_queries() == (20, queries)


def test_query_count_pinned(django_assert_num_queries):
    issued(20, sites=3, versions=2)
    # the certificates, the application sites, the client sites, the technical areas, the
    # scope extensions (their sites: one more query, only when there are extensions)
    with django_assert_num_queries(5):
        assert len(list(certsearch_records(on=D(2025, 7, 1)))) == 20


# -- the command -------------------------------------------------------------------------------
def test_command_writes_files_and_reports_them(tmp_path):
    issued(7)
    out = io.StringIO()
    target = tmp_path / "new" / "folder"
    with certbody(CERTSEARCH_MAX_ROWS=5):
        call_command("export_certsearch", "--out", str(target), "--date", "2025-07-01", stdout=out)
    first, second = (
        target / "certsearch-2025-07-01-001.xlsx",
        target / "certsearch-2025-07-01-002.xlsx",
    )
    assert first.is_file() and second.is_file()
    assert out.getvalue().splitlines() == [
        f"{first}: 5 rows",
        f"{second}: 2 rows",
        "Total: 7 rows in 2 files.",
    ]


def test_command_refuses_a_folder_it_cannot_write(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(CommandError, match="Cannot create the folder"):
        call_command("export_certsearch", "--out", str(blocker / "sub"), stdout=io.StringIO())
    with pytest.raises(CommandError, match="not a date"):
        call_command("export_certsearch", "--out", str(tmp_path), "--date", "1 July")


# -- the admin action --------------------------------------------------------------------------
def run_action(client, user, certs):
    client.force_login(user)
    return client.post(
        reverse("admin:certificates_certification_changelist"),
        {"action": "export_certsearch", "_selected_action": [c.pk for c in certs]},
    )


def test_admin_action_downloads_one_xlsx(client, staff):
    certs = issued(3)
    response = run_action(client, staff, certs[:2])
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    assert ".xlsx" in response["Content-Disposition"]
    headers, rows = read(b"".join(response.streaming_content))
    assert tuple(headers) == spec.CERTIFICATION.headers
    assert {r[CIN] for r in rows} == {str(c.public_id) for c in certs[:2]}


@certbody(CERTSEARCH_MAX_ROWS=3)
def test_admin_action_zips_split_files(client, staff):
    certs = issued(4)
    response = run_action(client, staff, certs)
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = sorted(archive.namelist())
    assert len(names) == 2 and all(n.startswith("certsearch-") for n in names)
    assert [len(read(archive.read(n))[1]) for n in names] == [3, 1]


def test_admin_action_says_when_nothing_qualifies(client, staff, people):
    certs = issued(1, consent=False)
    draft = lc.apply(people)
    response = run_action(client, staff, [*certs, draft])
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Nothing to export" in page


def test_admin_action_only_for_staff_who_manage_certifications(client, staff, decider):
    issued(1)
    url = reverse("admin:certificates_certification_changelist")
    client.force_login(staff)
    assert "export_certsearch" in client.get(url).content.decode()
    client.force_login(decider)
    assert "export_certsearch" not in client.get(url).content.decode()


# -- the monthly task --------------------------------------------------------------------------
def test_monthly_task_writes_the_month_and_mails_staff(tmp_path, staff, decider):
    UserFactory(username="root", is_superuser=True)
    UserFactory(username="gone", role="CB staff", is_active=False)
    UserFactory(username="nomail", role="CB staff", email="")
    issued(4)
    with certbody(CERTSEARCH_EXPORT_DIR=str(tmp_path), CERTSEARCH_MAX_ROWS=3):
        result = export_certsearch_monthly.delay("2025-07-01").get()
    assert result == [["certsearch-2025-07-01-001.xlsx", 3], ["certsearch-2025-07-01-002.xlsx", 1]]
    month = tmp_path / "2025-07"
    assert sorted(p.name for p in month.iterdir()) == [name for name, _ in result]
    assert sorted(m.to[0] for m in mail.outbox) == ["root@example.com", "staff@example.com"]
    assert all(len(m.to) == 1 for m in mail.outbox)
    message = mail.outbox[0]
    assert message.subject == "IAF CertSearch export for 2025-07 is ready"
    assert "ready to upload to IAF CertSearch" in message.body
    assert "certsearch-2025-07-01-001.xlsx: 3 rows" in message.body
    assert "certsearch-2025-07-01-002.xlsx: 1 rows" in message.body
    assert "Total: 4 rows in 2 files." in message.body


def test_monthly_task_twice_replaces_the_months_files(tmp_path, staff):
    issued(2)
    month = tmp_path / "2025-07"
    month.mkdir()
    (month / "certsearch-2025-07-01-002.xlsx").write_bytes(b"stale")
    (month / "certsearch-2025-07-02-001.xlsx").write_bytes(b"older run this month")
    (month / "notes.txt").write_text("someone else's file")
    with certbody(CERTSEARCH_EXPORT_DIR=str(tmp_path)):
        export_certsearch_monthly("2025-07-03")
        export_certsearch_monthly("2025-07-03")
    assert sorted(p.name for p in month.iterdir()) == [
        "certsearch-2025-07-03-001.xlsx",
        "notes.txt",
    ]
    _, rows = read(month / "certsearch-2025-07-03-001.xlsx")
    assert len(rows) == 2
    assert len(mail.outbox) == 1  # the month's first run tells staff, the second does not
    upload = CertSearchUpload.objects.get()
    assert (upload.month, upload.files, upload.uploaded_at) == (
        datetime.date(2025, 7, 1),
        [["certsearch-2025-07-03-001.xlsx", 2]],
        None,
    )
    assert upload.folder == str(month)


def test_a_failed_mail_leaves_the_month_unrecorded_so_the_retry_mails(tmp_path, staff, monkeypatch):
    issued(1)
    from django.core.mail.backends.locmem import EmailBackend

    def refuse(self, messages):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    with certbody(CERTSEARCH_EXPORT_DIR=str(tmp_path)), pytest.raises(ConnectionRefusedError):
        export_certsearch_monthly("2025-07-01")
    assert CertSearchUpload.objects.filter(exported_at__isnull=False).count() == 0
    monkeypatch.undo()
    with certbody(CERTSEARCH_EXPORT_DIR=str(tmp_path)):
        export_certsearch_monthly("2025-07-01")
    assert len(mail.outbox) == 1
    assert CertSearchUpload.objects.get().exported_at is not None


def test_monthly_task_is_on_the_beat_schedule():
    from celery.schedules import crontab

    from certbody.celery import app

    schedule = app.conf.beat_schedule
    assert "expire-certifications-daily" in schedule
    entry = schedule["export-certsearch-monthly"]
    assert entry["task"] == "certificates.tasks.export_certsearch_monthly"
    assert entry["schedule"] == crontab(day_of_month=1, hour=2, minute=0)


def test_recipients_are_active_staff_with_the_permission(staff, decider):
    manager = UserFactory(username="manager")
    manager.groups.add(Group.objects.get(name="CB staff"))
    not_staff = UserFactory(username="outsider", is_staff=False, role="CB staff")
    names = set(certsearch_delivery.certsearch_recipients().values_list("username", flat=True))
    assert names == {"staff", "manager"}
    assert not_staff.username not in names


# -- warnings and failures ---------------------------------------------------------------------
@certbody(ACCREDITATION="")
def test_command_warns_without_accreditation(tmp_path):
    issued(1)
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "export_certsearch", "--out", str(tmp_path), "--date", "2025-07-01", stdout=out, stderr=err
    )
    assert "CERTBODY_ACCREDITATION is not set" in err.getvalue()
    assert "No Scheme Name is set for ISO/IEC 20000-1:2018" in err.getvalue()
    assert out.getvalue().endswith("Total: 1 rows in 1 files.\n")


def test_command_lists_every_problem(tmp_path):
    certs = issued(2)
    Certificate.objects.filter(certification__in=certs).update(scope="x" * 10_001)
    with pytest.raises(CommandError) as caught:
        call_command(
            "export_certsearch",
            "--out",
            str(tmp_path),
            "--date",
            "2025-07-01",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    text = str(caught.value)
    for cert in certs:
        assert f"{cert.certificate_number}-V1" in text
    assert "“Certification Scope”" in text
    assert list(tmp_path.iterdir()) == []


@certbody(ACCREDITATION="")
def test_monthly_mail_says_what_to_set_before_the_upload(tmp_path, staff):
    issued(1)
    with certbody(CERTSEARCH_EXPORT_DIR=str(tmp_path), ACCREDITATION=""):
        export_certsearch_monthly("2025-07-01")
    (message,) = mail.outbox
    assert "Before you upload:" in message.body
    assert "CERTBODY_ACCREDITATION is not set" in message.body


def test_monthly_failure_mails_the_problems(tmp_path, staff):
    (cert,) = issued(1)
    Certificate.objects.filter(certification=cert).update(scope="x" * 10_001)
    with certbody(CERTSEARCH_EXPORT_DIR=str(tmp_path)), pytest.raises(CertSearchError):
        export_certsearch_monthly("2025-07-01")
    (message,) = mail.outbox
    assert message.subject == "IAF CertSearch export for 2025-07 failed"
    assert f"{cert.certificate_number}-V1" in message.body
    assert "“Certification Scope”" in message.body
    assert not CertSearchUpload.objects.filter(exported_at__isnull=False).exists()


def test_standard_admin_sets_scheme_name_and_accreditation(client):
    admin_user = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin_user)
    std = standard()
    url = reverse("admin:clients_standard_change", args=[std.pk])
    page = client.get(url).content.decode()
    for name in ("scheme_name", "accredited", "requires_soa"):
        assert f'name="{name}"' in page, name
    listing = client.get(reverse("admin:clients_standard_changelist")).content.decode()
    assert "within the accreditation" in listing.lower()


def test_site_admin_inline_has_the_new_fields(client):
    admin_user = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin_user)
    c = ClientFactory()
    page = client.get(reverse("admin:clients_client_change", args=[c.pk])).content.decode()
    for name in ("trading_name", "province", "postcode", "sites-0-country", "sites-0-activities"):
        assert f'name="{name}"' in page, name
