"""The staff audit page (workspace:audit): every role on audits in every state, the actions
offered (with their blockers), each POST allowed or refused (nothing changes when refused),
the dates form, and the findings' follow-up by the team."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audits.models import Audit, AuditState, Finding, FindingState
from core.dates import local_today
from tests.factories import UserFactory

from .conftest import signed_in
from .test_audit_fixtures import build_audits

pytestmark = pytest.mark.django_db


@pytest.fixture
def audits(people):
    return build_audits(people)


D = datetime.date


def url(audit):
    return reverse("workspace:audit", args=[audit.pk])


def do(audit, name):
    return reverse("workspace:audit_action", args=[audit.pk, name])


def do_finding(finding, name):
    return reverse("workspace:finding_action", args=[finding.pk, name])


def today():
    return local_today().isoformat()


def test_every_role_on_every_state(audits, people):
    staff, decider = signed_in(people.staff), signed_in(people.decider)
    leader, outsider = signed_in(people.auditor), signed_in(audits.outsider)
    for audit in audits.all():
        page = staff.get(url(audit)).content.decode()
        assert audit.certification.client.legal_name in page
        assert audit.get_state_display() in page
        assert decider.get(url(audit)).status_code == 200
        assert outsider.get(url(audit)).status_code == 404  # not on its team: not there
        anonymous = Client().get(url(audit))
        assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    # The team sees its own audits; people.auditor is not on the report-submitted one.
    assert leader.get(url(audits.running)).status_code == 200
    assert leader.get(url(audits.reported)).status_code == 404
    nobody = signed_in(UserFactory(username="nobody"))
    assert nobody.get(url(audits.running)).status_code == 403


def test_facts_team_and_dates_shown(audits, people):
    page = signed_in(people.staff).get(url(audits.planned)).content.decode()
    audit = audits.planned
    assert audit.planned_start.isoformat() in page and audit.due_by.isoformat() in page
    assert "proposed, not confirmed" in page
    assert "No team yet" in page
    assert reverse("workspace:audit_team", args=[audit.pk]) in page
    assert 'action="{}"'.format(reverse("workspace:audit_dates", args=[audit.pk])) in page
    assert "auditor-days" in page
    running = signed_in(people.staff).get(url(audits.running)).content.decode()
    assert "auditor" in running and "Team leader" in running
    # The decision maker reads: no dates form, no staff buttons.
    page = signed_in(people.decider).get(url(audits.planned)).content.decode()
    assert reverse("workspace:audit_dates", args=[audit.pk]) not in page
    assert "Cancel audit" not in page


def test_actions_offered_by_role(audits, people):
    staff = signed_in(people.staff).get(url(audits.reported)).content.decode()
    assert do(audits.reported, "close") in staff
    running = signed_in(people.staff).get(url(audits.running)).content.decode()
    assert do(audits.running, "cancel") in running
    assert do(audits.running, "submit_report") not in running  # the team leader's
    leader = signed_in(people.auditor).get(url(audits.running)).content.decode()
    assert do(audits.running, "submit_report") in leader
    assert do(audits.running, "cancel") not in leader  # staff's
    # A rule blocks the start of an audit whose dates are only proposed: shown with reasons.
    Audit.objects.filter(pk=audits.planned.pk).update(team_leader=people.auditor)
    page = signed_in(people.auditor).get(url(audits.planned)).content.decode()
    assert "disabled" in page and "confirm" in page.lower()


def test_close_by_staff_refused_to_others(audits, people):
    audit = audits.reported
    for user in (people.decider, people.auditor2, people.auditor):
        response = signed_in(user).post(do(audit, "close"), {"on": today()})
        assert response.status_code in (403, 404)
    audit.refresh_from_db()
    assert audit.state == AuditState.REPORT_SUBMITTED
    response = signed_in(people.staff).post(do(audit, "close"), {"on": today()})
    assert response.status_code == 302
    audit.refresh_from_db()
    assert audit.state == AuditState.CLOSED and audit.closed_on == local_today()


def test_cancel_needs_a_reason_and_staff(audits, people):
    audit = audits.planned
    assert signed_in(people.auditor).post(do(audit, "cancel"), {"on": today()}).status_code == 404
    response = signed_in(people.staff).post(do(audit, "cancel"), {"on": today(), "reason": ""})
    assert response.status_code == 400
    audit.refresh_from_db()
    assert audit.state == AuditState.PLANNED
    response = signed_in(people.staff).post(
        do(audit, "cancel"), {"on": today(), "reason": "Client withdrew"}
    )
    assert response.status_code == 302
    audit.refresh_from_db()
    assert audit.state == AuditState.CANCELLED
    # Not possible any more: said in words, nothing changes.
    again = signed_in(people.staff).post(
        do(audit, "cancel"), {"on": today(), "reason": "x"}, follow=True
    )
    assert "is not possible" in again.content.decode()


def test_team_leader_reports_staff_may_not(audits, people):
    audit = audits.running
    staff = signed_in(people.staff).post(
        do(audit, "submit_report"), {"on": today(), "recommendation": "continue"}
    )
    assert staff.status_code == 403
    member = signed_in(people.auditor2).post(
        do(audit, "submit_report"), {"on": today(), "recommendation": "continue"}
    )
    assert member.status_code == 403  # on the team, but not its leader
    audit.refresh_from_db()
    assert audit.state == AuditState.IN_PROGRESS
    wrong = signed_in(people.auditor).post(
        do(audit, "submit_report"), {"on": today(), "recommendation": "recommend"}
    )
    assert wrong.status_code == 400 and "Choose a recommendation" in wrong.content.decode()
    done = signed_in(people.auditor).post(
        do(audit, "submit_report"), {"on": today(), "recommendation": "continue"}
    )
    assert done.status_code == 302
    audit.refresh_from_db()
    assert audit.state == AuditState.REPORT_SUBMITTED and audit.recommendation == "continue"


def test_findings_followed_up_by_the_team(audits, people):
    minor, major = audits.findings["minor"], audits.findings["major"]
    page = signed_in(people.staff).get(url(audits.closed)).content.decode()
    assert minor.get_grade_display() in page and major.get_grade_display() in page
    assert minor.plan_due.isoformat() in page and major.verification_due.isoformat() in page
    assert do_finding(minor, "accept_plan") not in page  # staff: not on the team
    team_page = signed_in(people.auditor2).get(url(audits.closed)).content.decode()
    assert do_finding(minor, "accept_plan") in team_page

    for user in (people.staff, people.decider):
        response = signed_in(user).post(
            do_finding(minor, "accept_plan"), {"on": today(), "plan": "Train the desk"}
        )
        assert response.status_code == 403
    assert (
        signed_in(audits.outsider)
        .post(do_finding(minor, "accept_plan"), {"on": today(), "plan": "x"})
        .status_code
        == 404
    )
    minor.refresh_from_db()
    assert minor.state == FindingState.OPEN

    auditor = signed_in(people.auditor2)
    assert (
        auditor.post(
            do_finding(minor, "accept_plan"), {"on": today(), "plan": "Train the desk"}
        ).status_code
        == 302
    )
    for name in ("accept_plan", "mark_corrected", "verify"):
        assert (
            auditor.post(do_finding(major, name), {"on": today(), "plan": "Fix"}).status_code == 302
        )
    minor.refresh_from_db()
    major.refresh_from_db()
    assert (minor.state, minor.plan) == (FindingState.PLAN_ACCEPTED, "Train the desk")
    assert major.state == FindingState.VERIFIED and major.verified_on == local_today()
    page = signed_in(people.staff).get(url(audits.closed)).content.decode()
    assert "Verify correction" in page  # in the history
    assert Finding.objects.filter(audit=audits.closed, state="open").count() == 0


def test_dates_reschedule_and_confirm(audits, people):
    audit = audits.planned
    dates = reverse("workspace:audit_dates", args=[audit.pk])
    late_end = audit.due_by + datetime.timedelta(days=3)
    data = {
        "dates-planned_start": late_end.isoformat(),
        "dates-planned_end": late_end.isoformat(),
        "dates-confirm": "on",
    }
    for user in (people.decider, people.auditor):
        assert signed_in(user).post(dates, data).status_code in (403, 404)
    refused = signed_in(people.staff).post(dates, data)
    assert refused.status_code == 400
    assert "Record the reason" in refused.content.decode()
    audit.refresh_from_db()
    assert not audit.dates_confirmed and audit.planned_end < late_end
    response = signed_in(people.staff).post(dates, {**data, "dates-reason": "Client moves"})
    assert response.status_code == 302
    audit.refresh_from_db()
    assert (audit.planned_end, audit.dates_confirmed, audit.late_reason) == (
        late_end,
        True,
        "Client moves",
    )
    # Not planned any more: no dates form, the POST says so and changes nothing.
    closed = audits.closed
    response = signed_in(people.staff).post(
        reverse("workspace:audit_dates", args=[closed.pk]), data, follow=True
    )
    assert "only while the audit is planned" in response.content.decode()


def test_chinese_page_and_constant_queries(audits, people):
    people.auditor.first_name, people.auditor.last_name = "建华", "王"
    people.auditor.save()
    client = signed_in(people.staff)
    page = client.get("/zh-hans" + url(audits.running)).content.decode()
    assert "王建华" in page and "建华 王" not in page
    with CaptureQueriesContext(connection) as few:
        client.get(url(audits.closed))
    for n in range(4):
        Finding.objects.create(
            audit=audits.closed,
            grade="minor",
            description=f"more {n}",
            raised_on=audits.closed.actual_end,
            state="open",
        )
    with CaptureQueriesContext(connection) as many:
        client.get(url(audits.closed))
    # Staff are not on the team: the findings' offers ask nothing more per finding.
    assert len(many.captured_queries) == len(few.captured_queries)
