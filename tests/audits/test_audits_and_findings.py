"""Audits and findings: their state machines, the response deadlines of findings (policy
settings), and how closing audits feeds the certification."""

import datetime

import pytest
from django_fsm_log.models import StateLog

from audits import services as audit_svc
from audits.models import Audit, Finding
from audits.services import AuditConflict, AuditError
from certificates import services as svc
from certificates.models import Certification, State
from tests import lifecycle as lc

D = datetime.date
pytestmark = pytest.mark.django_db


def in_progress_stage2(people):
    """A stage 2 audit (planned 2024-11-04..06) started on 2024-11-04."""
    cert = lc.build(people, State.STAGE2)
    audit = cert.latest_stage2()
    return audit_svc.audit_start(audit=audit, by=people.auditor, on=D(2024, 11, 4))


def raise_(audit, people, grade, on=D(2024, 11, 6), description="Something is wrong"):
    return audit_svc.finding_raise(
        audit=audit, grade=grade, description=description, clause="8.5.1", by=people.auditor, on=on
    )


def transitions(obj):
    return list(
        StateLog.objects.for_(obj)
        .order_by("pk")
        .values_list("by__username", "source_state", "state", "transition", "description")
    )


# -- Finding deadlines (policy) --------------------------------------------------------------
def test_finding_deadlines_by_grade(people):
    audit = in_progress_stage2(people)
    major = raise_(audit, people, "major")
    minor = raise_(audit, people, "minor")
    observation = raise_(audit, people, "observation")
    assert (
        major.state,
        major.raised_on,
        major.plan_due,
        major.correction_due,
        major.verification_due,
    ) == (
        "open",
        D(2024, 11, 6),
        D(2024, 12, 6),  # raised + 30 days
        D(2025, 1, 5),  # raised + 60 days
        D(2025, 2, 4),  # raised + 90 days
    )
    assert (minor.state, minor.plan_due, minor.correction_due, minor.verification_due) == (
        "open",
        D(2024, 12, 6),
        None,
        None,
    )
    assert (
        observation.state,
        observation.plan_due,
        observation.correction_due,
        observation.verification_due,
    ) == ("noted", None, None, None)


def test_finding_deadlines_follow_the_settings(people, settings):
    audit = in_progress_stage2(people)
    settings.CERTBODY = {
        **settings.CERTBODY,
        "FINDING_PLAN_DAYS": 14,
        "MAJOR_CORRECTION_DAYS": 45,
        "MAJOR_VERIFICATION_DAYS": 60,
    }
    major = raise_(audit, people, "major")
    minor = raise_(audit, people, "minor")
    observation = raise_(audit, people, "observation")
    assert (major.plan_due, major.correction_due, major.verification_due) == (
        D(2024, 11, 20),
        D(2024, 12, 21),
        D(2025, 1, 5),
    )
    assert (minor.plan_due, minor.correction_due, minor.verification_due) == (
        D(2024, 11, 20),
        None,
        None,
    )
    assert (observation.plan_due, observation.correction_due, observation.verification_due) == (
        None,
        None,
        None,
    )
    # Stored: a later change of the settings does not move existing deadlines.
    settings.CERTBODY = {**settings.CERTBODY, "FINDING_PLAN_DAYS": 30}
    major.refresh_from_db()
    assert major.plan_due == D(2024, 11, 20)


# -- Finding state machine ---------------------------------------------------------------------
def test_major_finding_from_open_to_verified(people):
    audit = in_progress_stage2(people)
    major = raise_(audit, people, "major")
    with pytest.raises(AuditError) as err:
        audit_svc.finding_accept_plan(
            finding=major, plan=" ", by=people.auditor, on=D(2024, 11, 20)
        )
    assert err.value.messages == ["Write down the plan that is accepted."]
    with pytest.raises(AuditError) as err:
        audit_svc.finding_verify(finding=major, by=people.auditor, on=D(2024, 11, 20))
    assert err.value.messages == ["“Verify correction” is not possible while finding is “Open”."]
    major.refresh_from_db()
    assert major.state == "open"

    major = audit_svc.finding_accept_plan(
        finding=major, plan="Retrain the change board", by=people.auditor, on=D(2024, 11, 20)
    )
    assert (major.state, major.plan, major.plan_accepted_on) == (
        "plan_accepted",
        "Retrain the change board",
        D(2024, 11, 20),
    )
    major = audit_svc.finding_mark_corrected(finding=major, by=people.auditor, on=D(2024, 12, 1))
    assert (major.state, major.corrected_on) == ("corrected", D(2024, 12, 1))
    # An auditor who is not on this audit's team may not verify it (ISO/IEC 17021-1 8.4).
    with pytest.raises(AuditError) as err:
        audit_svc.finding_verify(finding=major, by=people.auditor2, on=D(2024, 12, 10))
    assert err.value.messages == ["You are not on the team of this audit."]
    major = audit_svc.finding_verify(finding=major, by=people.auditor, on=D(2024, 12, 10))
    assert (major.state, major.verified_on) == ("verified", D(2024, 12, 10))
    assert transitions(major) == [
        ("auditor", "open", "plan_accepted", "accept_plan", None),
        ("auditor", "plan_accepted", "corrected", "mark_corrected", None),
        ("auditor", "corrected", "verified", "verify", None),
    ]
    assert not Finding.objects.filter(pk=major.pk).blocking_decision().exists()


def test_a_minor_stops_blocking_once_its_plan_is_accepted(people):
    audit = in_progress_stage2(people)
    minor = raise_(audit, people, "minor")
    major = raise_(audit, people, "major")
    assert set(Finding.objects.blocking_decision()) == {minor, major}
    minor = audit_svc.finding_accept_plan(
        finding=minor, plan="Update the SLA template", by=people.auditor, on=D(2024, 11, 20)
    )
    major = audit_svc.finding_accept_plan(
        finding=major, plan="Fix", by=people.auditor, on=D(2024, 11, 20)
    )
    assert list(Finding.objects.blocking_decision()) == [major]
    assert list(Finding.objects.majors_unverified()) == [major]


def test_observations_need_no_response(people):
    audit = in_progress_stage2(people)
    observation = raise_(audit, people, "observation")
    with pytest.raises(AuditError) as err:
        audit_svc.finding_accept_plan(
            finding=observation, plan="x", by=people.auditor, on=D(2024, 11, 20)
        )
    assert err.value.messages == [
        "“Accept plan” is not possible while finding is “Noted (no response needed)”."
    ]
    assert not Finding.objects.blocking_decision().exists()


def test_raising_a_finding_is_checked(people):
    cert = lc.build(people, State.STAGE2)
    planned = cert.latest_stage2()
    with pytest.raises(AuditError) as err:
        raise_(planned, people, "major")
    assert err.value.messages == [
        "Findings can be raised only while the audit is in progress or reported."
    ]
    audit = audit_svc.audit_start(audit=planned, by=people.auditor, on=D(2024, 11, 4))
    with pytest.raises(AuditError) as err:
        raise_(audit, people, "critical")
    assert err.value.messages == ["Unknown grade: critical."]
    with pytest.raises(AuditError) as err:
        raise_(audit, people, "minor", description="   ")
    assert err.value.messages == ["Describe the finding."]
    assert not Finding.objects.exists()
    # After the report, findings may still be written up; after closing, not any more.
    audit = audit_svc.audit_submit_report(
        audit=audit, recommendation="recommend", by=people.auditor, on=D(2024, 11, 6)
    )
    assert raise_(audit, people, "minor").state == "open"
    audit = audit_svc.audit_close(audit=audit, by=people.staff, on=D(2024, 11, 8))
    with pytest.raises(AuditError):
        raise_(audit, people, "minor")
    assert Finding.objects.count() == 1


# -- Audit state machine -----------------------------------------------------------------------
def test_audit_runs_planned_to_closed(people):
    cert = lc.build(people, State.STAGE2)
    audit = cert.latest_stage2()
    assert (audit.state, audit.cycle, audit.team_user_ids()) == (
        "planned",
        1,
        {people.auditor.pk},
    )
    with pytest.raises(AuditError) as err:
        audit_svc.audit_close(audit=audit, by=people.staff, on=D(2024, 11, 4))
    assert err.value.messages == ["“Close audit” is not possible while audit is “Planned”."]

    audit = audit_svc.audit_start(audit=audit, by=people.auditor, on=D(2024, 11, 4))
    assert (audit.state, audit.actual_start) == ("in_progress", D(2024, 11, 4))
    with pytest.raises(AuditError) as err:
        audit_svc.audit_submit_report(
            audit=audit, recommendation="ready", by=people.auditor, on=D(2024, 11, 6)
        )
    assert err.value.messages == [
        "Choose a recommendation: Do not recommend certification, Recommend certification."
    ]
    with pytest.raises(AuditError) as err:
        audit_svc.audit_submit_report(
            audit=audit, recommendation="recommend", by=people.auditor, on=D(2024, 11, 3)
        )
    assert err.value.messages == [
        "This audit has been “In progress” since 2024-11-04: an action on it cannot be dated "
        "2024-11-03, before that."
    ]
    audit.refresh_from_db()
    assert (audit.state, audit.actual_end, audit.recommendation) == ("in_progress", None, "")

    audit = audit_svc.audit_submit_report(
        audit=audit, recommendation="recommend", by=people.auditor, on=D(2024, 11, 6)
    )
    assert (audit.state, audit.actual_end, audit.last_day, audit.recommendation) == (
        "report_submitted",
        D(2024, 11, 6),
        D(2024, 11, 6),
        "recommend",
    )
    audit = audit_svc.audit_close(audit=audit, by=people.staff, on=D(2024, 11, 8))
    assert (audit.state, audit.closed_on) == ("closed", D(2024, 11, 8))
    assert transitions(audit) == [
        ("auditor", "planned", "in_progress", "start", None),
        (
            "auditor",
            "in_progress",
            "report_submitted",
            "submit_report",
            "Recommendation: Recommend certification",
        ),
        ("staff", "report_submitted", "closed", "close", None),
    ]


@pytest.mark.parametrize(
    ("kind", "choices"),
    [
        ("stage1", "Not ready for stage 2, Ready for stage 2"),
        ("surveillance", "Continue certification, Recommend suspension"),
        ("recertification", "Do not recommend certification, Recommend certification"),
    ],
)
def test_recommendations_depend_on_the_kind(people, kind, choices):
    cert = lc.build(people, State.ACTIVE if kind != "stage1" else State.STAGE1)
    if kind == "stage1":
        audit = cert.latest_stage1()
        start = D(2024, 10, 1)
    else:
        start = D(2025, 10, 1)
        audit = audit_svc.audit_plan(
            certification=cert,
            kind=kind,
            planned_start=start,
            planned_end=start,
            team_leader=people.auditor,
            by=people.staff,
        )
    audit = audit_svc.audit_start(audit=audit, by=people.auditor, on=start)
    with pytest.raises(AuditError) as err:
        audit_svc.audit_submit_report(audit=audit, recommendation="", by=people.auditor, on=start)
    assert err.value.messages == [f"Choose a recommendation: {choices}."]


def test_cancel_needs_a_reason(people):
    cert = lc.build(people, State.STAGE1)
    audit = cert.latest_stage1()
    with pytest.raises(AuditError) as err:
        audit_svc.audit_cancel(audit=audit, reason="", by=people.staff, on=D(2024, 9, 20))
    assert err.value.messages == ["A reason is required."]
    audit = audit_svc.audit_cancel(
        audit=audit, reason="Client postponed", by=people.staff, on=D(2024, 9, 20)
    )
    assert audit.state == "cancelled"
    assert transitions(audit) == [
        ("staff", "planned", "cancelled", "cancel", "Client postponed"),
    ]
    # A cancelled stage 1 is not "the latest stage 1" any more.
    cert.refresh_from_db()
    assert cert.latest_stage1() is None


def test_stale_audit_conflicts(people):
    cert = lc.build(people, State.STAGE2)
    stale = cert.latest_stage2()
    audit_svc.audit_start(
        audit=Audit.objects.get(pk=stale.pk), by=people.auditor, on=D(2024, 11, 4)
    )
    with pytest.raises(AuditConflict) as err:
        audit_svc.audit_cancel(audit=stale, reason="r", by=people.staff, on=D(2024, 11, 4))
    assert err.value.messages == [
        "Someone else changed this audit while you were working on it (it is now “In "
        "progress”). Nothing was changed: reload the page and try again."
    ]
    assert Audit.objects.get(pk=stale.pk).state == "in_progress"


# -- Planning audits outside the stages --------------------------------------------------------
def plan(cert, people, kind, start=D(2025, 10, 1), end=None, leader="auditor", **kwargs):
    return audit_svc.audit_plan(
        certification=cert,
        kind=kind,
        planned_start=start,
        planned_end=end or start,
        team_leader=getattr(people, leader) if leader else None,
        by=people.staff,
        **kwargs,
    )


def test_audit_kinds_are_planned_in_their_states_only(people):
    cert = lc.build(people, State.DECISION_PENDING)
    revision = cert.revision
    with pytest.raises(AuditError) as err:
        plan(cert, people, "surveillance")
    assert err.value.messages == [
        "An audit of the kind “Surveillance” cannot be planned while the certification is "
        "“Decision pending”."
    ]
    with pytest.raises(AuditError) as err:
        plan(cert, people, "stage2")
    assert err.value.messages == [
        "Stage 1 and stage 2 are planned from the certification (Actions)."
    ]
    cert.refresh_from_db()
    assert cert.revision == revision
    assert cert.audits.count() == 2  # stage 1 and stage 2 only

    special = plan(cert, people, "special")  # e.g. to check a correction on site
    cert.refresh_from_db()
    assert (special.kind, special.state, special.cycle) == ("special", "planned", 1)
    assert cert.revision == revision + 1


def test_audit_dates_and_leader_are_checked(people):
    cert = lc.build(people, State.ACTIVE)
    with pytest.raises(AuditError) as err:
        plan(cert, people, "surveillance", start=D(2025, 10, 2), end=D(2025, 10, 1))
    assert err.value.messages == ["The planned end is before the planned start."]
    with pytest.raises(AuditError) as err:
        plan(cert, people, "surveillance", leader=None)
    assert err.value.messages == ["An audit needs a team leader."]
    # Only the programme's proposals (no team, dates unconfirmed), untouched.
    assert not cert.audits.filter(kind="surveillance", team_leader__isnull=False).exists()
    assert not cert.audits.filter(kind="surveillance", dates_confirmed=True).exists()


def test_team_leader_is_not_also_a_member(people):
    cert = lc.accept(lc.apply(people), people, D(2024, 9, 10))
    _, audit = svc.certification_plan_stage1(
        certification=cert,
        planned_start=D(2024, 10, 1),
        planned_end=D(2024, 10, 2),
        team_leader=people.auditor,
        members=[people.auditor, people.auditor2],
        by=people.staff,
        on=D(2024, 9, 17),
    )
    assert list(audit.members.all()) == [people.auditor2]
    assert audit.team_user_ids() == {people.auditor.pk, people.auditor2.pk}


# -- Stage 2 start and the age of stage 1 --------------------------------------------------------
def test_new_stage2_after_a_new_application_checks_the_new_stage1(people, settings):
    """A stage 2 after a withdrawal and a new application is a first stage 2 again: the new
    stage 1 must be fresh when it starts (the stage 2 of the old cycle does not count)."""
    # The withdrawal (2025-06-01) is within 12 months of the new application: a body that does
    # not apply CNCA-QMS-01's refusal (policy 0) accepts it (tests/clients/test_intake_history.py
    # covers the refusal).
    settings.CERTBODY = {**settings.CERTBODY, "REFUSE_AFTER_SUSPENSION_MONTHS": 0}
    cert = lc.build(people, State.WITHDRAWN)
    lc.apply(people, client=cert.client, received_on=D(2025, 9, 1))
    cert = lc.accept(Certification.objects.get(pk=cert.pk), people, D(2025, 9, 10))
    cert, _ = lc.stage1(cert, people, start=D(2025, 10, 1), justification="")  # ends 2025-10-02
    cert.refresh_from_db()
    cert, audit = svc.certification_plan_stage2(
        certification=cert,
        planned_start=D(2026, 3, 30),
        planned_end=D(2026, 4, 1),
        team_leader=people.auditor,
        by=people.staff,
        on=D(2025, 10, 15),
    )
    with pytest.raises(AuditError) as err:
        audit_svc.audit_start(audit=audit, by=people.auditor, on=D(2026, 4, 3))
    assert err.value.messages == [
        "Stage 1 ended on 2025-10-02, more than 6 months ago: record a justification on this "
        "stage 2 audit, or repeat stage 1."
    ]


# -- Surveillance feeds the programme ------------------------------------------------------------
def test_surveillance_of_a_past_cycle_does_not_count(people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    late = plan(  # cycle 1, long after its due date
        cert, people, "surveillance", start=D(2027, 11, 20), late_reason="client postponed"
    )
    late = audit_svc.audit_start(audit=late, by=people.auditor, on=D(2027, 11, 20))
    cert.refresh_from_db()
    lc.recert_audit(cert, people, start=D(2027, 10, 11))
    svc.certification_recertify(certification=cert, by=people.decider, on=D(2027, 11, 25))
    late = audit_svc.audit_submit_report(
        audit=late, recommendation="continue", by=people.auditor, on=D(2027, 11, 20)
    )
    audit_svc.audit_close(audit=late, by=people.staff, on=D(2027, 12, 1))
    cert.refresh_from_db()
    assert (cert.cycle, cert.surveillances_done, cert.next_surveillance_due) == (
        2,
        0,
        D(2029, 1, 15),
    )
