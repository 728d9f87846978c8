"""Rule 1: an application is accepted only with every intake condition met and every required
document received; the refusal names exactly what is missing."""

import datetime

import pytest
from django.utils import translation
from django_fsm_log.models import StateLog

from audits import services as audit_svc
from certificates import services as svc
from certificates.models import Certification, State
from certificates.services import CertificationError
from clients.models import ApplicationDocument, RequiredDocument
from tests import lifecycle as lc
from tests.factories import ClientFactory, standard

D = datetime.date
pytestmark = pytest.mark.django_db

RECEIVED = D(2024, 9, 1)


def under_review(people, *, complete=True, client=None, **fields):
    """An application received on 2024-09-01 (valid unless ``fields`` say otherwise), under
    review since 2024-09-05."""
    cert = lc.apply(people, client=client, received_on=RECEIVED, complete=complete, **fields)
    return svc.certification_start_review(certification=cert, by=people.staff, on=D(2024, 9, 5))


def refusal(cert, people):
    """Try to accept; return the messages. The refusal must change nothing."""
    before = (cert.state, cert.revision, StateLog.objects.for_(cert).count())
    with pytest.raises(CertificationError) as err:
        svc.certification_accept(certification=cert, by=people.staff, on=D(2024, 9, 10))
    row = Certification.objects.get(pk=cert.pk)
    assert (row.state, row.revision, StateLog.objects.for_(row).count()) == before
    assert row.state == State.UNDER_REVIEW
    return err.value.messages


def test_complete_application_is_accepted(people):
    cert = under_review(people)
    assert cert.application.intake_problems(standard=cert.standard) == []
    cert = svc.certification_accept(certification=cert, by=people.staff, on=D(2024, 9, 10))
    assert cert.state == State.ACCEPTED


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"system_operating_since": D(2024, 6, 2)},
            "The management system has operated less than 3 months before the application "
            "(since 2024-06-02).",
        ),
        (
            {"system_operating_since": None},
            "The date the management system started is not recorded.",
        ),
        (
            {"internal_audit_on": None},
            "No internal audit completed before the application.",
        ),
        (
            {"internal_audit_on": D(2024, 9, 2)},
            "No internal audit completed before the application.",
        ),
        (
            {"management_review_on": None},
            "No management review completed before the application.",
        ),
        (
            {"management_review_on": D(2024, 10, 1)},
            "No management review completed before the application.",
        ),
        (
            {"no_penalty_declared": False},
            "The declaration of no administrative penalty is missing.",
        ),
        (
            {"legal_registration_checked": False},
            "The legal registration (business licence) is not checked.",
        ),
    ],
    ids=[
        "operating_under_3_months",
        "operating_since_unknown",
        "no_internal_audit",
        "internal_audit_after_application",
        "no_management_review",
        "management_review_after_application",
        "no_penalty_declaration",
        "registration_not_checked",
    ],
)
def test_each_intake_condition_blocks_acceptance(people, fields, message):
    cert = under_review(people, **fields)
    assert refusal(cert, people) == [message]


# -- internal audit and management review within the operating period (domain.md, Intake 3) ------
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"internal_audit_on": D(2024, 1, 14)},
            "The internal audit of 2024-01-14 is before the management system started operating "
            "(2024-01-15): it must fall within the operating period.",
        ),
        (
            {"management_review_on": D(2023, 11, 30)},
            "The management review of 2023-11-30 is before the management system started "
            "operating (2024-01-15): it must fall within the operating period.",
        ),
    ],
    ids=["internal_audit_before_operation", "management_review_before_operation"],
)
def test_internal_audit_and_review_fall_within_the_operating_period(people, fields, message):
    cert = under_review(people, system_operating_since=D(2024, 1, 15), **fields)
    assert refusal(cert, people) == [message]


def test_internal_audit_and_review_on_the_first_day_of_operation_count(people):
    cert = under_review(
        people,
        system_operating_since=D(2024, 1, 15),
        internal_audit_on=D(2024, 1, 15),
        management_review_on=D(2024, 1, 15),
    )
    cert = svc.certification_accept(certification=cert, by=people.staff, on=D(2024, 9, 10))
    assert cert.state == State.ACCEPTED


# -- recorded administrative penalties (domain.md, Intake 4) ------------------------------------
def msg_penalty(day, authority, start):
    return (
        f"An administrative penalty of {day} by {authority} falls within the operation of the "
        f"management system or the year before it (from {start}): the application cannot be "
        "accepted."
    )


def test_a_recorded_penalty_blocks_acceptance_despite_the_declaration(people):
    from clients.models import Penalty

    client = ClientFactory()
    # Operating since 2024-01-15: penalties from 2023-01-15 on count, whatever is declared.
    Penalty.objects.create(
        client=client, decided_on=D(2023, 1, 14), authority="海淀区市场监督管理局", decision="x"
    )
    cert = under_review(
        people, client=client, system_operating_since=D(2024, 1, 15), no_penalty_declared=True
    )
    assert cert.application.intake_problems(standard=cert.standard) == []  # a day too early
    Penalty.objects.create(
        client=client,
        decided_on=D(2023, 1, 15),
        authority="海淀区市场监督管理局",
        reference="京海市监罚[2023]15号",
        decision="虚假宣传, 罚款 5 万元",
    )
    Penalty.objects.create(
        client=client, decided_on=D(2024, 5, 20), authority="北京市通信管理局", decision="y"
    )
    assert refusal(cert, people) == [
        msg_penalty("2023-01-15", "海淀区市场监督管理局", "2023-01-15"),
        msg_penalty("2024-05-20", "北京市通信管理局", "2023-01-15"),
    ]


def test_penalties_are_recorded_on_the_clients_admin_page(client, people):
    from django.urls import reverse

    holder = ClientFactory()
    client.force_login(people.staff)
    page = client.get(reverse("admin:clients_client_change", args=[holder.pk])).content.decode()
    assert "penalties-TOTAL_FORMS" in page
    assert people.staff.has_perm("clients.add_penalty")
    assert not people.staff.has_perm("clients.delete_penalty")
    assert people.decider.has_perm("clients.view_penalty")
    assert not people.decider.has_perm("clients.add_penalty")


def test_three_months_of_operation_is_enough(people):
    cert = under_review(
        people,
        system_operating_since=D(2024, 6, 1),
        internal_audit_on=D(2024, 9, 1),  # on the day of the application counts as before
        management_review_on=D(2024, 9, 1),
    )
    cert = svc.certification_accept(certification=cert, by=people.staff, on=D(2024, 9, 10))
    assert cert.state == State.ACCEPTED


def test_minimum_operating_months_is_a_setting(people, settings):
    settings.CERTBODY = {**settings.CERTBODY, "MIN_OPERATING_MONTHS": 6}
    cert = under_review(people, system_operating_since=D(2024, 3, 2))
    assert refusal(cert, people) == [
        "The management system has operated less than 6 months before the application "
        "(since 2024-03-02)."
    ]


MSG_BAD_CHECK = (
    "The client's registration id 91110000600037341X is not valid: The check character of "
    "this unified social credit code is wrong (GB 32100-2015): expected L, found X."
)


def test_invalid_unified_social_credit_code_blocks_acceptance(people):
    # Stored without Client.clean() (e.g. imported): the last character should be "L". The
    # refusal says what the client form says: which check character failed.
    client = ClientFactory(registration_id="91110000600037341X")
    assert not client.registration_is_valid
    cert = under_review(people, client=client)
    assert refusal(cert, people) == [MSG_BAD_CHECK]


def test_organisation_code_check_character_blocks_acceptance(people):
    # The 18th character is right for the first 17, but the organisation code 5YQ8KD2B-3
    # should end in 2 (GB 11714).
    client = ClientFactory(registration_id="914403005YQ8KD2B3F")
    assert not client.registration_is_valid
    cert = under_review(people, client=client)
    assert refusal(cert, people) == [
        "The client's registration id 914403005YQ8KD2B3F is not valid: The organisation code "
        "(characters 9-17) of this unified social credit code fails its check character "
        "(GB 11714): expected 2, found 3."
    ]


def test_the_admin_client_form_names_the_failed_check(rf, people):
    from django.contrib import admin

    from clients.models import Client

    request = rf.post("/admin/clients/client/add/")
    request.user = people.staff
    form_class = admin.site._registry[Client].get_form(request)
    data = {
        "legal_name": "深圳示例科技有限公司",
        "registration_id": "914403005YQ8KD2B3F",
        "country": "CN",
        "city": "深圳",
        "address": "南山区科技园路1号",
        "effective_personnel": 50,
    }
    form = form_class(data=data)
    assert not form.is_valid()
    assert form.errors["registration_id"] == [
        "The organisation code (characters 9-17) of this unified social credit code fails its "
        "check character (GB 11714): expected 2, found 3."
    ]
    form = form_class(data={**data, "registration_id": "914403005YQ8KD2B2C"})  # corrected
    assert "registration_id" not in form.errors


def test_foreign_client_needs_a_registration_id_only(people):
    client = ClientFactory(country="DE", registration_id="HRB 123456 B")
    assert client.registration_is_valid
    cert = under_review(people, client=client)
    cert = svc.certification_accept(certification=cert, by=people.staff, on=D(2024, 9, 10))
    assert cert.state == State.ACCEPTED


def test_missing_documents_are_named(people):
    std = standard()
    cert = under_review(people, complete=False)
    missing = {"Capacity management", "Confidentiality declaration", "Problem management"}
    for doc in std.required_documents.exclude(title__in=missing):
        ApplicationDocument.objects.create(
            application=cert.application, required_document=doc, received_on=RECEIVED
        )
    # Listed but not received yet: still missing.
    ApplicationDocument.objects.create(
        application=cert.application,
        required_document=std.required_documents.get(title="Problem management"),
        received_on=None,
    )
    # In the checklist's order.
    assert refusal(cert, people) == [
        "Missing document: Capacity management",
        "Missing document: Problem management",
        "Missing document: Confidentiality declaration",
    ]
    with translation.override("zh-hans"):
        assert cert.application.missing_documents(standard=std) == [
            "容量管理",
            "问题管理",
            "保密声明",
        ]

    for doc in std.required_documents.filter(title__in=missing):
        ApplicationDocument.objects.update_or_create(
            application=cert.application,
            required_document=doc,
            defaults={"received_on": D(2024, 9, 8)},
        )
    cert = svc.certification_accept(certification=cert, by=people.staff, on=D(2024, 9, 10))
    assert cert.state == State.ACCEPTED


def test_no_document_at_all_lists_the_whole_checklist(people):
    std = standard()
    cert = under_review(people, complete=False)
    titles = list(std.required_documents.order_by("position").values_list("title", flat=True))
    assert len(titles) == 23
    assert refusal(cert, people) == [f"Missing document: {t}" for t in titles]


def test_a_new_checklist_item_is_required_at_once(people):
    std = standard()
    cert = under_review(people)
    RequiredDocument.objects.create(standard=std, position=99, title="Audit-time calculation")
    assert refusal(cert, people) == ["Missing document: Audit-time calculation"]


def test_every_problem_is_listed_at_once(people):
    client = ClientFactory(registration_id="91110000600037341X")
    cert = under_review(
        people,
        client=client,
        complete=False,
        system_operating_since=D(2024, 8, 1),
        internal_audit_on=None,
        management_review_on=None,
        no_penalty_declared=False,
        legal_registration_checked=False,
    )
    for doc in standard().required_documents.exclude(title="Service reporting"):
        ApplicationDocument.objects.create(
            application=cert.application, required_document=doc, received_on=RECEIVED
        )
    assert refusal(cert, people) == [
        MSG_BAD_CHECK,
        "The legal registration (business licence) is not checked.",
        "The management system has operated less than 3 months before the application "
        "(since 2024-08-01).",
        "No internal audit completed before the application.",
        "No management review completed before the application.",
        "The declaration of no administrative penalty is missing.",
        "Missing document: Service reporting",
    ]


def test_documents_of_the_applied_standard_only(people):
    """An ISO 9001 application is checked against the ISO 9001 checklist."""
    qms = standard("ISO 9001")
    cert = lc.apply(people, std=qms, received_on=RECEIVED, complete=False)
    cert = svc.certification_start_review(certification=cert, by=people.staff, on=D(2024, 9, 5))
    titles = list(qms.required_documents.order_by("position").values_list("title", flat=True))
    assert "Quality policy and quality objectives" in titles
    assert "Capacity management" not in titles
    assert refusal(cert, people) == [f"Missing document: {t}" for t in titles]


# -- the audit-time calculation (IAF MD 5; shared/domain.md, Intake) -------------------------------
MSG_NO_AUDIT_TIME = (
    "No audit-time calculation is recorded with this application for ISO/IEC 20000-1:2018: "
    "calculate it before accepting."
)


def test_no_audit_time_calculation_blocks_acceptance(people):
    cert = under_review(people, audit_time=False)
    assert refusal(cert, people) == [MSG_NO_AUDIT_TIME]
    audit_svc.audit_time_calculate(application=cert.application, by=people.staff, on=D(2024, 9, 6))
    cert = svc.certification_accept(certification=cert, by=people.staff, on=D(2024, 9, 10))
    assert cert.state == State.ACCEPTED


def test_audit_time_is_listed_with_the_other_intake_problems(people):
    cert = under_review(people, audit_time=False, no_penalty_declared=False)
    assert refusal(cert, people) == [
        "The declaration of no administrative penalty is missing.",
        MSG_NO_AUDIT_TIME,
    ]


def test_a_calculation_that_does_not_cover_the_standard_does_not_count(people):
    from audits.models import AuditTimeCalculation

    cert = under_review(people, audit_time=False)
    # Another application's calculation, and one of this application without this standard
    # (e.g. recorded before the standards were changed), do not count.
    other = lc.apply(people, received_on=RECEIVED)
    assert AuditTimeCalculation.objects.filter(application=other.application).exists()
    calc = audit_svc.audit_time_calculate(
        application=cert.application, by=people.staff, on=D(2024, 9, 6)
    )
    AuditTimeCalculation.objects.filter(pk=calc.pk).update(results={"999999": calc.results})
    assert refusal(cert, people) == [MSG_NO_AUDIT_TIME]


def test_the_admin_shows_why_acceptance_is_blocked(client, people):
    from django.urls import reverse

    cert = under_review(people, audit_time=False)
    client.force_login(people.staff)
    page = client.get(
        reverse("admin:certificates_certification_change", args=[cert.pk])
    ).content.decode()
    assert MSG_NO_AUDIT_TIME in page
