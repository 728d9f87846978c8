"""Acting on an audit in one's role on its team (issue 14, audits/access.py): the team leader
starts, reports and raises or rewords findings; the team's auditors follow findings up; a
technical expert of the team does neither; and the same holds in the services, the admin and
the auditor pages."""

import datetime

import pytest
from django.urls import reverse

from audits import services as audit_svc
from audits.models import Audit, AuditRole, Finding
from audits.services import AuditError
from certificates import services as svc
from tests import lifecycle as lc
from tests.audits.factories import all_standards_auditor

D = datetime.date
pytestmark = pytest.mark.django_db

LEADER_ONLY = "Only the team leader of this audit can do this."
NOT_AS_EXPERT = "A technical expert of the team cannot do this: only its auditors can."


@pytest.fixture
def team(people):
    """A stage 2 (2024-11-04..06) led by ``auditor``, with ``auditor2`` as auditor and
    ``expert`` as technical expert."""
    expert = all_standards_auditor("expert", role=AuditRole.TECHNICAL_EXPERT)
    cert = lc.accept(lc.apply(people, received_on=D(2024, 9, 1)), people, D(2024, 9, 10))
    cert, _ = lc.stage1(cert, people, start=D(2024, 10, 1))
    cert.refresh_from_db()
    cert, audit = svc.certification_plan_stage2(
        certification=cert,
        planned_start=D(2024, 11, 4),
        planned_end=D(2024, 11, 6),
        team_leader=people.auditor,
        members=[people.auditor2],
        technical_experts=[expert],
        by=people.staff,
        on=D(2024, 10, 15),
    )
    return audit, people.auditor, people.auditor2, expert


def refused(call, message):
    with pytest.raises(AuditError) as err:
        call()
    assert err.value.messages == [message]


def test_only_the_leader_starts_reports_and_raises(team):
    audit, leader, member, expert = team
    for person in (member, expert):
        refused(
            lambda p=person: audit_svc.audit_start(audit=audit, by=p, on=D(2024, 11, 4)),
            LEADER_ONLY,
        )
    audit = audit_svc.audit_start(audit=audit, by=leader, on=D(2024, 11, 4))
    for person in (member, expert):
        refused(
            lambda p=person: audit_svc.finding_raise(
                audit=audit, grade="major", description="d", by=p, on=D(2024, 11, 5)
            ),
            LEADER_ONLY,
        )
        refused(
            lambda p=person: audit_svc.audit_submit_report(
                audit=audit, recommendation="recommend", by=p, on=D(2024, 11, 6)
            ),
            LEADER_ONLY,
        )
    assert not Finding.objects.filter(audit=audit).exists()
    assert Audit.objects.get(pk=audit.pk).state == "in_progress"


def test_the_teams_auditors_follow_findings_up_but_not_its_expert(team):
    audit, leader, member, expert = team
    audit = audit_svc.audit_start(audit=audit, by=leader, on=D(2024, 11, 4))
    major = audit_svc.finding_raise(
        audit=audit, grade="major", description="d", by=leader, on=D(2024, 11, 5)
    )
    refused(
        lambda: audit_svc.finding_accept_plan(
            finding=major, plan="p", by=expert, on=D(2024, 11, 20)
        ),
        NOT_AS_EXPERT,
    )
    major = audit_svc.finding_accept_plan(finding=major, plan="p", by=member, on=D(2024, 11, 20))
    refused(
        lambda: audit_svc.finding_mark_corrected(finding=major, by=expert, on=D(2024, 12, 1)),
        NOT_AS_EXPERT,
    )
    major = audit_svc.finding_mark_corrected(finding=major, by=member, on=D(2024, 12, 1))
    refused(
        lambda: audit_svc.finding_verify(finding=major, by=expert, on=D(2024, 12, 10)),
        NOT_AS_EXPERT,
    )
    major = audit_svc.finding_verify(finding=major, by=member, on=D(2024, 12, 10))
    assert major.state == "verified"


def test_a_finding_is_reworded_by_its_leader_while_the_audit_is_open(client, team, people):
    audit, leader, member, expert = team
    audit = audit_svc.audit_start(audit=audit, by=leader, on=D(2024, 11, 4))
    finding = audit_svc.finding_raise(
        audit=audit, grade="minor", description="as raised", clause="8.1", by=leader,
        on=D(2024, 11, 5),
    )  # fmt: skip
    url = reverse("admin:audits_finding_change", args=[finding.pk])
    client.force_login(leader)
    page = client.get(url)
    # What the page's form holds: the finding's fields and the history inline's management form.
    formsets = {
        f"{fs.formset.prefix}-{key}": value
        for fs in page.context["inline_admin_formsets"]
        for key, value in fs.formset.management_form.initial.items()
    }
    data = {**formsets, "clause": "8.2", "description": "reworded"}
    for person in (member, expert):
        client.force_login(person)
        assert client.post(url, data).status_code == 403
    finding.refresh_from_db()
    assert (finding.clause, finding.description) == ("8.1", "as raised")

    client.force_login(leader)
    assert client.post(url, data).status_code == 302
    finding.refresh_from_db()
    assert (finding.clause, finding.description) == ("8.2", "reworded")

    audit = audit_svc.audit_submit_report(
        audit=audit, recommendation="recommend", by=leader, on=D(2024, 11, 6)
    )
    audit_svc.audit_close(audit=audit, by=people.staff, on=D(2024, 11, 8))
    # Closed: its findings are records.
    assert client.post(url, {**data, "clause": "9.9"}).status_code == 403
    finding.refresh_from_db()
    assert (finding.clause, finding.description) == ("8.2", "reworded")


def test_members_see_the_audit_but_its_leader_forms_refuse_them(client, team):
    audit, _leader, member, expert = team
    for person in (member, expert):
        client.force_login(person)
        assert client.get(reverse("audits:audit_detail", args=[audit.pk])).status_code == 200
        response = client.post(reverse("audits:audit_start", args=[audit.pk]), {"on": "2024-11-04"})
        assert response.status_code == 403
        admin_start = reverse("admin:audits_audit_transition", args=[audit.pk, "start"])
        assert client.post(admin_start, {"on": "2024-11-04"}).status_code == 403
    assert Audit.objects.get(pk=audit.pk).state == "planned"
