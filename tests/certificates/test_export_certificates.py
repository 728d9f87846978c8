"""Issue 6: the export of existing certificates in the certificate import's columns, CSV or
XLSX, Chinese or English: imported again, every row is unchanged and nothing is written."""

import datetime
import io

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certificates import services as svc
from certificates.imports.certificate_export import export_certificates
from certificates.imports.certificate_import import import_certificates
from certificates.models import Certificate, Certification, State
from tests import lifecycle as lc
from tests.certificates import test_import_certificates
from tests.certificates.test_import_certificates import (
    EN,
    ON,
    SCOPE,
    ZH,
    clients,
    csv_bytes,
    errors,
    row,
    run,
    written,
)
from tests.factories import UserFactory, standard

D = datetime.date
importer = test_import_certificates.importer  # the fixture: a decision maker
CHANGELIST = "admin:certificates_certification_changelist"


def export(fmt="csv", language="zh", queryset=None):
    out = io.BytesIO()
    count = export_certificates(out, format=fmt, language=language, queryset=queryset)
    return count, out.getvalue()


def table(data, fmt):
    """Headers and rows of an exported file, as strings (dates ISO)."""
    if fmt == "csv":
        import csv

        lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        return lines[0], lines[1:]
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
    values = [
        [
            v.date().isoformat() if isinstance(v, datetime.datetime) else ("" if v is None else v)
            for v in r
        ]
        for r in sheet.iter_rows(values_only=True)
    ]
    return values[0], values[1:]


def imported_mix(importer):
    """Five certificates imported from a file, one per state, one transferred, and an open
    application of a sixth client (not exported)."""
    found = clients(1, 2, 3, 4, 5, 6)
    data = csv_bytes(
        [
            row(1),
            row(2, status="暂停", next=""),
            row(3, status="撤销", last=""),
            row(4, status="过期", issued="2022-05-10", expiry="2025-05-09", next=""),
            row(5, original="", source="转入", next="2026-05-10"),
        ]
    )
    report = run(data, by=importer)
    assert report.committed, errors(report)
    Certification.objects.create(client=found[6], standard=standard(), scope=SCOPE)


# -- certificates imported from a file ---------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_imported_certificates_export_and_import_back_unchanged(importer, fmt, language):
    imported_mix(importer)
    count, data = export(fmt, language)
    assert count == 5  # the open application has no certificate

    headers, rows = table(data, fmt)
    assert headers == (ZH if language == "zh" else EN)
    by_number = {r[0]: r for r in rows}
    zh = language == "zh"
    assert by_number["ZX-ITSM-2025-0001"][1:] == [
        clients_code(1),
        "北京示例信息技术有限公司1",
        "ISO/IEC 20000-1:2018",
        SCOPE,
        "2019-05-10",
        "2025-05-10",
        "2028-05-09",
        "有效" if zh else "Active",
        "",  # no audit held in certbody
        "2026-04-20",
        "迁移" if zh else "Migrated",
    ]
    statuses = [by_number[f"ZX-ITSM-2025-{n:04d}"][8] for n in (2, 3, 4, 5)]
    assert statuses == (
        ["暂停", "撤销", "过期", "有效"] if zh else ["Suspended", "Withdrawn", "Expired", "Active"]
    )
    # Transferred in, exported as the body's own (migrated): the import compares no source.
    assert by_number["ZX-ITSM-2025-0005"][11] == ("迁移" if zh else "Migrated")

    before = written()
    report = run(data, by=importer)
    assert report.ok, errors(report)
    assert (report.total, report.unchanged, report.created) == (5, 5, 0)
    assert report.unknown_columns == []
    assert written() == before


def clients_code(n):
    from tests.factories import make_uscc

    return make_uscc(5000 + n)


def test_a_changed_certification_no_longer_matches_the_old_export(importer):
    imported_mix(importer)
    _, data = export()
    cert = Certification.objects.get(certificate_number="ZX-ITSM-2025-0001")
    svc.certification_suspend(certification=cert, reason="Client asked", by=importer, on=ON)
    report = run(data, by=importer)
    assert [(e.row, e.column) for e in report.errors] == [(2, "证书编号")]
    assert "“Suspended”" in report.errors[0].message and "证书状态" in report.errors[0].message
    # Exported again, it matches again.
    _, data = export()
    assert run(data, by=importer).unchanged == 5


# -- certificates certbody issued itself -------------------------------------------------------
IMPORT_ON = D(2026, 1, 10)


def lifecycle_mix(people):
    """Certifications certbody took through its own lifecycle, in every state the export
    carries, with the cases where the certificate's dates differ from the cycle's."""
    made = {}
    made["surveilled"] = lc.certified(people, decided_on=D(2025, 1, 15))
    lc.surveillance(made["surveilled"], people, start=D(2025, 12, 1))
    # (Dates apart: the same auditors cannot be on two audits at once.)
    made["suspended"] = lc.certified(people, decided_on=D(2025, 2, 15))
    svc.certification_suspend(
        certification=made["suspended"], reason="Asked", by=people.decider, on=D(2025, 6, 1)
    )
    made["withdrawn"] = lc.certified(people, decided_on=D(2025, 3, 15))
    svc.certification_withdraw(
        certification=made["withdrawn"], reason="Asked", by=people.decider, on=D(2025, 6, 1)
    )

    # Recertified on 2025-12-15, before the old expiry (2026-02-28): the new certificate is
    # issued that day, the new cycle starts on 2026-03-01 (after the import date).
    early = lc.certified(people, decided_on=D(2023, 3, 1))
    lc.recert_audit(early, people, start=D(2025, 11, 10))
    svc.certification_recertify(certification=early, by=people.decider, on=D(2025, 12, 15))
    made["recertified"] = early

    # Expired on 2025-06-01, restored on 2025-08-01: the cycle runs from the old expiry.
    late = lc.certified(people, decided_on=D(2022, 6, 1))
    svc.certification_expire(certification=late, on=D(2025, 6, 1))
    late.refresh_from_db()
    lc.recert_audit(late, people, start=D(2025, 7, 1))
    svc.certification_restore_after_expiry(certification=late, by=people.decider, on=D(2025, 8, 1))
    made["restored"] = late

    gone = lc.certified(people, decided_on=D(2022, 7, 1))
    svc.certification_expire(certification=gone, on=D(2025, 7, 1))
    made["expired"] = gone

    wider = lc.certified(people, decided_on=D(2025, 4, 15))
    lc.extend_scope(
        certification=wider, scope=f"{SCOPE}; 软件开发", reason="Asked", by=people.decider,
        on=D(2025, 6, 1),
    )  # fmt: skip
    made["extended"] = wider

    # Stage 1 planned 14 days ahead, on the day of acceptance (2024-09-10) at the earliest.
    refused, _, _ = lc.pending(people, stage1_start=D(2024, 9, 24), stage2_start=D(2024, 11, 4))
    svc.certification_refuse(
        certification=refused, reason="Not effective", by=people.decider, on=D(2024, 11, 20)
    )  # neither this nor the application below is exported
    lc.apply(people)
    for cert in made.values():
        cert.refresh_from_db()
    return made


@pytest.mark.parametrize(("fmt", "language"), [("csv", "zh"), ("xlsx", "en")])
def test_lifecycle_certificates_export_and_import_back_unchanged(people, importer, fmt, language):
    made = lifecycle_mix(people)
    assert made["recertified"].cycle_start == D(2026, 3, 1) > IMPORT_ON
    count, data = export(fmt, language)
    assert count == len(made) == 7

    _, rows = table(data, fmt)
    by_number = {r[0]: dict(zip(ZH, r, strict=True)) for r in rows}
    assert set(by_number) == {c.certificate_number for c in made.values()}
    surveilled = by_number[made["surveilled"].certificate_number]
    # The surveillance is the latest closed audit of the cycle; the next one is due a year on.
    assert (surveilled["上次审核日期"], surveilled["下次审核日期"]) == ("2025-12-01", "2027-01-15")
    recertified = by_number[made["recertified"].certificate_number]
    # The issue date of the certificate (the decision), not the cycle start in the future;
    # the recertification audit belongs to the cycle it renewed.
    assert (recertified["颁证日期"], recertified["到期日期"], recertified["上次审核日期"]) == (
        "2025-12-15",
        "2029-02-28",
        "",
    )
    restored = by_number[made["restored"].certificate_number]
    assert (restored["初次认证日期"], restored["颁证日期"]) == ("2022-06-01", "2025-06-01")
    assert by_number[made["extended"].certificate_number]["颁证日期"] == "2025-04-15"
    assert by_number[made["expired"].certificate_number]["下次审核日期"] == ""

    before = written()
    report = run(data, by=importer, on=IMPORT_ON)
    assert report.ok, errors(report)
    assert (report.total, report.unchanged, report.created) == (7, 7, 0)
    assert written() == before


def test_a_recertified_certificate_is_also_unchanged_by_its_cycle_start(people, importer):
    # A file giving the cycle start as the issue date (once it has begun) is the same
    # certificate too.
    cert = lifecycle_mix(people)["recertified"]
    _, data = export()
    text = data.decode("utf-8-sig").replace(",2025-12-15,", ",2026-03-01,")
    assert text.count(",2026-03-01,") == 1
    before = written()
    report = run(text.encode(), by=importer, on=D(2026, 3, 2))
    assert report.ok, errors(report)
    assert report.unchanged == 7 and written() == before
    assert Certification.objects.get(pk=cert.pk).cycle_start == D(2026, 3, 1)


# -- queries, the command, the admin -----------------------------------------------------------
def test_queries_do_not_grow_with_rows(importer):
    clients(*range(1, 31))
    report = run(csv_bytes([row(n) for n in range(1, 31)]), by=importer)
    assert report.committed, errors(report)
    for cert in Certification.objects.all()[:3]:  # more than one version for some
        lc.extend_scope(
            certification=cert, scope=f"{SCOPE}; 软件开发", reason="Asked", by=importer, on=ON
        )

    def queries(pks):
        queryset = Certification.objects.filter(pk__in=pks)
        with CaptureQueriesContext(connection) as ctx:
            count, _ = export("xlsx", queryset=queryset)
        assert count == len(pks)
        return len(ctx.captured_queries)

    pks = list(Certification.objects.order_by("pk").values_list("pk", flat=True))
    three, thirty = queries(pks[:3]), queries(pks)
    assert three == thirty == 3, (three, thirty)  # certifications, versions, audits


def test_command_writes_a_file_that_imports_back_unchanged(tmp_path, capsys, importer):
    imported_mix(importer)
    path = tmp_path / "certificates.xlsx"
    call_command("export_certificates", "--out", str(path), "--language", "en")
    assert f"Wrote 5 certificates to {path}." in capsys.readouterr().out
    assert table(path.read_bytes(), "xlsx")[0] == EN
    gbk = tmp_path / "certificates.csv"
    call_command("export_certificates", "--out", str(gbk), "--encoding", "gb18030")
    before = written()
    for file in (path, gbk):
        report = import_certificates(str(file), on=ON, by=importer)
        assert report.ok and report.unchanged == 5, errors(report)
    assert written() == before


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_admin_action_exports_the_selected_certificates(client, decider, importer, fmt):
    imported_mix(importer)
    chosen = list(
        Certification.objects.filter(
            certificate_number__in=["ZX-ITSM-2025-0001", "ZX-ITSM-2025-0004"]
        ).values_list("pk", flat=True)
    )
    client.force_login(decider)
    response = client.post(
        reverse(CHANGELIST),
        {"action": f"export_certificates_{fmt}", "_selected_action": chosen},
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="certificates-')
    assert response["Content-Disposition"].endswith(f'.{fmt}"')
    before = written()
    report = import_certificates(io.BytesIO(response.content), dry_run=True, on=ON, by=decider)
    assert report.ok, errors(report)
    assert (report.total, report.unchanged, report.created) == (2, 2, 0)
    assert written() == before


def test_admin_action_with_nothing_to_export_says_so(client, staff, importer):
    imported_mix(importer)
    application = Certification.objects.get(state=State.APPLIED)
    client.force_login(staff)
    response = client.post(
        reverse(CHANGELIST),
        {"action": "export_certificates_csv", "_selected_action": [application.pk]},
        follow=True,
    )
    assert "attachment" not in response.get("Content-Disposition", "")
    assert "Nothing to export" in response.content.decode()


def test_admin_action_needs_permission_to_view_certifications(client, importer):
    imported_mix(importer)
    nobody = UserFactory(username="nobody")  # staff, in no group
    client.force_login(nobody)
    response = client.post(
        reverse(CHANGELIST),
        {
            "action": "export_certificates_xlsx",
            "_selected_action": list(Certificate.objects.values_list("certification", flat=True)),
        },
    )
    assert response.status_code == 403
