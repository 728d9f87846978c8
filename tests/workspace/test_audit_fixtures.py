"""Audits in every state, reached through the services, for the workspace's audit, team and
planning tests (imported by test_audit_*.py and test_planning_*.py); the one test here
checks the fixture itself."""

import datetime
from dataclasses import dataclass

import pytest

from audits import services as audit_svc
from audits.models import Audit, AuditState, Finding
from audits.services import programme_audits
from tests import lifecycle as lc
from tests.audits.factories import make_auditor
from tests.factories import ClientFactory

D = datetime.date


@dataclass
class Audits:
    cert: object
    planned: Audit  # surveillance 2 of cert: programme audit, no team, dates proposed
    running: Audit  # surveillance 1 of cert: in progress, led by people.auditor
    cancelled: Audit  # recertification of cert
    reported: Audit  # surveillance 1 of a second certification: report submitted
    closed: Audit  # stage 2 of a pending certification, with findings
    findings: dict  # grade -> Finding of ``closed`` (all open / noted)
    outsider: object  # an auditor on none of these audits

    def all(self):
        return [self.planned, self.running, self.cancelled, self.reported, self.closed]


def build_audits(people) -> Audits:
    cert = lc.certified(people)  # decided 2025-01-15: programme s1, s2, recertification
    prog = {(a.kind, a.programme_year): a for a in programme_audits(cert)}
    s1 = prog[("surveillance", 1)]
    running = audit_svc.audit_plan(
        certification=cert,
        kind="surveillance",
        planned_start=s1.planned_start,
        planned_end=s1.planned_start + datetime.timedelta(days=1),
        team_leader=people.auditor,
        members=[people.auditor2],
        by=people.staff,
    )
    running = audit_svc.audit_start(audit=running, by=people.auditor, on=running.planned_start)
    cancelled = audit_svc.audit_cancel(
        audit=prog[("recertification", 3)],
        reason="The client moves to another body",
        by=people.staff,
        on=D(2025, 2, 1),
    )
    other = lc.certified(
        people, decided_on=D(2025, 3, 17), client=ClientFactory(city="上海", address="上海市")
    )
    o1 = programme_audits(other).get(kind="surveillance", programme_year=1)
    reported = audit_svc.audit_plan(
        certification=other,
        kind="surveillance",
        planned_start=o1.planned_start,
        planned_end=o1.planned_start,
        team_leader=people.auditor2,
        by=people.staff,
    )
    reported = audit_svc.audit_start(audit=reported, by=people.auditor2, on=reported.planned_start)
    reported = audit_svc.audit_submit_report(
        audit=reported, recommendation="continue", by=people.auditor2, on=reported.planned_start
    )
    _pending, closed, raised = lc.pending(
        people,
        stage1_start=D(2024, 9, 30),
        stage2_start=D(2024, 11, 18),
        findings=("major", "minor", "observation"),
    )
    return Audits(
        cert=cert,
        planned=Audit.objects.get(pk=prog[("surveillance", 2)].pk),
        running=Audit.objects.get(pk=running.pk),
        cancelled=Audit.objects.get(pk=cancelled.pk),
        reported=Audit.objects.get(pk=reported.pk),
        closed=Audit.objects.get(pk=closed.pk),
        findings={f.grade: Finding.objects.get(pk=f.pk) for f in raised},
        outsider=make_auditor("outsider", city="上海"),
    )


@pytest.fixture
def audits(people):
    return build_audits(people)


def test_the_fixture_has_an_audit_in_every_state(audits, people):
    assert [a.state for a in audits.all()] == [
        AuditState.PLANNED,
        AuditState.IN_PROGRESS,
        AuditState.CANCELLED,
        AuditState.REPORT_SUBMITTED,
        AuditState.CLOSED,
    ]
    assert audits.planned.team_leader is None and not audits.planned.dates_confirmed
    assert audits.running.team_leader == people.auditor
    assert {f.state for f in audits.findings.values()} == {"open", "noted"}
