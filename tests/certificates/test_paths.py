"""Every legal path, with concrete dates."""

import datetime

import pytest
from django_fsm_log.models import StateLog

from certificates import services as svc
from certificates.models import CertificateStatus, Certification, DecisionOutcome, State
from certificates.services import CertificationError
from tests import lifecycle as lc

D = datetime.date
pytestmark = pytest.mark.django_db


def history(obj):
    return list(
        StateLog.objects.for_(obj).order_by("pk").values_list("source_state", "state", "transition")
    )


def statuses(cert):
    """Certificate versions and their statuses, oldest first."""
    return list(cert.certificates.order_by("version").values_list("version", "status"))


def test_application_to_certificate(people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    assert cert.state == State.ACTIVE
    assert cert.cycle == 1
    assert cert.cycle_start == D(2025, 1, 15)
    assert cert.expiry_date == D(2028, 1, 14)
    assert cert.original_certification_date == D(2025, 1, 15)
    assert cert.next_surveillance_due == D(2026, 1, 15)
    assert cert.surveillance_due_dates() == [D(2026, 1, 15), D(2027, 1, 15)]
    assert cert.is_valid
    certificate = cert.current_certificate()
    assert certificate.version == 1
    assert certificate.full_number == f"CB-ITSM-{cert.pk:06d}-V1"
    assert cert.certificate_number == f"CB-ITSM-{cert.pk:06d}"
    assert (certificate.effective_date, certificate.expiry_date) == (D(2025, 1, 15), D(2028, 1, 14))
    assert certificate.original_certification_date == D(2025, 1, 15)
    assert certificate.status == CertificateStatus.CURRENT
    assert history(cert) == [
        (None, "applied", "open"),
        ("applied", "under_review", "start_review"),
        ("under_review", "accepted", "accept"),
        ("accepted", "stage1", "begin_stage1"),
        ("stage1", "stage2", "begin_stage2"),
        ("stage2", "decision_pending", "submit_for_decision"),
        ("decision_pending", "active", "grant"),
    ]
    decision = cert.decisions.get()
    assert decision.outcome == DecisionOutcome.GRANT
    assert decision.decided_by == people.decider
    assert decision.decided_on == D(2025, 1, 15)
    assert sorted(decision.audits.values_list("kind", flat=True)) == ["stage1", "stage2"]
    assert certificate.decision == decision


def test_states_step_by_step(people):
    """Each service moves exactly one step, on the dates given."""
    cert = lc.apply(people, received_on=D(2024, 9, 1))
    assert (cert.state, cert.application.received_on) == (State.APPLIED, D(2024, 9, 1))
    cert = svc.certification_start_review(certification=cert, by=people.staff, on=D(2024, 9, 5))
    assert cert.state == State.UNDER_REVIEW
    cert = svc.certification_accept(certification=cert, by=people.staff, on=D(2024, 9, 10))
    assert cert.state == State.ACCEPTED
    cert, s1 = lc.stage1(cert, people, start=D(2024, 10, 1))
    assert cert.state == State.STAGE1
    assert (s1.state, s1.actual_start, s1.actual_end, s1.recommendation) == (
        "closed",
        D(2024, 10, 1),
        D(2024, 10, 2),
        "ready",
    )
    cert, s2, _ = lc.stage2(cert, people, start=D(2024, 12, 16))
    assert cert.state == State.DECISION_PENDING
    assert (s2.actual_start, s2.actual_end, s2.closed_on) == (
        D(2024, 12, 16),
        D(2024, 12, 18),
        D(2024, 12, 18),
    )
    assert cert.cycle_start is None and cert.expiry_date is None
    assert not cert.certificates.exists()
    certificate = svc.certification_grant(certification=cert, by=people.decider, on=D(2025, 1, 15))
    cert.refresh_from_db()
    assert cert.state == State.ACTIVE
    assert certificate.expiry_date == D(2028, 1, 14)


@pytest.mark.parametrize("review_first", [False, True], ids=["from_applied", "from_under_review"])
def test_rejected(people, review_first):
    cert = lc.apply(people, received_on=D(2024, 9, 1))
    if review_first:
        cert = svc.certification_start_review(certification=cert, by=people.staff, on=D(2024, 9, 5))
    with pytest.raises(CertificationError) as err:
        svc.certification_reject(certification=cert, reason="  ", by=people.staff, on=D(2024, 9, 6))
    assert err.value.messages == ["A reason is required."]
    cert = svc.certification_reject(
        certification=cert,
        reason="Service outside our accreditation",
        by=people.staff,
        on=D(2024, 9, 6),
    )
    assert cert.state == State.REJECTED
    last = StateLog.objects.for_(cert).latest("pk")
    assert (last.source_state, last.state, last.transition) == (
        "under_review" if review_first else "applied",
        "rejected",
        "reject",
    )
    assert last.description == "Service outside our accreditation"
    assert last.by == people.staff
    assert not cert.decisions.exists()


def test_refused(people):
    cert, stage2_audit, _ = lc.pending(people)
    with pytest.raises(CertificationError) as err:
        svc.certification_refuse(
            certification=cert, reason="", by=people.decider, on=D(2025, 1, 15)
        )
    assert err.value.messages == ["A reason is required."]
    decision = svc.certification_refuse(
        certification=cert,
        reason="The system is not effective",
        by=people.decider,
        on=D(2025, 1, 15),
    )
    cert.refresh_from_db()
    assert cert.state == State.REFUSED
    assert (decision.outcome, decision.decided_by, decision.decided_on, decision.reason) == (
        DecisionOutcome.REFUSE,
        people.decider,
        D(2025, 1, 15),
        "The system is not effective",
    )
    stage2_audit.refresh_from_db()
    assert stage2_audit.decision == decision
    assert sorted(decision.audits.values_list("kind", flat=True)) == ["stage1", "stage2"]
    assert not cert.certificates.exists()
    assert cert.expiry_date is None
    assert not cert.is_valid


def test_recertification_before_expiry(people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    lc.surveillance(cert, people, start=D(2025, 12, 1))
    lc.surveillance(cert, people, start=D(2026, 12, 1))
    assert cert.next_surveillance_due is None
    audit, _ = lc.recert_audit(cert, people, start=D(2027, 10, 11))
    certificate = svc.certification_recertify(
        certification=cert, by=people.decider, on=D(2027, 11, 15), reason="Recommended"
    )
    cert.refresh_from_db()
    assert cert.state == State.ACTIVE
    assert cert.cycle == 2
    assert cert.cycle_start == D(2028, 1, 15)
    assert cert.expiry_date == D(2031, 1, 14)
    assert cert.original_certification_date == D(2025, 1, 15)
    assert cert.surveillances_done == 0
    assert cert.surveillance_due_dates() == [D(2029, 1, 15), D(2030, 1, 15)]
    assert cert.next_surveillance_due == D(2029, 1, 15)
    assert certificate.version == 2
    assert certificate.full_number == f"CB-ITSM-{cert.pk:06d}-V2"
    assert (certificate.effective_date, certificate.expiry_date) == (
        D(2027, 11, 15),
        D(2031, 1, 14),
    )
    assert certificate.original_certification_date == D(2025, 1, 15)
    assert statuses(cert) == [(1, "superseded"), (2, "current")]
    assert cert.current_certificate() == certificate
    decision = certificate.decision
    assert (decision.outcome, decision.decided_by, decision.decided_on) == (
        DecisionOutcome.RECERTIFY,
        people.decider,
        D(2027, 11, 15),
    )
    audit.refresh_from_db()
    assert audit.decision == decision
    # The next cycle's first surveillance moves the due date to the second one.
    lc.surveillance(cert, people, start=D(2028, 12, 1))
    assert (cert.surveillances_done, cert.next_surveillance_due) == (1, D(2030, 1, 15))


def test_recertification_on_the_expiry_day_and_not_after(people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    lc.recert_audit(cert, people, start=D(2027, 12, 1))
    with pytest.raises(CertificationError) as err:
        svc.certification_recertify(certification=cert, by=people.decider, on=D(2028, 1, 15))
    assert err.value.messages == [
        "The certificate expired on 2028-01-14: it can only be restored now."
    ]
    svc.certification_recertify(certification=cert, by=people.decider, on=D(2028, 1, 14))
    cert.refresh_from_db()
    assert (cert.cycle, cert.expiry_date) == (2, D(2031, 1, 14))


def test_recertification_needs_a_closed_recertification_audit(people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    with pytest.raises(CertificationError) as err:
        svc.certification_recertify(certification=cert, by=people.decider, on=D(2027, 11, 15))
    assert err.value.messages == ["There is no closed recertification audit awaiting a decision."]
    cert.refresh_from_db()
    assert (cert.cycle, cert.expiry_date) == (1, D(2028, 1, 14))


def test_suspension_and_lifting(people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    decision = svc.certification_suspend(
        certification=cert, reason="Missed surveillance", by=people.decider, on=D(2025, 6, 1)
    )
    cert.refresh_from_db()
    assert cert.state == State.SUSPENDED
    assert not cert.is_valid
    assert (cert.suspended_on, cert.suspension_deadline) == (D(2025, 6, 1), D(2025, 12, 1))
    assert statuses(cert) == [(1, "suspended")]
    assert (decision.outcome, decision.decided_by, decision.decided_on, decision.reason) == (
        DecisionOutcome.SUSPEND,
        people.decider,
        D(2025, 6, 1),
        "Missed surveillance",
    )
    assert Certification.objects.suspension_deadline_passed(on=D(2025, 12, 1)).count() == 0
    assert list(Certification.objects.suspension_deadline_passed(on=D(2025, 12, 2))) == [cert]

    with pytest.raises(CertificationError) as err:
        svc.certification_lift_suspension(
            certification=cert, reason="", by=people.decider, on=D(2025, 7, 1)
        )
    assert err.value.messages == ["A reason is required."]
    decision = svc.certification_lift_suspension(
        certification=cert, reason="Special audit passed", by=people.decider, on=D(2025, 7, 1)
    )
    cert.refresh_from_db()
    assert cert.state == State.ACTIVE
    assert cert.is_valid
    assert (cert.suspended_on, cert.suspension_deadline) == (None, None)
    assert statuses(cert) == [(1, "current")]
    assert decision.outcome == DecisionOutcome.LIFT_SUSPENSION
    assert cert.expiry_date == D(2028, 1, 14)  # the cycle carries on unchanged


def test_suspension_deadline_end_of_month(people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    svc.certification_suspend(certification=cert, reason="r", by=people.decider, on=D(2025, 8, 31))
    cert.refresh_from_db()
    assert cert.suspension_deadline == D(2026, 2, 28)


def test_after_the_suspension_deadline_withdraw_or_reduce_scope(people):
    cert = lc.build(people, State.SUSPENDED)  # suspended 2025-06-01, deadline 2025-12-01
    assert cert.suspension_deadline == D(2025, 12, 1)
    with pytest.raises(CertificationError) as err:
        svc.certification_lift_suspension(
            certification=cert, reason="Fixed at last", by=people.decider, on=D(2025, 12, 2)
        )
    assert err.value.messages == [
        "The suspension deadline (2025-12-01) has passed: withdraw the certification or "
        "reduce its scope."
    ]
    cert.refresh_from_db()
    assert cert.state == State.SUSPENDED

    certificate = svc.certification_reduce_scope(
        certification=cert,
        scope="IT operation services (Beijing only)",
        reason="Suspended services dropped",
        by=people.decider,
        on=D(2025, 12, 2),
    )
    cert.refresh_from_db()
    assert cert.state == State.ACTIVE
    assert cert.scope == "IT operation services (Beijing only)"
    assert (cert.suspended_on, cert.suspension_deadline) == (None, None)
    assert certificate.version == 2
    assert certificate.scope == "IT operation services (Beijing only)"
    assert (certificate.effective_date, certificate.expiry_date) == (D(2025, 12, 2), D(2028, 1, 14))
    assert statuses(cert) == [(1, "superseded"), (2, "current")]
    assert certificate.decision.outcome == DecisionOutcome.REDUCE_SCOPE


def test_lifting_on_the_suspension_deadline_day(people):
    """The deadline is the last day the suspension may be lifted (lifting is refused only
    once it has passed, like the expiry date)."""
    cert = lc.build(people, State.SUSPENDED)
    svc.certification_lift_suspension(
        certification=cert, reason="Fixed", by=people.decider, on=D(2025, 12, 1)
    )
    cert.refresh_from_db()
    assert cert.state == State.ACTIVE


def test_withdrawal_after_the_suspension_deadline(people):
    cert = lc.build(people, State.SUSPENDED)
    decision = svc.certification_withdraw(
        certification=cert, reason="Not resolved in time", by=people.decider, on=D(2025, 12, 2)
    )
    cert.refresh_from_db()
    assert cert.state == State.WITHDRAWN
    assert (cert.suspended_on, cert.suspension_deadline, cert.next_surveillance_due) == (
        None,
        None,
        None,
    )
    assert statuses(cert) == [(1, "withdrawn")]
    assert cert.current_certificate() is None
    assert (decision.outcome, decision.decided_on) == (DecisionOutcome.WITHDRAW, D(2025, 12, 2))


def test_withdrawal_is_final_and_a_new_application_starts_over(people):
    cert = lc.build(people, State.WITHDRAWN)
    assert statuses(cert) == [(1, "withdrawn")]
    old_application = cert.application
    # Nothing but a new application leaves "withdrawn".
    for call in (
        lambda: svc.certification_lift_suspension(
            certification=cert, reason="r", by=people.decider, on=D(2025, 7, 1)
        ),
        lambda: svc.certification_start_review(
            certification=cert, by=people.staff, on=D(2025, 7, 1)
        ),
    ):
        with pytest.raises(CertificationError, match="is not possible while certification"):
            call()
    application = svc.application_submit(
        client=cert.client,
        standards=[cert.standard],
        by=people.staff,
        received_on=D(2025, 9, 1),
        scope="IT operation services, new scope",
        effective_personnel=80,
        system_operating_since=D(2025, 1, 1),
        internal_audit_on=D(2025, 7, 1),
        management_review_on=D(2025, 8, 1),
        no_penalty_declared=True,
        legal_registration_checked=True,
    )
    cert.refresh_from_db()
    assert cert.state == State.APPLIED
    assert cert.application == application != old_application
    assert cert.scope == "IT operation services, new scope"
    assert Certification.objects.filter(client=cert.client).count() == 1
    last = StateLog.objects.for_(cert).latest("pk")
    assert (last.source_state, last.state, last.transition, last.by, last.description) == (
        "withdrawn",
        "applied",
        "reapply",
        people.staff,
        "New application",
    )


def test_application_while_one_is_in_progress_is_refused(people):
    cert = lc.build(people, State.ACTIVE)
    with pytest.raises(CertificationError) as err:
        svc.application_submit(
            client=cert.client,
            standards=[cert.standard],
            by=people.staff,
            received_on=D(2025, 9, 1),
            scope="x",
            effective_personnel=80,
        )
    assert err.value.messages == [
        f"{cert.client} already has a certification to ISO/IEC 20000-1:2018 in progress (“Active”)."
    ]


def test_expiry(people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    with pytest.raises(CertificationError) as err:
        svc.certification_expire(certification=cert, on=D(2028, 1, 14))
    assert err.value.messages == [
        "The certificate is valid until 2028-01-14 and cannot expire before."
    ]
    assert svc.expire_due_certifications(on=D(2028, 1, 14)) == 0
    assert svc.expire_due_certifications(on=D(2028, 1, 15)) == 1
    cert.refresh_from_db()
    assert cert.state == State.EXPIRED
    assert cert.expired_on == D(2028, 1, 15)
    assert cert.next_surveillance_due is None
    assert not cert.is_valid
    assert statuses(cert) == [(1, "expired")]
    last = StateLog.objects.for_(cert).latest("pk")
    assert (last.source_state, last.state, last.transition, last.by) == (
        "active",
        "expired",
        "expire",
        None,
    )
    assert last.description == "Expiry date passed without a recertification decision."
    # Running the nightly job again changes nothing.
    assert svc.expire_due_certifications(on=D(2028, 1, 16)) == 0


def test_suspended_certificate_expires_too(people):
    cert = lc.build(people, State.SUSPENDED)
    cert = svc.certification_expire(certification=cert, on=D(2028, 1, 15))
    assert cert.state == State.EXPIRED
    assert (cert.suspended_on, cert.suspension_deadline) == (None, None)
    assert statuses(cert) == [(1, "expired")]


def test_restoration_within_six_months_after_expiry(people):
    cert = lc.build(people, State.EXPIRED)  # expiry 2028-01-14, expired 2028-01-15
    assert cert.restoration_window_end() == D(2028, 7, 14)
    audit, _ = lc.recert_audit(cert, people, start=D(2028, 3, 1))
    certificate = svc.certification_restore_after_expiry(
        certification=cert, by=people.decider, on=D(2028, 3, 15), reason="Recertification done"
    )
    cert.refresh_from_db()
    assert cert.state == State.ACTIVE
    assert cert.cycle == 2
    assert (cert.cycle_start, cert.expiry_date) == (D(2028, 1, 15), D(2031, 1, 14))
    assert cert.expired_on is None
    assert cert.next_surveillance_due == D(2029, 1, 15)
    assert certificate.version == 2
    assert (certificate.gap_from, certificate.gap_to) == (D(2028, 1, 15), D(2028, 3, 14))
    assert (certificate.effective_date, certificate.expiry_date) == (
        D(2028, 3, 15),
        D(2031, 1, 14),
    )
    # The restored version replaces the expired one (issue 18: Superseded, not left Expired).
    assert statuses(cert) == [(1, "superseded"), (2, "current")]
    assert certificate.decision.outcome == DecisionOutcome.RESTORE_AFTER_EXPIRY
    audit.refresh_from_db()
    assert audit.decision == certificate.decision


def test_restoration_on_the_last_day_of_the_window(people):
    cert = lc.build(people, State.EXPIRED)
    lc.recert_audit(cert, people, start=D(2028, 6, 1))
    certificate = svc.certification_restore_after_expiry(
        certification=cert, by=people.decider, on=D(2028, 7, 14)
    )
    assert (certificate.gap_from, certificate.gap_to) == (D(2028, 1, 15), D(2028, 7, 13))
    assert certificate.expiry_date == D(2031, 1, 14)


def test_after_the_restoration_window_only_a_new_stage2_leads_back(people):
    cert = lc.build(people, State.EXPIRED)
    lc.recert_audit(cert, people, start=D(2028, 6, 1))
    with pytest.raises(CertificationError) as err:
        svc.certification_restore_after_expiry(
            certification=cert, by=people.decider, on=D(2028, 7, 15)
        )
    assert err.value.messages == [
        "The restoration window closed on 2028-07-14: only a new stage 2 leads back."
    ]
    cert.refresh_from_db()
    assert (cert.state, cert.cycle) == (State.EXPIRED, 1)

    cert, audit, _ = lc.stage2(cert, people, start=D(2028, 9, 1))
    assert cert.state == State.DECISION_PENDING
    assert (cert.cycle, audit.cycle) == (2, 2)
    certificate = svc.certification_grant(certification=cert, by=people.decider, on=D(2028, 10, 2))
    cert.refresh_from_db()
    assert cert.state == State.ACTIVE
    assert cert.cycle == 2
    assert (cert.cycle_start, cert.expiry_date) == (D(2028, 10, 2), D(2031, 10, 1))
    # Not restored in time: a break, so a new initial certification and a new original date
    # (version 1 keeps its own).
    assert cert.original_certification_date == D(2028, 10, 2)
    assert certificate.original_certification_date == D(2028, 10, 2)
    assert cert.certificates.get(version=1).original_certification_date == D(2025, 1, 15)
    assert cert.expired_on is None
    assert cert.next_surveillance_due == D(2029, 10, 2)
    assert certificate.version == 2
    assert (certificate.gap_from, certificate.gap_to) == (None, None)
    assert statuses(cert) == [(1, "expired"), (2, "current")]
    assert [h[2] for h in history(cert)][-4:] == [
        "expire",
        "new_stage2",
        "submit_for_decision",
        "grant",
    ]


def test_scope_reduction_and_extension_each_issue_a_new_version(people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    with pytest.raises(CertificationError) as err:
        svc.certification_reduce_scope(
            certification=cert,
            scope=f"  {cert.scope} ",
            reason="",
            by=people.decider,
            on=D(2025, 5, 1),
        )
    assert err.value.messages == [
        "A reason is required.",
        "The new scope is the same as the current one.",
    ]
    with pytest.raises(CertificationError) as err:
        lc.extend_scope(
            certification=cert, scope=" ", reason="r", by=people.decider, on=D(2025, 5, 1)
        )
    assert err.value.messages == [
        "Write the services added to the scope.",
        "Write the scope as the certificate will print it after the extension.",
    ]

    v2 = svc.certification_reduce_scope(
        certification=cert,
        scope="IT operation services",
        reason="Client stopped consulting",
        by=people.decider,
        on=D(2025, 5, 1),
    )
    cert.refresh_from_db()
    assert (cert.state, cert.scope) == (State.ACTIVE, "IT operation services")
    assert (v2.version, v2.scope, v2.effective_date, v2.expiry_date) == (
        2,
        "IT operation services",
        D(2025, 5, 1),
        D(2028, 1, 14),
    )
    v3 = lc.extend_scope(
        certification=cert,
        scope="IT operation services; cloud hosting",
        reason="Extension reviewed with surveillance 1",
        by=people.decider,
        on=D(2026, 1, 20),
    )
    cert.refresh_from_db()
    assert cert.scope == "IT operation services; cloud hosting"
    assert (v3.version, v3.scope, v3.effective_date, v3.expiry_date) == (
        3,
        "IT operation services; cloud hosting",
        D(2026, 1, 20),
        D(2028, 1, 14),
    )
    assert v3.original_certification_date == D(2025, 1, 15)
    assert v3.full_number == f"CB-ITSM-{cert.pk:06d}-V3"
    assert statuses(cert) == [(1, "superseded"), (2, "superseded"), (3, "current")]
    assert list(cert.decisions.order_by("pk").values_list("outcome", flat=True)) == [
        "grant",
        "reduce_scope",
        "extend_scope",
    ]
    # The cycle is untouched by scope changes.
    assert (cert.cycle, cert.cycle_start, cert.next_surveillance_due) == (
        1,
        D(2025, 1, 15),
        D(2026, 1, 15),
    )


def test_surveillance_moves_the_next_due_date(people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    assert (cert.surveillances_done, cert.next_surveillance_due) == (0, D(2026, 1, 15))
    assert list(Certification.objects.surveillance_overdue(on=D(2026, 1, 16))) == [cert]
    lc.surveillance(cert, people, start=D(2025, 11, 10))
    assert (cert.surveillances_done, cert.next_surveillance_due) == (1, D(2027, 1, 15))
    assert Certification.objects.surveillance_overdue(on=D(2026, 1, 16)).count() == 0
    lc.surveillance(cert, people, start=D(2026, 11, 9))
    assert (cert.surveillances_done, cert.next_surveillance_due) == (2, None)
    # Surveillance changes neither the state nor the certificate.
    assert cert.state == State.ACTIVE
    assert statuses(cert) == [(1, "current")]


def test_every_transition_writes_one_state_log(people):
    """Every successful service call writes exactly one StateLog row for the certification:
    by, from, to, transition and the reason as description."""
    s, d = people.staff, people.decider
    cert = lc.apply(people, received_on=D(2024, 9, 1))
    # The application opened it: its first row, from no state.
    expected = [(s.pk, None, "applied", "open", None)]

    def step(call, by, log):
        before = StateLog.objects.for_(cert).count()
        call()
        assert StateLog.objects.for_(cert).count() == before + 1, log
        expected.append((by.pk, *log))
        cert.refresh_from_db()

    step(
        lambda: svc.certification_start_review(certification=cert, by=s, on=D(2024, 9, 5)),
        s,
        ("applied", "under_review", "start_review", None),
    )
    step(
        lambda: svc.certification_accept(certification=cert, by=s, on=D(2024, 9, 10), reason="OK"),
        s,
        ("under_review", "accepted", "accept", "OK"),
    )
    step(
        lambda: lc.stage1(cert, people, start=D(2024, 10, 1)),
        s,
        ("accepted", "stage1", "begin_stage1", None),
    )
    step(
        lambda: svc.certification_plan_stage2(
            certification=cert,
            planned_start=D(2024, 12, 16),
            planned_end=D(2024, 12, 18),
            team_leader=people.auditor,
            justification="Client asked",
            by=s,
            on=D(2024, 12, 1),
        ),
        s,
        ("stage1", "stage2", "begin_stage2", "Client asked"),
    )
    lc.run_audit(
        cert.latest_stage2(),
        people,
        start=D(2024, 12, 16),
        end=D(2024, 12, 18),
        recommendation="recommend",
    )
    step(
        lambda: svc.certification_submit_for_decision(certification=cert, by=s, on=D(2024, 12, 19)),
        s,
        ("stage2", "decision_pending", "submit_for_decision", None),
    )
    step(
        lambda: svc.certification_grant(certification=cert, by=d, on=D(2025, 1, 15), reason="Go"),
        d,
        ("decision_pending", "active", "grant", "Go"),
    )
    step(
        lambda: svc.certification_suspend(certification=cert, reason="A", by=d, on=D(2025, 3, 1)),
        d,
        ("active", "suspended", "suspend", "A"),
    )
    step(
        lambda: svc.certification_lift_suspension(
            certification=cert, reason="B", by=d, on=D(2025, 4, 1)
        ),
        d,
        ("suspended", "active", "lift_suspension", "B"),
    )
    step(
        lambda: lc.extend_scope(
            certification=cert, scope="More", reason="C", by=d, on=D(2025, 5, 1)
        ),
        d,
        ("active", "active", "extend_scope", "C"),
    )
    step(
        lambda: svc.certification_reduce_scope(
            certification=cert, scope="Less", reason="D", by=d, on=D(2025, 6, 1)
        ),
        d,
        ("active", "active", "reduce_scope", "D"),
    )
    step(
        lambda: svc.certification_withdraw(certification=cert, reason="E", by=d, on=D(2025, 7, 1)),
        d,
        ("active", "withdrawn", "withdraw", "E"),
    )
    rows = list(
        StateLog.objects.for_(cert)
        .order_by("pk")
        .values_list("by", "source_state", "state", "transition", "description")
    )
    assert rows == expected


def test_cancelled_stage2_is_replaced_by_a_new_one(people):
    from audits import services as audit_svc

    cert = lc.apply(people, received_on=D(2024, 9, 1))
    cert = lc.accept(cert, people, D(2024, 9, 2))
    cert, _ = lc.stage1(cert, people, start=D(2024, 10, 8))
    cert.refresh_from_db()
    cert, first = svc.certification_plan_stage2(
        certification=cert,
        planned_start=D(2024, 11, 18),
        planned_end=D(2024, 11, 20),
        team_leader=people.auditor,
        by=people.staff,
        on=D(2024, 10, 15),
    )
    # While the first stage 2 is still planned, a second one is refused.
    with pytest.raises(svc.CertificationError, match="still planned or under way"):
        svc.certification_plan_stage2(
            certification=cert,
            planned_start=D(2024, 12, 2),
            planned_end=D(2024, 12, 4),
            team_leader=people.auditor,
            by=people.staff,
            on=D(2024, 11, 1),
            justification="client asked to move",
        )
    audit_svc.audit_cancel(
        audit=first, reason="Client postponed", by=people.staff, on=D(2024, 11, 10)
    )
    cert.refresh_from_db()
    cert, second = svc.certification_plan_stage2(
        certification=cert,
        planned_start=D(2024, 12, 2),
        planned_end=D(2024, 12, 4),
        team_leader=people.auditor,
        by=people.staff,
        on=D(2024, 11, 11),
        justification="Client postponed the first date",
    )
    assert cert.state == State.STAGE2
    assert second.state == "planned"
    assert history(cert)[-1][2] == "new_stage2"


def test_cancelled_stage1_is_replaced_without_justification(people):
    from audits import services as audit_svc

    cert = lc.apply(people, received_on=D(2024, 9, 1))
    cert = lc.accept(cert, people, D(2024, 9, 2))
    cert, first = svc.certification_plan_stage1(
        certification=cert,
        planned_start=D(2024, 10, 8),
        planned_end=D(2024, 10, 9),
        team_leader=people.auditor,
        by=people.staff,
        on=D(2024, 9, 20),
    )
    audit_svc.audit_cancel(audit=first, reason="Auditor ill", by=people.staff, on=D(2024, 10, 1))
    cert.refresh_from_db()
    cert, second = svc.certification_plan_stage1(
        certification=cert,
        planned_start=D(2024, 10, 22),
        planned_end=D(2024, 10, 23),
        team_leader=people.auditor,
        by=people.staff,
        on=D(2024, 10, 2),
    )
    assert second.state == "planned"


def test_full_clean_works_on_protected_state(people):
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    cert.full_clean()  # no "Direct state modification" error
    audit = cert.audits.first()
    audit.full_clean()
    cert.refresh_from_db()
    assert cert.state == State.ACTIVE
