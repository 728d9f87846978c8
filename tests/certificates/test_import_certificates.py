# ruff: noqa: RUF001 (full-width characters are what these tests type)
"""Issue 6: importing existing certificates (migrated from the body's previous system, or
transferred from another body) into their lifecycle states through the state machine, all or
nothing, with every problem reported by row, column, value and reason."""

import datetime
import functools
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_fsm_log.models import StateLog

from certificates import public_status as ps
from certificates import services as svc
from certificates.imports.certificate_import import import_certificates
from certificates.models import (
    Certificate,
    CertificateStatus,
    Certification,
    Decision,
    DecisionOutcome,
    State,
)
from certificates.reminders import scan_surveillance
from core.dates import local_today
from reminders.models import Reminder, ReminderKind
from tests.clients import sheets
from tests.factories import ClientFactory, UserFactory, make_uscc, standard

D = datetime.date
ON = D(2026, 3, 1)  # the import date the rules judge by
ZH = [
    "证书编号",
    "统一社会信用代码",
    "企业名称",
    "认证标准",
    "认证范围",
    "初次认证日期",
    "颁证日期",
    "到期日期",
    "证书状态",
    "上次审核日期",
    "下次审核日期",
    "来源",
]
EN = [
    "Certificate number",
    "Unified social credit code",
    "Company name",
    "Standard",
    "Scope",
    "Original certification date",
    "Issue date",
    "Expiry date",
    "Status",
    "Last audit date",
    "Next audit date",
    "Source",
]
SCOPE = "信息技术运维服务"


def row(n, **over):
    values = {
        "number": f"ZX-ITSM-2025-{n:04d}",
        "code": make_uscc(5000 + n),
        "name": f"北京示例信息技术有限公司{n}",
        "standard": "ISO/IEC 20000-1:2018",
        "scope": SCOPE,
        "original": "2019年5月10日",
        "issued": "2025/5/10",
        "expiry": "2028-05-09",
        "status": "有效",
        "last": "2025-04-20",
        "next": "2026-04-20",
        "source": "迁移",
    }
    values.update(over)
    return list(values.values())


# The file's own Chinese headers unless a test gives others.
csv_bytes = functools.partial(sheets.csv_bytes, headers=ZH)
xlsx_bytes = functools.partial(sheets.xlsx_bytes, headers=ZH)


def clients(*ns):
    """The clients of rows ``ns`` (row(n) uses make_uscc(5000 + n)), as the client list made
    them."""
    return {
        n: ClientFactory(
            registration_id=make_uscc(5000 + n), legal_name=f"北京示例信息技术有限公司{n}"
        )
        for n in ns
    }


def errors(report):
    return [(e.row, e.column, e.value, e.message) for e in report.errors]


def written():
    """Everything an import writes."""
    return (
        Certification.objects.count(),
        Certificate.objects.count(),
        Decision.objects.count(),
        StateLog.objects.count(),
        list(Certification.objects.order_by("pk").values_list("pk", "state", "revision")),
    )


def run(data, **kwargs):
    return import_certificates(io.BytesIO(data), on=kwargs.pop("on", ON), **kwargs)


@pytest.fixture
def importer(db):
    return UserFactory(role="Decision maker", username="importer")


# -- good and bad rows, GBK CSV and XLSX -------------------------------------------------------
def test_gbk_csv_with_chinese_headers_reports_every_bad_row_and_writes_nothing(importer):
    clients(1, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14)
    rows = [
        row(1),  # 2: good
        row(3),  # 3: no such client
        row(4, expiry="2025-01-01"),  # 4: expiry before issue
        row(5, issued="2023-02-02", expiry="2026-02-01", next=""),  # 5: Active, but expired
        row(6, status="暂停", source="转入"),  # 6: a suspended certificate transferred
        row(1, code=make_uscc(5007), name=""),  # 7: the number of row 2 again
        row(8, standard="ISO 14001"),  # 8: unknown standard
        row(9, original="", expiry="2028-06-01"),  # 9: a first cycle longer than 3 years
        row(10, original="2025-06-01"),  # 10: original date after the issue date
        row(11, next="2029-01-01"),  # 11: next audit outside the cycle
        row(12, status="作废"),  # 12: unknown status
        row(13, issued="2025-13-40"),  # 13: not a date
        row(14, status="暂停", next=""),  # 14: good (suspended)
    ]
    before = written()
    report = run(csv_bytes(rows, encoding="gbk"), by=importer)

    assert (report.format, report.encoding) == ("csv", "gb18030")
    assert not report.ok and not report.committed
    assert errors(report) == [
        (3, "统一社会信用代码", make_uscc(5003), "no client with this credit code in certbody: "
         "import the client list first"),
        (4, "到期日期", "2025-01-01", "The expiry date must be after the issue date (2025-05-10)."),
        (5, "证书状态", "有效", "A certificate that expired on 2026-02-01 cannot be Active: "
         "import it as Expired."),
        (6, "证书状态", "暂停", "Only a valid (Active) certificate can be transferred from "
         "another body, never a Suspended one (IAF MD 2)."),
        (7, "证书编号", "ZX-ITSM-2025-0001", "the same certificate number as row 2: each "
         "certificate once per file"),
        (8, "认证标准", "ISO 14001", "unknown standard; known: ISO 9001:2015, "
         "ISO/IEC 20000-1:2018, ISO/IEC 27001:2022 (code and edition, e.g. ISO/IEC 20000-1:2018)"),
        (9, "到期日期", "2028-06-01", "A certification cycle lasts at most 3 years: from this "
         "issue date the expiry date is at the latest 2028-05-10."),
        (10, "初次认证日期", "2025-06-01", "The original certification date must not be after "
         "the issue date (2025-05-10)."),
        (11, "下次审核日期", "2029-01-01", "The next audit must fall within the certification "
         "cycle (2025-05-10 to 2028-05-09)."),
        (12, "证书状态", "作废", "unknown status: one of 有效/Active, 暂停/Suspended, "
         "撤销/Withdrawn, 注销/Cancelled, 过期/失效/Expired"),
        (13, "颁证日期", "2025-13-40", 'not a date: "2025-13-40" (there is no such day)'),
    ]  # fmt: skip
    assert report.error_count == 11
    assert written() == before  # all or nothing
    # The preview still counted what the good rows would do.
    assert (report.total, report.created) == (13, 2)
    assert report.by_state == {State.ACTIVE: 1, State.SUSPENDED: 1}


def test_xlsx_with_chinese_headers_and_date_cells(importer):
    clients(1, 2, 3, 4, 5, 6, 7)
    dt = datetime.datetime
    rows = [
        row(1, issued=dt(2025, 5, 10), expiry=dt(2028, 5, 9), original=dt(2019, 5, 10)),
        row(2, status="撤销", source="转入"),  # 3: withdrawn, transferred
        row(3, status="过期", issued=D(2024, 2, 1), expiry=D(2027, 1, 31)),  # 4: not expired
        row(4, status="失效", issued="2022-05-10", expiry="2025-05-09", next="", last=""),  # good
        row(5, status="有效", next=dt(2025, 1, 1)),  # 6: next audit before the cycle
        row(6, number="ZX-ITSM-2025-0106", standard="ISO/IEC 20000-1"),  # 7: good
        row(6, number="ZX-ITSM-2025-0206", standard="20000-1"),  # 8: same client and standard
        row(7, code=" " + make_uscc(5007).lower() + " ", name="北京示例信息技术有限公司7（原名）"),
    ]
    before = written()
    report = run(xlsx_bytes(rows), by=importer)
    assert report.format == "xlsx"
    assert errors(report) == [
        (3, "证书状态", "撤销", "Only a valid (Active) certificate can be transferred from "
         "another body, never a Withdrawn one (IAF MD 2)."),
        (4, "证书状态", "过期", "The certificate is valid until 2027-01-31, so it has not "
         "expired: import it as Active, Suspended or Withdrawn."),
        (6, "下次审核日期", "2025-01-01", "The next audit must fall within the certification "
         "cycle (2025-05-10 to 2028-05-09)."),
        (8, "认证标准", "ISO/IEC 20000-1:2018", "the same client and standard as row 7: a client "
         "holds one certification per standard"),
    ]  # fmt: skip
    assert written() == before
    assert report.created == 4  # rows 2, 5, 7 and 9 (credit code and name written loosely)


def test_english_headers_and_values_import(importer):
    c = clients(1, 2)
    data = csv_bytes(
        [
            row(1, status="ACTIVE", source="Transferred"),
            row(
                2, status=" expired ", issued="20220510", expiry="2025年5月9日", next="", source=""
            ),
        ],
        headers=EN,
    )
    report = run(data, by=importer)
    assert report.ok and report.committed, errors(report)
    assert (report.created, report.transferred) == (2, 1)
    assert c[1].certifications.get().state == State.ACTIVE
    assert c[2].certifications.get().state == State.EXPIRED


def test_missing_required_columns_and_unknown_columns_are_reported(importer):
    headers = [h for h in ZH if h not in ("证书状态", "颁证日期")] + ["备注"]
    data = csv_bytes([row(1)[:8] + row(1)[9:] + ["x"]], headers=[*headers])
    report = run(data, by=importer)
    assert errors(report) == [
        (1, "颁证日期", "", "required column missing (header 颁证日期 or Issue date)"),
        (1, "证书状态", "", "required column missing (header 证书状态 or Status)"),
    ]
    assert report.unknown_columns == ["备注"]


# -- lifecycle states --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "written_status, state, certificate_status, public",
    [
        ("有效", State.ACTIVE, CertificateStatus.CURRENT, ps.ACTIVE),
        ("Suspended", State.SUSPENDED, CertificateStatus.SUSPENDED, ps.SUSPENDED),
        ("撤销", State.WITHDRAWN, CertificateStatus.WITHDRAWN, ps.WITHDRAWN),
        # Cancelled (注销): withdrawn at the client's request, not for its failings.
        ("注销", State.WITHDRAWN, CertificateStatus.CANCELLED, ps.CANCELLED),
        ("过期", State.EXPIRED, CertificateStatus.EXPIRED, ps.EXPIRED),
    ],
)
def test_each_status_lands_in_its_state_with_history_saying_imported(
    importer, written_status, state, certificate_status, public
):
    client = clients(1)[1]
    dates = {"issued": "2025-05-10", "expiry": "2028-05-09", "next": "2026-04-20"}
    if state == State.EXPIRED:
        dates = {"issued": "2022-05-10", "expiry": "2025-05-09", "next": "", "last": "2024-04-01"}
    report = run(csv_bytes([row(1, status=written_status, **dates)]), by=importer)
    assert report.ok and report.committed, errors(report)

    cert = Certification.objects.get(client=client)
    assert cert.state == state
    assert cert.certificate_number == "ZX-ITSM-2025-0001"
    assert cert.scope == SCOPE
    assert cert.original_certification_date == D(2019, 5, 10)
    assert cert.cycle_start == D.fromisoformat(dates["issued"])
    assert cert.expiry_date == D.fromisoformat(dates["expiry"])
    log = StateLog.objects.for_(cert).get()
    assert (log.transition, log.source_state, log.state, log.by) == (
        "import_existing",
        State.APPLIED,
        state,
        importer,
    )
    assert log.description == (
        "Imported: certification migrated from the body's previous system; certificate "
        "ZX-ITSM-2025-0001."
    )
    version = cert.certificates.get()
    assert (version.number, version.version, version.full_number) == (
        "ZX-ITSM-2025-0001",
        1,
        "ZX-ITSM-2025-0001-V1",
    )
    assert version.status == certificate_status
    assert version.effective_date == cert.cycle_start
    assert version.holder["legal_name"] == client.legal_name
    assert version.holder["sites"][0]["is_central"] is True
    assert not version.pdf  # the printed original is the old system's
    assert ps.certification_public_status(cert) == public
    grant = version.decision
    assert (grant.outcome, grant.decided_on, grant.decided_by) == (
        DecisionOutcome.GRANT,
        cert.cycle_start,
        None,
    )
    if state == State.ACTIVE:
        assert cert.next_surveillance_due == D(2026, 4, 20)
        assert (cert.suspended_on, cert.expired_on) == (None, None)
    elif state == State.SUSPENDED:
        assert (cert.suspended_on, cert.suspension_deadline) == (ON, D(2026, 9, 1))
        assert cert.decisions.filter(outcome=DecisionOutcome.SUSPEND, decided_on=ON).exists()
    elif state == State.WITHDRAWN:
        assert cert.next_surveillance_due is None
        ending = cert.decisions.get(outcome=DecisionOutcome.WITHDRAW, decided_on=ON)
        cancelled = written_status == "注销"
        assert (ending.ending, ending.at_client_request) == (
            "client_request" if cancelled else "withdrawn",
            cancelled,
        )
        assert cert.decisions.filter(outcome=DecisionOutcome.WITHDRAW, decided_on=ON).exists()
    else:
        assert (cert.expired_on, cert.next_surveillance_due) == (D(2025, 5, 10), None)


def test_transferred_certificate_history_says_transfer(importer):
    client = clients(1)[1]
    assert run(csv_bytes([row(1, source="转入")]), by=importer).committed
    log = StateLog.objects.for_(client.certifications.get()).get()
    assert log.description == (
        "Imported from another certification body (transfer, IAF MD 2); certificate "
        "ZX-ITSM-2025-0001."
    )


def test_next_surveillance_due_computed_from_the_last_audit_when_not_given(importer):
    clients(1, 2, 3)
    report = run(
        csv_bytes(
            [
                row(1, next="", last=""),  # none held yet: the first, 12 months after issue
                row(2, next="", last="2026-02-01"),  # surveillance 1 held
                row(3, issued="2023-05-10", expiry="2026-05-09", next="", last="2025-04-01"),
            ]
        ),
        by=importer,
    )
    assert report.committed, errors(report)
    due = dict(Certification.objects.values_list("certificate_number", "next_surveillance_due"))
    done = dict(Certification.objects.values_list("certificate_number", "surveillances_done"))
    assert due == {
        "ZX-ITSM-2025-0001": D(2026, 5, 10),
        "ZX-ITSM-2025-0002": D(2027, 5, 10),
        "ZX-ITSM-2025-0003": None,  # both surveillances held: recertification year
    }
    assert done == {"ZX-ITSM-2025-0001": 0, "ZX-ITSM-2025-0002": 1, "ZX-ITSM-2025-0003": 2}


def test_active_import_is_on_the_public_verification_page(client, importer):
    clients(1)
    today = local_today()
    issued = today - datetime.timedelta(days=200)
    expiry = Certification.expiry_for(issued)
    data = csv_bytes([row(1, issued=issued.isoformat(), expiry=expiry.isoformat(), next="")])
    assert import_certificates(io.BytesIO(data), by=importer).committed
    n = "ZX-ITSM-2025-0001"
    response = client.get(reverse("public:certificate", kwargs={"number": n}))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>Certificate {n}-V1</h1>" in html
    assert "北京示例信息技术有限公司1" in html
    data = client.get(reverse("public_api:certificate", kwargs={"number": n.lower()})).json()
    assert (data["number"], data["status"], data["standard"]) == (
        f"{n}-V1",
        "Active",
        "ISO/IEC 20000-1:2018",
    )
    assert (data["effective_date"], data["expiry_date"], data["original_certification_date"]) == (
        issued.isoformat(),
        expiry.isoformat(),
        "2019-05-10",
    )


def test_surveillance_reminders_find_an_imported_active_certification(importer, people):
    client = clients(1)[1]
    assert run(csv_bytes([row(1, next="2026-04-20")]), by=importer).committed
    cert = client.certifications.get()
    result = scan_surveillance(today=D(2026, 3, 21))  # 30 days before
    assert result.created[ReminderKind.SURVEILLANCE_DUE] == 1
    reminder = Reminder.objects.get(kind=ReminderKind.SURVEILLANCE_DUE)
    assert (reminder.object_id, reminder.due_date, reminder.lead_days) == (
        cert.pk,
        D(2026, 4, 20),
        30,
    )


# -- the state machine is never bypassed -------------------------------------------------------
def test_the_transition_itself_refuses_what_the_import_refuses(importer):
    client = clients(1)[1]
    common = dict(
        client=client,
        standard=standard(),
        number="ZX-1",
        scope=SCOPE,
        by=importer,
        on=ON,
    )
    with pytest.raises(svc.CertificationError) as err:
        svc.certification_import_existing(
            issued_on=D(2025, 5, 10),
            expiry_date=D(2028, 5, 9),
            status=State.SUSPENDED,
            transferred=True,
            **common,
        )
    assert err.value.messages == [
        "Only a valid (Active) certificate can be transferred from another body, never a "
        "Suspended one (IAF MD 2)."
    ]
    with pytest.raises(svc.CertificationError) as err:
        svc.certification_import_existing(
            issued_on=D(2023, 2, 2), expiry_date=D(2026, 2, 1), status=State.ACTIVE, **common
        )
    assert err.value.messages == [
        "A certificate that expired on 2026-02-01 cannot be Active: import it as Expired."
    ]
    assert Certification.objects.count() == 0  # the service's transaction rolled back
    # Only from "applied": an active certification cannot be imported over.
    svc.certification_import_existing(
        issued_on=D(2025, 5, 10), expiry_date=D(2028, 5, 9), status=State.ACTIVE, **common
    )
    cert = client.certifications.get()
    with pytest.raises(svc.CertificationError) as err:
        svc.certification_import_existing(
            issued_on=D(2025, 5, 10),
            expiry_date=D(2028, 5, 9),
            status=State.ACTIVE,
            certification=cert,
            **common,
        )
    assert err.value.messages == [
        "“Import an existing certificate” is not possible while certification is “Active”."
    ]
    # A second certification of the client to the standard: the database's constraint.
    with pytest.raises(svc.CertificationConflict) as err:
        svc.certification_import_existing(
            issued_on=D(2025, 5, 10), expiry_date=D(2028, 5, 9), status=State.ACTIVE, **common
        )
    assert err.value.messages == [
        f"{client} already has a certification to ISO/IEC 20000-1:2018 in progress (“Active”)."
    ]
    assert Certification.objects.count() == 1


def test_transferred_suspended_and_active_past_expiry_are_refused(importer):
    clients(1, 2)
    report = run(
        csv_bytes(
            [
                row(1, status="Suspended", source="Transferred"),
                row(2, status="Active", issued="2023-01-10", expiry="2026-01-09", next=""),
            ]
        ),
        by=importer,
    )
    assert [(e.row, e.column) for e in report.errors] == [(2, "证书状态"), (3, "证书状态")]
    assert Certification.objects.count() == 0


def test_without_permission_nothing_is_read(importer):
    clients(1)
    report = run(csv_bytes([row(1)]), by=UserFactory(role="CB staff", username="s"))
    assert report.file_error == ["You do not have permission to import certificates."]
    assert Certification.objects.count() == 0


# -- all or nothing, idempotence, existing certifications ----------------------------------------
def test_a_bad_last_row_leaves_the_database_unchanged(importer):
    clients(*range(1, 31))
    rows = [row(n) for n in range(1, 30)] + [row(30, expiry="2024-01-01")]
    before = written()
    report = run(csv_bytes(rows), by=importer)
    assert [(e.row, e.column) for e in report.errors] == [(31, "到期日期")]
    assert report.created == 29 and not report.committed
    assert written() == before


def test_dry_run_writes_nothing(importer):
    clients(1, 2)
    before = written()
    report = run(csv_bytes([row(1), row(2)]), by=importer, dry_run=True)
    assert report.ok and not report.committed and report.created == 2
    assert written() == before


def test_import_twice_changes_nothing_and_a_changed_value_is_an_error(importer):
    clients(1, 2, 3)
    data = csv_bytes([row(1), row(2, status="暂停"), row(3, status="过期", issued="2022-05-10",
                                                       expiry="2025-05-09", next="")])  # fmt: skip
    first = run(data, by=importer)
    assert (first.created, first.unchanged, first.committed) == (3, 0, True)
    after_first = written()

    again = run(data, by=importer, on=ON + datetime.timedelta(days=3))
    assert (again.created, again.unchanged, again.ok) == (0, 3, True)
    assert written() == after_first

    changed = run(csv_bytes([row(1, scope="软件开发", expiry="2028-05-08")]), by=importer)
    assert errors(changed) == [
        (2, "证书编号", "ZX-ITSM-2025-0001", "this certificate is already in certbody, in state "
         "“Active”, with other values (认证范围, 到期日期); change it in the admin"),
    ]  # fmt: skip
    assert written() == after_first


def test_a_client_with_a_certification_to_the_standard_is_an_error(importer):
    clients(1)
    assert run(csv_bytes([row(1)]), by=importer).committed
    report = run(csv_bytes([row(1, number="OTHER-1")]), by=importer)
    assert errors(report) == [
        (2, "认证标准", "ISO/IEC 20000-1:2018", "北京示例信息技术有限公司1 already has a "
         "certification to ISO/IEC 20000-1:2018 (state “Active”, certificate "
         "ZX-ITSM-2025-0001): a client holds one certification per standard"),
    ]  # fmt: skip


def test_an_open_application_for_the_standard_is_taken_into_the_lifecycle(importer):
    client = clients(1)[1]
    applied = Certification.objects.create(client=client, standard=standard(), scope="旧范围")
    report = run(csv_bytes([row(1)]), by=importer)
    assert report.committed, errors(report)
    cert = Certification.objects.get()
    assert (cert.pk, cert.state, cert.scope) == (applied.pk, State.ACTIVE, SCOPE)


def test_company_name_of_another_client_is_an_error(importer):
    clients(1, 2)
    report = run(csv_bytes([row(1, name="北京示例信息技术有限公司2")]), by=importer)
    assert errors(report) == [
        (2, "企业名称", "北京示例信息技术有限公司2", "the client with this credit code is "
         "“北京示例信息技术有限公司1”: check the code (or leave the company name empty)"),
    ]  # fmt: skip


def test_queries_per_row_are_constant(importer):
    clients(*range(1, 41))

    def queries(ns):
        with CaptureQueriesContext(connection) as ctx:
            report = run(csv_bytes([row(n) for n in ns]), by=importer, dry_run=True)
        assert report.ok, errors(report)
        return len(ctx.captured_queries)

    queries(range(1, 3))  # warm caches (the user's permissions, content types)
    ten, forty = queries(range(1, 11)), queries(range(1, 41))
    per_row = (forty - ten) / 30
    assert per_row == int(per_row) and per_row <= 9, (ten, forty)


# -- the command ---------------------------------------------------------------------------------
def test_command_exit_codes(tmp_path, capsys, importer):
    clients(1, 2)
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes([row(1), row(2, status="暂停")], encoding="gbk"))
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx_bytes([row(1), row(2, expiry="2020-01-01")]))

    with pytest.raises(CommandError) as err:
        call_command("import_certificates", str(bad), "--on", "2026-03-01")
    assert err.value.returncode == 1
    assert Certification.objects.count() == 0
    out = capsys.readouterr()
    assert (
        'row 3, 到期日期 "2020-01-01": The expiry date must be after the issue date '
        "(2025-05-10)." in out.err
    )

    call_command("import_certificates", str(good), "--dry-run", "--on", "2026-03-01")
    assert "Dry run: nothing was written." in capsys.readouterr().out
    assert Certification.objects.count() == 0

    call_command("import_certificates", str(good), "--encoding", "gbk", "--on", "2026-03-01")
    out = capsys.readouterr().out
    assert "2 certificates to import (Active: 1, Suspended: 1; 0 transferred" in out
    assert "Imported." in out
    assert sorted(Certification.objects.values_list("state", flat=True)) == [
        State.ACTIVE,
        State.SUSPENDED,
    ]
    assert {log.by for log in StateLog.objects.all()} == {None}  # the system imported

    call_command("import_certificates", str(good), "--on", "2026-03-01")
    assert "0 certificates to import" in capsys.readouterr().out

    with pytest.raises(CommandError):
        call_command("import_certificates", str(tmp_path / "missing.csv"))


def test_issue_date_in_the_future_and_last_audit_in_the_future_are_errors(importer):
    clients(1)
    report = run(csv_bytes([row(1, issued="2026-03-02", last="2026-03-05", next="")]), by=importer)
    assert errors(report) == [
        (2, "上次审核日期", "2026-03-05", "in the future"),
        (2, "颁证日期", "2026-03-02", "The issue date is in the future."),
    ]


def test_a_recertified_certificate_may_run_from_the_old_expiry(importer):
    # Recertified on 2025-05-10, before the old expiry of 2025-09-01: the new cycle runs to
    # 2028-08-31, more than 3 years from the issue date. A first certificate may not.
    clients(1, 2)
    report = run(csv_bytes([row(1, expiry="2028-08-31", next="")]), by=importer)
    assert report.ok, report.errors
    report = run(csv_bytes([row(2, original="", expiry="2028-08-31", next="")]), by=importer)
    assert [e.column for e in report.errors] == ["到期日期"]
