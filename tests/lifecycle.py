"""Drive a certification through the real services, with concrete dates, for tests."""

import datetime
from dataclasses import dataclass

from audits import services as audit_svc
from audits.models import Recommendation
from certificates import services as svc
from certificates.models import Certification
from clients.models import ApplicationDocument

from .factories import ClientFactory, standard

D = datetime.date


@dataclass
class People:
    staff: object
    auditor: object
    auditor2: object
    decider: object


def apply(
    people,
    *,
    client=None,
    std=None,
    received_on=D(2024, 9, 1),
    complete=True,
    audit_time=True,
    **fields,
):
    """Submit an application for one standard; with ``complete`` every document is received;
    with ``audit_time`` its audit-time calculation is recorded (acceptance needs it)."""
    client = client or ClientFactory()
    std = std or standard()
    values = dict(
        received_on=received_on,
        scope="信息技术运维服务 / IT operation and maintenance services",
        effective_personnel=client.effective_personnel,
        system_operating_since=received_on - datetime.timedelta(days=240),
        internal_audit_on=received_on - datetime.timedelta(days=60),
        management_review_on=received_on - datetime.timedelta(days=30),
        no_penalty_declared=True,
        legal_registration_checked=True,
    )
    values.update(fields)
    application = svc.application_submit(client=client, standards=[std], by=people.staff, **values)
    if complete:
        for doc in std.required_documents.all():
            ApplicationDocument.objects.create(
                application=application, required_document=doc, received_on=received_on
            )
    if audit_time:
        audit_svc.audit_time_calculate(application=application, by=people.staff, on=received_on)
    return Certification.objects.get(client=client, standard=std)


def accept(cert, people, on):
    cert = svc.certification_start_review(certification=cert, by=people.staff, on=on)
    return svc.certification_accept(certification=cert, by=people.staff, on=on)


def run_audit(audit, people, *, start, end, recommendation, findings=()):
    """Start, raise findings, report on ``end`` and close the audit."""
    leader = audit.team_leader
    audit = audit_svc.audit_start(audit=audit, by=leader, on=start)
    raised = [
        audit_svc.finding_raise(audit=audit, grade=g, description=f"{g} finding", by=leader, on=end)
        for g in findings
    ]
    audit = audit_svc.audit_submit_report(
        audit=audit, recommendation=recommendation, by=leader, on=end
    )
    audit = audit_svc.audit_close(audit=audit, by=people.staff, on=end)
    return audit, raised


def stage1(cert, people, *, start, ready=True, justification=""):
    cert.refresh_from_db()
    cert, audit = svc.certification_plan_stage1(
        certification=cert,
        planned_start=start,
        planned_end=start + datetime.timedelta(days=1),
        team_leader=people.auditor,
        by=people.staff,
        on=start - datetime.timedelta(days=14),
        justification=justification,
    )
    rec = Recommendation.READY_FOR_STAGE2 if ready else Recommendation.NOT_READY
    audit, _ = run_audit(
        audit, people, start=start, end=start + datetime.timedelta(days=1), recommendation=rec
    )
    return cert, audit


def stage2(cert, people, *, start, findings=(), justification="", planned_on=None):
    cert.refresh_from_db()
    cert, audit = svc.certification_plan_stage2(
        certification=cert,
        planned_start=start,
        planned_end=start + datetime.timedelta(days=2),
        team_leader=people.auditor,
        members=[people.auditor2],
        by=people.staff,
        on=planned_on or start - datetime.timedelta(days=14),
        justification=justification,
    )
    audit, raised = run_audit(
        audit,
        people,
        start=start,
        end=start + datetime.timedelta(days=2),
        recommendation=Recommendation.RECOMMEND,
        findings=findings,
    )
    cert = svc.certification_submit_for_decision(
        certification=cert, by=people.staff, on=start + datetime.timedelta(days=3)
    )
    return cert, audit, raised


def resolve(findings, people, on):
    """Accept plans for all findings and verify the majors."""
    for f in findings:
        if f.grade == "observation":
            continue
        f = audit_svc.finding_accept_plan(finding=f, plan="fix it", by=people.auditor, on=on)
        if f.grade == "major":
            f = audit_svc.finding_mark_corrected(finding=f, by=people.auditor, on=on)
            audit_svc.finding_verify(finding=f, by=people.auditor, on=on)


def certified(people, *, decided_on=D(2025, 1, 15), **kwargs):
    """A certification granted on ``decided_on`` (stage 1 and 2 in the weeks before)."""
    cert = apply(people, received_on=decided_on - datetime.timedelta(days=120), **kwargs)
    cert = accept(cert, people, decided_on - datetime.timedelta(days=110))
    cert, _ = stage1(cert, people, start=decided_on - datetime.timedelta(days=80))
    cert, _, _ = stage2(cert, people, start=decided_on - datetime.timedelta(days=30))
    svc.certification_grant(certification=cert, by=people.decider, on=decided_on)
    cert.refresh_from_db()
    return cert


def recert_audit(cert, people, *, start, findings=()):
    audit = audit_svc.audit_plan(
        certification=cert,
        kind="recertification",
        planned_start=start,
        planned_end=start + datetime.timedelta(days=1),
        team_leader=people.auditor,
        by=people.staff,
    )
    audit, raised = run_audit(
        audit,
        people,
        start=start,
        end=start + datetime.timedelta(days=1),
        recommendation=Recommendation.RECOMMEND,
        findings=findings,
    )
    cert.refresh_from_db()
    return audit, raised


def surveillance(cert, people, *, start):
    audit = audit_svc.audit_plan(
        certification=cert,
        kind="surveillance",
        planned_start=start,
        planned_end=start,
        team_leader=people.auditor,
        by=people.staff,
    )
    audit, _ = run_audit(
        audit, people, start=start, end=start, recommendation=Recommendation.CONTINUE
    )
    cert.refresh_from_db()
    return audit


def pending(people, *, stage1_start=D(2024, 10, 1), stage2_start=D(2024, 12, 16), findings=()):
    """Decision pending: applied 2024-09-01, accepted 2024-09-10, stage 1 on
    ``stage1_start`` (+1 day), stage 2 on ``stage2_start`` (+2 days, its last day), submitted
    the day after. Returns (cert, stage 2 audit, findings raised on stage 2's last day)."""
    cert = apply(people, received_on=D(2024, 9, 1))
    cert = accept(cert, people, D(2024, 9, 10))
    cert, _ = stage1(cert, people, start=stage1_start)
    return stage2(cert, people, start=stage2_start, findings=findings)


def build(people, state):
    """A certification in ``state`` (a certificates.models.State), reached through the
    services with concrete dates:

    applied 2024-09-01, under review / rejected 2024-09-05, accepted 2024-09-10, stage 1
    planned 2024-09-17 for 2024-10-01, stage 2 planned for 2024-11-04 after stage 1 closed
    ready on 2024-10-02, decision pending after stage 2 on 2024-12-16..18, refused or granted
    on 2025-01-15 (expiry 2028-01-14), suspended or withdrawn on 2025-06-01, expired on
    2028-01-15."""
    from certificates.models import State

    state = State(state)
    if state in (State.APPLIED, State.UNDER_REVIEW, State.REJECTED):
        cert = apply(people, received_on=D(2024, 9, 1))
        if state == State.UNDER_REVIEW:
            svc.certification_start_review(certification=cert, by=people.staff, on=D(2024, 9, 5))
        elif state == State.REJECTED:
            svc.certification_reject(
                certification=cert, reason="Outside our scope", by=people.staff, on=D(2024, 9, 5)
            )
    elif state in (State.ACCEPTED, State.STAGE1, State.STAGE2):
        cert = accept(apply(people, received_on=D(2024, 9, 1)), people, D(2024, 9, 10))
        if state == State.STAGE1:
            svc.certification_plan_stage1(
                certification=cert,
                planned_start=D(2024, 10, 1),
                planned_end=D(2024, 10, 2),
                team_leader=people.auditor,
                by=people.staff,
                on=D(2024, 9, 17),
            )
        elif state == State.STAGE2:
            cert, _ = stage1(cert, people, start=D(2024, 10, 1))
            svc.certification_plan_stage2(
                certification=cert,
                planned_start=D(2024, 11, 4),
                planned_end=D(2024, 11, 6),
                team_leader=people.auditor,
                by=people.staff,
                on=D(2024, 10, 15),
            )
    elif state in (State.DECISION_PENDING, State.REFUSED):
        cert, _, _ = pending(people)
        if state == State.REFUSED:
            svc.certification_refuse(
                certification=cert, reason="Not effective", by=people.decider, on=D(2025, 1, 15)
            )
    else:
        cert = certified(people, decided_on=D(2025, 1, 15))
        if state == State.SUSPENDED:
            svc.certification_suspend(
                certification=cert, reason="Client asked", by=people.decider, on=D(2025, 6, 1)
            )
        elif state == State.WITHDRAWN:
            svc.certification_withdraw(
                certification=cert, reason="Client asked", by=people.decider, on=D(2025, 6, 1)
            )
        elif state == State.EXPIRED:
            svc.certification_expire(certification=cert, on=D(2028, 1, 15))
    cert.refresh_from_db()
    assert cert.state == state, (cert.state, state)
    return cert


def extend_scope(*, certification, scope, reason, by, on, services=None, sites=()):
    """A scope extension the review found no audit needed for, applied for and reviewed on
    ``on`` by CB staff and decided on ``on`` by ``by`` (the new certificate version)."""
    from .factories import UserFactory

    reviewer = UserFactory(username="extension_reviewer", role="CB staff")
    extension = svc.scope_extension_apply(
        certification=certification,
        received_on=on,
        services=services or scope,
        scope=scope,
        sites=sites,
        by=reviewer,
    )
    extension = svc.scope_extension_review(
        extension=extension,
        audit_needed=False,
        justification="已在监督审核中验证 / Verified at the surveillance audit.",
        by=reviewer,
        on=on,
    )
    return svc.scope_extension_grant(extension=extension, reason=reason, by=by, on=on)
