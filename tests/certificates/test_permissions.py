"""Permissions: each role may take only its own steps. A user without the permission is
refused with the permission message (before any rule is looked at) and nothing changes."""

import datetime

import pytest
from django_fsm_log.models import StateLog

from audits import services as audit_svc
from audits.models import Audit, Finding
from audits.services import AuditError
from certificates import services as svc
from certificates.models import Certification, State
from certificates.services import CertificationError
from tests import lifecycle as lc
from tests.factories import UserFactory

D = datetime.date
pytestmark = pytest.mark.django_db
ON = D(2025, 6, 15)


def snapshot(cert):
    row = Certification.objects.get(pk=cert.pk)
    return (
        row.state,
        row.revision,
        row.scope,
        row.expiry_date,
        StateLog.objects.for_(row).count(),
        row.decisions.count(),
        list(row.certificates.values_list("version", "status")),
        list(row.audits.order_by("pk").values_list("state", flat=True)),
        Finding.objects.filter(audit__certification=row).count(),
    )


def no_permission(label):
    return f"You do not have permission to “{label}”."


def test_auditor_cannot_grant(people):
    cert = lc.build(people, State.DECISION_PENDING)
    before = snapshot(cert)
    with pytest.raises(CertificationError) as err:
        svc.certification_grant(certification=cert, by=people.auditor, on=D(2025, 1, 15))
    assert err.value.messages == ["You do not have permission to “Grant certification”."]
    assert snapshot(cert) == before


def test_staff_cannot_suspend(people):
    cert = lc.build(people, State.ACTIVE)
    before = snapshot(cert)
    with pytest.raises(CertificationError) as err:
        svc.certification_suspend(
            certification=cert, reason="Missed surveillance", by=people.staff, on=ON
        )
    assert err.value.messages == ["You do not have permission to “Suspend”."]
    assert snapshot(cert) == before


def test_decision_maker_cannot_accept(people):
    cert = lc.build(people, State.UNDER_REVIEW)
    before = snapshot(cert)
    with pytest.raises(CertificationError) as err:
        svc.certification_accept(certification=cert, by=people.decider, on=D(2024, 9, 10))
    assert err.value.messages == ["You do not have permission to “Accept application”."]
    assert snapshot(cert) == before


def test_permission_is_checked_before_the_rules(people):
    """Staff suspending without a reason learn that they may not suspend at all."""
    cert = lc.build(people, State.ACTIVE)
    with pytest.raises(CertificationError) as err:
        svc.certification_suspend(certification=cert, reason="", by=people.staff, on=ON)
    assert err.value.messages == ["You do not have permission to “Suspend”."]


def _plan(service, **extra):
    return lambda c, u: service(
        certification=c,
        planned_start=ON,
        planned_end=ON,
        team_leader=u,
        justification="j",
        by=u,
        on=ON,
        **extra,
    )


# state -> [(label, call(cert, user), users who may not)]
CASES = {
    State.APPLIED: [
        (
            "Start review",
            lambda c, u: svc.certification_start_review(certification=c, by=u, on=ON),
            ["auditor", "decider"],
        ),
        (
            "Reject application",
            lambda c, u: svc.certification_reject(certification=c, reason="r", by=u, on=ON),
            ["auditor", "decider"],
        ),
    ],
    State.UNDER_REVIEW: [
        (
            "Accept application",
            lambda c, u: svc.certification_accept(certification=c, by=u, on=ON),
            ["auditor", "decider"],
        ),
    ],
    State.ACCEPTED: [
        ("Plan stage 1", _plan(svc.certification_plan_stage1), ["auditor", "decider"]),
    ],
    State.STAGE1: [
        ("Repeat stage 1", _plan(svc.certification_plan_stage1), ["auditor", "decider"]),
        ("Plan stage 2", _plan(svc.certification_plan_stage2), ["auditor", "decider"]),
    ],
    State.STAGE2: [
        (
            "Submit for decision",
            lambda c, u: svc.certification_submit_for_decision(certification=c, by=u, on=ON),
            ["auditor", "decider"],
        ),
    ],
    State.DECISION_PENDING: [
        (
            "Grant certification",
            lambda c, u: svc.certification_grant(certification=c, by=u, on=ON),
            ["auditor", "staff"],
        ),
        (
            "Refuse certification",
            lambda c, u: svc.certification_refuse(certification=c, reason="r", by=u, on=ON),
            ["auditor", "staff"],
        ),
        ("Plan a new stage 2", _plan(svc.certification_plan_stage2), ["auditor", "decider"]),
    ],
    State.ACTIVE: [
        (
            "Recertify (new cycle)",
            lambda c, u: svc.certification_recertify(certification=c, by=u, on=ON),
            ["auditor", "staff"],
        ),
        (
            "Suspend",
            lambda c, u: svc.certification_suspend(certification=c, reason="r", by=u, on=ON),
            ["auditor", "staff"],
        ),
        (
            "Withdraw",
            lambda c, u: svc.certification_withdraw(certification=c, reason="r", by=u, on=ON),
            ["auditor", "staff"],
        ),
        (
            "Reduce scope",
            lambda c, u: svc.certification_reduce_scope(
                certification=c, scope="Less", reason="r", by=u, on=ON
            ),
            ["auditor", "staff"],
        ),
        (
            "Extend scope",
            lambda c, u: svc.certification_extend_scope(
                certification=c, extension=None, reason="r", by=u, on=ON
            ),
            ["auditor", "staff"],
        ),
        (
            "Expire",
            lambda c, u: svc.certification_expire(certification=c, by=u, on=D(2028, 1, 15)),
            ["auditor", "decider"],
        ),
    ],
    State.SUSPENDED: [
        (
            "Restore (lift suspension)",
            lambda c, u: svc.certification_lift_suspension(
                certification=c, reason="r", by=u, on=ON
            ),
            ["auditor", "staff"],
        ),
    ],
    State.EXPIRED: [
        (
            "Restore after expiry",
            lambda c, u: svc.certification_restore_after_expiry(
                certification=c, by=u, on=D(2028, 2, 1)
            ),
            ["auditor", "staff"],
        ),
        ("Plan a new stage 2", _plan(svc.certification_plan_stage2), ["auditor", "decider"]),
    ],
}


@pytest.mark.parametrize("state", list(CASES), ids=[s.value for s in CASES])
def test_each_transition_needs_its_role(people, state, subtests):
    cert = lc.build(people, state)
    before = snapshot(cert)
    for label, call, users in CASES[state]:
        for username in users:
            with subtests.test(action=label, user=username):
                cert.refresh_from_db()
                with pytest.raises(CertificationError) as err:
                    call(cert, getattr(people, username))
                assert err.value.messages == [no_permission(label)]
                assert snapshot(cert) == before


@pytest.mark.parametrize("username", ["auditor", "decider"])
def test_only_staff_record_applications(people, username):
    cert = lc.build(people, State.WITHDRAWN)
    before = snapshot(cert)
    with pytest.raises(CertificationError) as err:
        svc.application_submit(
            client=cert.client,
            standards=[cert.standard],
            by=getattr(people, username),
            received_on=D(2025, 9, 1),
            scope="x",
            effective_personnel=10,
        )
    assert err.value.messages == ["You do not have permission to do this."]
    assert snapshot(cert) == before
    assert cert.client.applications.count() == 1


def test_administrator_may_do_everything(people):
    admin = UserFactory(role="Administrator", username="admin")
    cert = lc.build(people, State.DECISION_PENDING)
    certificate = svc.certification_grant(certification=cert, by=admin, on=D(2025, 1, 15))
    cert.refresh_from_db()
    svc.certification_suspend(certification=cert, reason="r", by=admin, on=D(2025, 2, 1))
    cert.refresh_from_db()
    assert cert.state == State.SUSPENDED
    assert certificate.decision.decided_by == admin


# -- Audits and findings ---------------------------------------------------------------------
@pytest.mark.parametrize("username", ["auditor", "decider"])
def test_only_staff_plan_audits(people, username):
    cert = lc.build(people, State.ACTIVE)
    before = snapshot(cert)
    with pytest.raises(CertificationError) as err:
        audit_svc.audit_plan(
            certification=cert,
            kind="surveillance",
            planned_start=D(2025, 11, 3),
            planned_end=D(2025, 11, 3),
            team_leader=people.auditor,
            by=getattr(people, username),
        )
    assert err.value.messages == ["You do not have permission to do this."]
    assert snapshot(cert) == before


def test_audit_steps_need_their_roles(people, subtests):
    cert = lc.build(people, State.STAGE2)
    audit = cert.latest_stage2()

    def refused(call, username, message):
        before = snapshot(cert)
        with subtests.test(message=message, user=username):
            fresh = Audit.objects.get(pk=audit.pk)
            with pytest.raises(AuditError) as err:
                call(fresh, getattr(people, username))
            assert err.value.messages == [message]
            assert snapshot(cert) == before

    start = lambda a, u: audit_svc.audit_start(audit=a, by=u, on=D(2024, 11, 4))  # noqa: E731
    refused(start, "staff", no_permission("Start audit"))
    refused(start, "decider", no_permission("Start audit"))
    audit = start(audit, people.auditor)

    finding = lambda a, u: audit_svc.finding_raise(  # noqa: E731
        audit=a, grade="minor", description="d", by=u, on=D(2024, 11, 5)
    )
    refused(finding, "staff", "You do not have permission to raise findings.")
    refused(finding, "decider", "You do not have permission to raise findings.")
    minor = finding(audit, people.auditor)

    report = lambda a, u: audit_svc.audit_submit_report(  # noqa: E731
        audit=a, recommendation="recommend", by=u, on=D(2024, 11, 6)
    )
    refused(report, "staff", no_permission("Submit report"))
    audit = report(audit, people.auditor)

    close = lambda a, u: audit_svc.audit_close(audit=a, by=u, on=D(2024, 11, 8))  # noqa: E731
    refused(close, "auditor", no_permission("Close audit"))
    refused(close, "decider", no_permission("Close audit"))
    audit = close(audit, people.staff)
    assert audit.state == "closed"

    for username in ("staff", "decider"):
        with subtests.test(action="accept plan", user=username):
            with pytest.raises(AuditError) as err:
                audit_svc.finding_accept_plan(
                    finding=minor, plan="p", by=getattr(people, username), on=D(2024, 11, 20)
                )
            assert err.value.messages == [no_permission("Accept plan")]
            minor.refresh_from_db()
            assert (minor.state, minor.plan) == ("open", "")
