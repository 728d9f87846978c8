"""A certification body takes a client from application to certificate in the staff
interface alone: every step below is a form post in the admin, as a person would do it."""

import datetime

import pytest
from django.urls import reverse

from audits.models import Audit, Finding
from certificates.models import Certification, State
from clients.models import Application, RequiredDocument
from tests.factories import ClientFactory, standard

pytestmark = pytest.mark.django_db


def tr(model, obj, name):
    return reverse(f"admin:{model}_transition", args=[obj.pk, name])


def post_ok(client, url, data):
    response = client.post(url, data)
    if response.status_code != 302:
        import re

        errors = re.findall(r"errorlist[^>]*>(.*?)</ul>", response.content.decode(), re.S)
        raise AssertionError(f"{response.status_code}: {errors}")
    return response


def test_application_to_certificate_in_the_admin(client, people):
    std = standard()
    customer = ClientFactory()
    # CB staff record the application with every document of the checklist.
    client.force_login(people.staff)
    docs = list(RequiredDocument.objects.filter(standard=std))
    form = {
        "client": customer.pk,
        "standards": [std.pk],
        "received_on": "2024-09-01",
        "scope": "IT operation and maintenance services",
        "effective_personnel": "120",
        "language": "zh-hans",
        "system_operating_since": "2024-01-01",
        "internal_audit_on": "2024-06-01",
        "management_review_on": "2024-07-01",
        "no_penalty_declared": "on",
        "legal_registration_checked": "on",
        "documents-TOTAL_FORMS": str(len(docs)),
        "documents-INITIAL_FORMS": "0",
        "documents-MIN_NUM_FORMS": "0",
        "documents-MAX_NUM_FORMS": "1000",
    }
    for i, doc in enumerate(docs):
        form[f"documents-{i}-required_document"] = doc.pk
        form[f"documents-{i}-received_on"] = "2024-09-01"
    post_ok(client, reverse("admin:clients_application_add"), form)
    application = Application.objects.get(client=customer)
    assert (
        "complete"
        in client.get(
            reverse("admin:clients_application_change", args=[application.pk])
        ).content.decode()
    )
    cert = Certification.objects.get(client=customer, standard=std)
    assert cert.state == State.APPLIED

    # The application review records the audit time for the whole cycle (IAF MD 5).
    post_ok(
        client,
        reverse("admin:clients_application_audit_time", args=[application.pk]),
        {
            "on": "2024-09-02",
            "personnel": "120",
            "factors-TOTAL_FORMS": "0",
            "factors-INITIAL_FORMS": "0",
            "sites-TOTAL_FORMS": "0",
            "sites-INITIAL_FORMS": "0",
        },
    )
    m = "certificates_certification"
    post_ok(client, tr(m, cert, "start_review"), {"on": "2024-09-02"})
    post_ok(client, tr(m, cert, "accept"), {"on": "2024-09-03"})
    post_ok(
        client,
        tr(m, cert, "begin_stage1"),
        {
            "on": "2024-09-05",
            "planned_start": "2024-10-08",
            "planned_end": "2024-10-09",
            "team_leader": people.auditor.pk,
        },
    )
    stage1 = Audit.objects.get(certification=cert, kind="stage1")

    # The auditor runs stage 1; staff close it.
    client.force_login(people.auditor)
    post_ok(client, tr("audits_audit", stage1, "start"), {"on": "2024-10-08"})
    post_ok(
        client,
        tr("audits_audit", stage1, "submit_report"),
        {"on": "2024-10-09", "recommendation": "ready"},
    )
    client.force_login(people.staff)
    post_ok(client, tr("audits_audit", stage1, "close"), {"on": "2024-10-10"})

    post_ok(
        client,
        tr(m, cert, "begin_stage2"),
        {
            "on": "2024-10-15",
            "planned_start": "2024-11-18",
            "planned_end": "2024-11-20",
            "team_leader": people.auditor.pk,
            "members": [people.auditor2.pk],
        },
    )
    stage2 = Audit.objects.get(certification=cert, kind="stage2")

    # Stage 2 with a minor nonconformity raised in the admin.
    client.force_login(people.auditor)
    post_ok(client, tr("audits_audit", stage2, "start"), {"on": "2024-11-18"})
    post_ok(
        client,
        reverse("admin:audits_finding_add"),
        {
            "audit": stage2.pk,
            "grade": "minor",
            "clause": "8.5.1",
            "description": "Change records",
            "raised_on": "2024-11-19",
        },
    )
    finding = Finding.objects.get(audit=stage2)
    post_ok(
        client,
        tr("audits_audit", stage2, "submit_report"),
        {"on": "2024-11-20", "recommendation": "recommend"},
    )
    client.force_login(people.staff)
    post_ok(client, tr("audits_audit", stage2, "close"), {"on": "2024-11-25"})
    post_ok(client, tr(m, cert, "submit_for_decision"), {"on": "2024-11-26"})

    # The decision is blocked until the minor has an accepted plan, and the page says so.
    client.force_login(people.decider)
    page = client.get(reverse(f"admin:{m}_change", args=[cert.pk])).content.decode()
    assert "1 minor nonconformity has no accepted plan." in page
    client.force_login(people.auditor)
    post_ok(
        client,
        tr("audits_finding", finding, "accept_plan"),
        {"on": "2024-12-10", "plan": "Record every change in the tool"},
    )

    client.force_login(people.decider)
    post_ok(client, tr(m, cert, "grant"), {"on": "2025-01-15"})
    cert.refresh_from_db()
    assert cert.state == State.ACTIVE
    certificate = cert.current_certificate()
    assert (certificate.version, certificate.effective_date, certificate.expiry_date) == (
        1,
        datetime.date(2025, 1, 15),
        datetime.date(2028, 1, 14),
    )
    page = client.get(reverse(f"admin:{m}_change", args=[cert.pk])).content.decode()
    assert certificate.full_number in page
    assert "grant" in page  # the history row
