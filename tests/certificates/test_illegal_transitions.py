"""Refused steps: every transition that does not leave a state (Rule 8), and the rules of
stage 1 / stage 2 (Rule 2), findings before the decision (Rule 3) and the decision maker's
impartiality (Rule 4). A refusal says why and changes nothing."""

import datetime

import pytest
from django.db import transaction
from django_fsm_log.models import StateLog

from audits import services as audit_svc
from audits.models import Audit
from audits.services import AuditError
from certificates import services as svc
from certificates.models import Certification, State
from certificates.services import CertificationConflict, CertificationError
from core.transitions import available_transitions, run_transition, transition_label
from tests import lifecycle as lc
from tests.factories import UserFactory, dual_role_user

D = datetime.date
pytestmark = pytest.mark.django_db

# Which transitions leave each state (the diagram of shared/domain.md).
LEGAL = {
    State.APPLIED: {"start_review", "reject", "import_existing"},
    State.UNDER_REVIEW: {"reject", "accept"},
    State.ACCEPTED: {"begin_stage1"},
    State.REJECTED: {"reapply"},
    State.STAGE1: {"repeat_stage1", "begin_stage2"},
    State.STAGE2: {"submit_for_decision", "new_stage2"},
    State.DECISION_PENDING: {"new_stage2", "grant", "refuse"},
    State.REFUSED: {"reapply"},
    State.ACTIVE: {"recertify", "expire", "suspend", "withdraw", "reduce_scope", "extend_scope"},
    State.SUSPENDED: {"expire", "lift_suspension", "withdraw", "reduce_scope"},
    State.WITHDRAWN: {"reapply"},
    State.EXPIRED: {"new_stage2", "restore_after_expiry"},
}
ALL_TRANSITIONS = set().union(*LEGAL.values())

ON = D(2026, 6, 15)


def _service_calls(state):
    """{service: (transition it would take from ``state``, call(cert, user))} for every
    certification service that takes a transition."""
    plan = dict(planned_start=D(2026, 7, 1), planned_end=D(2026, 7, 2), justification="j")
    return {
        "certification_start_review": (
            "start_review",
            lambda c, u: svc.certification_start_review(certification=c, by=u, on=ON),
        ),
        "certification_reject": (
            "reject",
            lambda c, u: svc.certification_reject(certification=c, reason="r", by=u, on=ON),
        ),
        "certification_accept": (
            "accept",
            lambda c, u: svc.certification_accept(certification=c, by=u, on=ON),
        ),
        "certification_plan_stage1": (
            "repeat_stage1" if state == State.STAGE1 else "begin_stage1",
            lambda c, u: svc.certification_plan_stage1(
                certification=c, team_leader=u, by=u, on=ON, **plan
            ),
        ),
        "certification_plan_stage2": (
            "begin_stage2" if state == State.STAGE1 else "new_stage2",
            lambda c, u: svc.certification_plan_stage2(
                certification=c, team_leader=u, by=u, on=ON, **plan
            ),
        ),
        "certification_submit_for_decision": (
            "submit_for_decision",
            lambda c, u: svc.certification_submit_for_decision(certification=c, by=u, on=ON),
        ),
        "certification_grant": (
            "grant",
            lambda c, u: svc.certification_grant(certification=c, by=u, on=ON),
        ),
        "certification_refuse": (
            "refuse",
            lambda c, u: svc.certification_refuse(certification=c, reason="r", by=u, on=ON),
        ),
        "certification_recertify": (
            "recertify",
            lambda c, u: svc.certification_recertify(certification=c, by=u, on=ON),
        ),
        "certification_restore_after_expiry": (
            "restore_after_expiry",
            lambda c, u: svc.certification_restore_after_expiry(certification=c, by=u, on=ON),
        ),
        "certification_expire": (
            "expire",
            lambda c, u: svc.certification_expire(certification=c, by=u, on=ON),
        ),
        "certification_suspend": (
            "suspend",
            lambda c, u: svc.certification_suspend(certification=c, reason="r", by=u, on=ON),
        ),
        "certification_lift_suspension": (
            "lift_suspension",
            lambda c, u: svc.certification_lift_suspension(
                certification=c, reason="r", by=u, on=ON
            ),
        ),
        "certification_withdraw": (
            "withdraw",
            lambda c, u: svc.certification_withdraw(certification=c, reason="r", by=u, on=ON),
        ),
        "certification_reduce_scope": (
            "reduce_scope",
            lambda c, u: svc.certification_reduce_scope(
                certification=c, scope="Smaller", reason="r", by=u, on=ON
            ),
        ),
        "certification_extend_scope": (
            "extend_scope",
            lambda c, u: svc.certification_extend_scope(
                certification=c, extension=None, reason="r", by=u, on=ON
            ),
        ),
    }


def snapshot(cert):
    """Everything a refused step must leave as it was."""
    row = Certification.objects.get(pk=cert.pk)
    return {
        "state": row.state,
        "revision": row.revision,
        "scope": row.scope,
        "cycle": row.cycle,
        "expiry_date": row.expiry_date,
        "logs": StateLog.objects.for_(row).count(),
        "decisions": row.decisions.count(),
        "certificates": list(row.certificates.values_list("version", "status")),
        "audits": row.audits.count(),
    }


def not_possible(name, state):
    label = transition_label(Certification(), name)
    return f"“{label}” is not possible while certification is “{State(state).label}”."


def test_legal_table_matches_the_state_machine():
    """The table above is the state machine: a transition added or moved shows up here."""
    names = {t.name for t in Certification().get_all_state_transitions()}
    assert names == ALL_TRANSITIONS
    for state, legal in LEGAL.items():
        cert = Certification(state=state)  # unsaved: only to ask the machine
        assert set(available_transitions(cert)) == legal, state


@pytest.mark.parametrize("state", list(State), ids=[s.value for s in State])
def test_every_illegal_transition_is_refused_and_changes_nothing(people, state, subtests):
    admin = UserFactory(role="Administrator", username="admin")
    cert = lc.build(people, state)
    assert set(available_transitions(cert)) == LEGAL[state]
    before = snapshot(cert)

    for name in sorted(ALL_TRANSITIONS - LEGAL[state]):
        with subtests.test(transition=name):
            with pytest.raises(CertificationError) as err, transaction.atomic():
                locked = Certification.objects.select_for_update().get(pk=cert.pk)
                run_transition(locked, name, by=admin, on=ON, error=CertificationError)
            assert err.value.messages == [not_possible(name, state)]
            assert snapshot(cert) == before

    for service, (name, call) in _service_calls(state).items():
        if name in LEGAL[state]:
            continue
        with subtests.test(service=service):
            cert.refresh_from_db()
            with pytest.raises(CertificationError) as err:
                call(cert, admin)
            assert err.value.messages == [not_possible(name, state)]
            assert snapshot(cert) == before


def test_stale_copy_conflicts_and_changes_nothing(people):
    cert = lc.build(people, State.ACTIVE)
    stale = Certification.objects.get(pk=cert.pk)
    lc.extend_scope(
        certification=cert, scope="Wider", reason="r", by=people.decider, on=D(2025, 3, 1)
    )
    before = snapshot(cert)
    with pytest.raises(CertificationConflict) as err:
        svc.certification_suspend(
            certification=stale, reason="r", by=people.decider, on=D(2025, 3, 2)
        )
    assert err.value.messages == [
        "Someone else changed this certification while you were working on it (it is now "
        "“Active”). Nothing was changed: reload the page and try again."
    ]
    assert snapshot(cert) == before


# -- Rule 2: stage 1 before stage 2 ---------------------------------------------------------
def plan_stage2(cert, people, *, start, on, justification=""):
    cert.refresh_from_db()
    return svc.certification_plan_stage2(
        certification=cert,
        planned_start=start,
        planned_end=start + datetime.timedelta(days=2),
        team_leader=people.auditor,
        by=people.staff,
        on=on,
        justification=justification,
    )


MSG_STAGE1_NOT_READY = "Stage 2 cannot start before stage 1 is closed as ready for stage 2."


def test_stage2_cannot_be_planned_before_stage1_is_closed(people):
    cert = lc.build(people, State.STAGE1)  # stage 1 planned for 2024-10-01..02, not held
    before = snapshot(cert)
    with pytest.raises(CertificationError) as err:
        plan_stage2(cert, people, start=D(2024, 11, 4), on=D(2024, 9, 20))
    assert err.value.messages == [MSG_STAGE1_NOT_READY]
    assert snapshot(cert) == before
    # Held and reported, but not closed yet: still refused.
    audit = cert.latest_stage1()
    audit = audit_svc.audit_start(audit=audit, by=people.auditor, on=D(2024, 10, 1))
    audit_svc.audit_submit_report(
        audit=audit, recommendation="ready", by=people.auditor, on=D(2024, 10, 2)
    )
    with pytest.raises(CertificationError) as err:
        plan_stage2(cert, people, start=D(2024, 11, 4), on=D(2024, 10, 3))
    assert err.value.messages == [MSG_STAGE1_NOT_READY]
    assert Certification.objects.get(pk=cert.pk).state == State.STAGE1


def test_stage2_refused_after_a_not_ready_stage1(people):
    cert = lc.accept(lc.apply(people), people, D(2024, 9, 10))
    cert, audit = lc.stage1(cert, people, start=D(2024, 10, 1), ready=False)
    assert (audit.state, audit.recommendation) == ("closed", "not_ready")
    with pytest.raises(CertificationError) as err:
        plan_stage2(cert, people, start=D(2024, 11, 4), on=D(2024, 10, 15))
    assert err.value.messages == [MSG_STAGE1_NOT_READY]
    cert.refresh_from_db()
    assert cert.state == State.STAGE1
    assert not cert.audits.filter(kind="stage2").exists()


def test_repeat_stage1_needs_a_justification(people):
    cert = lc.build(people, State.STAGE1)
    # While the first stage 1 is still planned, and without a justification.
    with pytest.raises(CertificationError) as err:
        lc.stage1(cert, people, start=D(2024, 11, 1))
    assert err.value.messages == [
        "The current stage 1 audit is not closed or cancelled yet.",
        "A second stage 1 needs a recorded justification (impartiality risk).",
    ]
    first = cert.latest_stage1()
    lc.run_audit(
        first, people, start=D(2024, 10, 1), end=D(2024, 10, 2), recommendation="not_ready"
    )
    before = snapshot(cert)
    with pytest.raises(CertificationError) as err:
        lc.stage1(cert, people, start=D(2024, 11, 4), justification="  ")
    assert err.value.messages == [
        "A second stage 1 needs a recorded justification (impartiality risk)."
    ]
    assert snapshot(cert) == before

    cert, second = lc.stage1(
        cert, people, start=D(2024, 11, 4), justification="Client not ready at first visit"
    )
    assert cert.state == State.STAGE1
    assert second.justification == "Client not ready at first visit"
    assert cert.latest_stage1() == second
    last = StateLog.objects.for_(cert).latest("pk")
    assert (last.source_state, last.state, last.transition, last.description) == (
        "stage1",
        "stage1",
        "repeat_stage1",
        "Client not ready at first visit",
    )
    # The repeated stage 1 was ready: stage 2 goes ahead.
    cert, _ = plan_stage2(cert, people, start=D(2024, 12, 2), on=D(2024, 11, 15))
    assert cert.state == State.STAGE2


def test_stale_stage1_needs_a_justification_to_plan_stage2(people):
    cert = lc.accept(lc.apply(people), people, D(2024, 9, 10))
    cert, _ = lc.stage1(cert, people, start=D(2024, 10, 1))  # last day 2024-10-02
    # Exactly six months later is still fine; one day more is not.
    cert.rule_context(on=D(2025, 3, 20), planned_start=D(2025, 4, 2))
    assert cert.blockers("begin_stage2") == []
    before = snapshot(cert)
    with pytest.raises(CertificationError) as err:
        plan_stage2(cert, people, start=D(2025, 4, 3), on=D(2025, 3, 20))
    assert err.value.messages == [
        "Stage 1 ended on 2024-10-02, more than 6 months before stage 2: record a "
        "justification, or repeat stage 1."
    ]
    assert snapshot(cert) == before

    cert, audit = plan_stage2(
        cert, people, start=D(2025, 4, 3), on=D(2025, 3, 20), justification="Client relocated"
    )
    assert cert.state == State.STAGE2
    assert audit.justification == "Client relocated"
    last = StateLog.objects.for_(cert).latest("pk")
    assert (last.transition, last.description) == ("begin_stage2", "Client relocated")
    # With the justification on the audit, it may start although stage 1 is stale.
    audit = audit_svc.audit_start(audit=audit, by=people.auditor, on=D(2025, 4, 3))
    assert (audit.state, audit.actual_start) == ("in_progress", D(2025, 4, 3))


def test_stage2_audit_cannot_start_once_stage1_went_stale(people):
    cert = lc.accept(lc.apply(people), people, D(2024, 9, 10))
    cert, _ = lc.stage1(cert, people, start=D(2024, 10, 1))  # last day 2024-10-02
    cert, audit = plan_stage2(cert, people, start=D(2025, 3, 31), on=D(2024, 10, 15))
    assert audit.justification == ""
    with pytest.raises(AuditError) as err:
        audit_svc.audit_start(audit=audit, by=people.auditor, on=D(2025, 4, 3))
    assert err.value.messages == [
        "Stage 1 ended on 2024-10-02, more than 6 months ago: record a justification on this "
        "stage 2 audit, or repeat stage 1."
    ]
    audit.refresh_from_db()
    assert (audit.state, audit.actual_start) == ("planned", None)
    assert StateLog.objects.for_(audit).count() == 0
    # On the last day of the validity it may still start.
    audit = audit_svc.audit_start(audit=audit, by=people.auditor, on=D(2025, 4, 2))
    assert audit.state == "in_progress"


# -- Rule 3: findings before the decision ---------------------------------------------------
def test_grant_refused_until_majors_verified_and_minor_plans_accepted(people):
    cert, _, raised = lc.pending(
        people, findings=("major", "major", "minor", "observation", "observation")
    )
    major1, major2, minor, obs1, obs2 = raised
    assert (obs1.state, obs2.state) == ("noted", "noted")

    def refusal(on=D(2025, 1, 15)):
        before = snapshot(cert)
        with pytest.raises(CertificationError) as err:
            svc.certification_grant(certification=cert, by=people.decider, on=on)
        assert snapshot(cert) == before
        return err.value.messages

    assert refusal() == [
        "2 major nonconformities are not verified.",
        "1 minor nonconformity has no accepted plan.",
    ]
    minor = audit_svc.finding_accept_plan(
        finding=minor, plan="Train staff", by=people.auditor, on=D(2025, 1, 5)
    )
    major1 = audit_svc.finding_accept_plan(
        finding=major1, plan="Fix", by=people.auditor, on=D(2025, 1, 5)
    )
    major1 = audit_svc.finding_mark_corrected(finding=major1, by=people.auditor, on=D(2025, 1, 8))
    # A plan accepted and a correction made are not enough for a major: it must be verified.
    assert refusal() == ["2 major nonconformities are not verified."]
    audit_svc.finding_verify(finding=major1, by=people.auditor, on=D(2025, 1, 10))
    assert refusal() == ["1 major nonconformity is not verified."]
    lc.resolve([major2], people, D(2025, 1, 12))

    certificate = svc.certification_grant(certification=cert, by=people.decider, on=D(2025, 1, 15))
    assert certificate.version == 1
    cert.refresh_from_db()
    assert cert.state == State.ACTIVE


def test_observations_never_block_the_decision(people):
    cert, _, raised = lc.pending(people, findings=("observation", "observation"))
    assert [(f.grade, f.state) for f in raised] == [("observation", "noted")] * 2
    svc.certification_grant(certification=cert, by=people.decider, on=D(2025, 1, 15))
    cert.refresh_from_db()
    assert cert.state == State.ACTIVE


def test_majors_unverified_six_months_after_stage2_need_a_new_stage2(people):
    # Stage 1 2024-10-01..02, stage 2 2024-12-16..18: the limit is 2025-06-18.
    cert, old_stage2, (major,) = lc.pending(people, findings=("major",))
    with pytest.raises(CertificationError) as err:
        svc.certification_grant(certification=cert, by=people.decider, on=D(2025, 6, 18))
    assert err.value.messages == ["1 major nonconformity is not verified."]
    with pytest.raises(CertificationError) as err:
        svc.certification_grant(certification=cert, by=people.decider, on=D(2025, 6, 19))
    assert err.value.messages == [
        "Major nonconformities were not verified within 6 months of the last day of stage 2 "
        "(2025-06-18): a new stage 2 is required."
    ]
    cert.refresh_from_db()
    assert cert.state == State.DECISION_PENDING

    # The way on: a new stage 2 (no reason needed: the limit is the reason). Stage 1 is
    # long stale by now, but a new stage 2 does not depend on it.
    cert, new_stage2, _ = lc.stage2(cert, people, start=D(2025, 7, 7), planned_on=D(2025, 6, 20))
    assert new_stage2.justification == ""
    assert [h.transition for h in StateLog.objects.for_(cert).order_by("pk")][-2:] == [
        "new_stage2",
        "submit_for_decision",
    ]
    assert cert.latest_stage2() == new_stage2
    # The old major still counts until it is closed out (verified at the new stage 2).
    with pytest.raises(CertificationError) as err:
        svc.certification_grant(certification=cert, by=people.decider, on=D(2025, 7, 20))
    assert err.value.messages == ["1 major nonconformity is not verified."]
    lc.resolve([major], people, D(2025, 7, 9))
    certificate = svc.certification_grant(certification=cert, by=people.decider, on=D(2025, 8, 1))
    cert.refresh_from_db()
    assert cert.state == State.ACTIVE
    assert (cert.cycle_start, cert.expiry_date) == (D(2025, 8, 1), D(2028, 7, 31))
    decision = certificate.decision
    old_stage2.refresh_from_db()
    assert old_stage2.decision == decision  # the replaced stage 2 is covered by the decision
    assert sorted(decision.audits.values_list("kind", flat=True)) == [
        "stage1",
        "stage2",
        "stage2",
    ]


def test_new_stage2_before_the_limit_needs_a_reason(people):
    cert, _, _ = lc.pending(people, findings=("minor",))
    before = snapshot(cert)
    with pytest.raises(CertificationError) as err:
        plan_stage2(cert, people, start=D(2025, 2, 3), on=D(2025, 1, 20))
    assert err.value.messages == ["A reason is required."]
    assert snapshot(cert) == before
    cert, _ = plan_stage2(
        cert, people, start=D(2025, 2, 3), on=D(2025, 1, 20), justification="Scope changed"
    )
    assert cert.state == State.STAGE2


# -- Rule 4: the decision maker was not on the team ---------------------------------------
MSG_ON_TEAM = "You were on the team of an audit being decided; another decision maker must decide."


@pytest.mark.parametrize("role", ["member", "leader"])
def test_team_member_cannot_grant_or_refuse(people, role):
    dual = dual_role_user()
    team = lc.People(
        staff=people.staff,
        auditor=dual if role == "leader" else people.auditor,
        auditor2=dual if role == "member" else people.auditor2,
        decider=people.decider,
    )
    cert, stage2_audit, _ = lc.pending(team)
    assert dual.pk in stage2_audit.team_user_ids()
    before = snapshot(cert)
    with pytest.raises(CertificationError) as err:
        svc.certification_grant(certification=cert, by=dual, on=D(2025, 1, 15))
    assert err.value.messages == [MSG_ON_TEAM]
    with pytest.raises(CertificationError) as err:
        svc.certification_refuse(certification=cert, reason="No", by=dual, on=D(2025, 1, 15))
    assert err.value.messages == [MSG_ON_TEAM]
    assert snapshot(cert) == before

    certificate = svc.certification_grant(certification=cert, by=people.decider, on=D(2025, 1, 16))
    decision = certificate.decision
    assert (decision.decided_by, decision.decided_on) == (people.decider, D(2025, 1, 16))
    assert set(Audit.objects.filter(decision=decision).values_list("kind", flat=True)) == {
        "stage1",
        "stage2",
    }
    assert set(cert.audits.filter(programme_year=None).values_list("decision", flat=True)) == {
        decision.pk
    }


def test_a_decision_maker_not_on_the_team_may_decide(people):
    dual = dual_role_user()  # also an auditor, but not on these audits
    cert, _, _ = lc.pending(people)
    certificate = svc.certification_grant(certification=cert, by=dual, on=D(2025, 1, 15))
    assert certificate.decision.decided_by == dual


def test_team_member_cannot_recertify(people):
    dual = dual_role_user()
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    team = lc.People(
        staff=people.staff, auditor=dual, auditor2=people.auditor2, decider=people.decider
    )
    audit, _ = lc.recert_audit(cert, team, start=D(2027, 10, 11))
    before = snapshot(cert)
    with pytest.raises(CertificationError) as err:
        svc.certification_recertify(certification=cert, by=dual, on=D(2027, 11, 15))
    assert err.value.messages == [MSG_ON_TEAM]
    assert snapshot(cert) == before
    certificate = svc.certification_recertify(
        certification=cert, by=people.decider, on=D(2027, 11, 15)
    )
    audit.refresh_from_db()
    assert audit.decision == certificate.decision
    assert (certificate.decision.decided_by, certificate.decision.decided_on) == (
        people.decider,
        D(2027, 11, 15),
    )


# -- Conflict of interest bars deciding (issue 15 item 5) -------------------------------------
def test_recent_consultancy_bars_the_grant_naming_the_relationship(people):
    """Consultancy for the client 2022-03-01 .. 2023-06-30: on 2025-01-15 that ended less than
    2 years before, so the grant is refused, with the dates; another decision maker grants."""
    from tests.audits.factories import declare_relationship

    dual = dual_role_user()
    cert, _, _ = lc.pending(people)
    declare_relationship(dual, cert.client, started_on=D(2022, 3, 1), ended_on=D(2023, 6, 30))
    before = snapshot(cert)
    with pytest.raises(CertificationError) as err:
        svc.certification_grant(certification=cert, by=dual, on=D(2025, 1, 15))
    assert err.value.messages == [
        f"dual had a Consultancy relationship with {cert.client} from 2022-03-01 to 2023-06-30, "
        "less than 2 years before this decision (2025-01-15): not before 2025-06-30 may they "
        "take a certification decision on it."
    ]
    assert snapshot(cert) == before
    certificate = svc.certification_grant(certification=cert, by=people.decider, on=D(2025, 1, 15))
    assert certificate.decision.decided_by == people.decider


def test_consultancy_ended_two_years_before_no_longer_bars(people):
    from tests.audits.factories import declare_relationship

    dual = dual_role_user()
    cert, _, _ = lc.pending(people)
    declare_relationship(dual, cert.client, started_on=D(2021, 3, 1), ended_on=D(2023, 1, 15))
    certificate = svc.certification_grant(certification=cert, by=dual, on=D(2025, 1, 15))
    assert certificate.decision.decided_by == dual


def test_employment_bars_every_decision_transition(people):
    """Every transition with permission decide_certification (grant, refuse, recertify,
    restore, suspend, lift the suspension, withdraw, scope changes) is refused to
    someone employed by the client (ongoing since 2024-04-01); suspension is taken as the
    example end to end."""
    from certificates.models import decision_transitions
    from tests.audits.factories import declare_relationship

    dual = dual_role_user()
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    declare_relationship(
        dual,
        cert.client,
        kind="employment",
        started_on=D(2024, 4, 1),
        ended_on=None,
    )
    message = (
        f"dual has an ongoing Employment relationship with {cert.client} (since 2024-04-01) and "
        "may not take a certification decision on it."
    )
    names = decision_transitions()
    assert names >= {
        "grant",
        "refuse",
        "recertify",
        "restore_after_expiry",
        "suspend",
        "lift_suspension",
        "withdraw",
        "reduce_scope",
        "extend_scope",
    }
    for name in names:
        assert message in cert.rule_context(on=D(2025, 6, 2), by=dual).blockers(name), name
    # Not a decision: staff expire a certificate whatever their relationships.
    assert message not in cert.rule_context(on=D(2025, 6, 2), by=dual).blockers("expire")
    before = snapshot(cert)
    with pytest.raises(CertificationError) as err:
        svc.certification_suspend(
            certification=cert, reason="Missed surveillance", by=dual, on=D(2025, 6, 2)
        )
    assert err.value.messages == [message]
    assert snapshot(cert) == before


def test_a_designated_decision_maker_with_a_conflict_is_refused(people):
    from django.core.exceptions import ValidationError

    from tests.audits.factories import declare_relationship

    dual = dual_role_user()
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    declare_relationship(
        dual, cert.client, kind="employment", started_on=D(2024, 4, 1), ended_on=None
    )
    cert.decision_maker = dual
    with pytest.raises(ValidationError) as err:
        cert.full_clean()
    assert "may not take a certification decision" in str(err.value.message_dict["decision_maker"])
    cert.decision_maker = people.decider
    cert.full_clean()
