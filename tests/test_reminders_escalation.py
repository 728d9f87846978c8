"""Issue 5: overdue surveillance escalates to the decision the body must then take.

A certification granted on 2025-01-15 has its first surveillance due on 2026-01-15. Not held
by then, on 2026-01-16 staff are told to hold it and, by policy SURVEILLANCE_OVERDUE_ACTION,
either the decision makers get a suspension proposal ("propose", the default) or the system
suspends the certification itself and tells both ("suspend").
"""

import datetime
import io
import logging

import pytest
from django.core import mail
from django.core.management import call_command
from django_fsm_log.models import StateLog

from audits.services import audits as audit_svc
from certbody.checks import check_policy
from certificates import reminders as certificate_reminders
from certificates.models import CertificateStatus, Decision, DecisionOutcome, State
from certificates.services import CertificationError
from reminders.models import Reminder, ReminderKind
from reminders.registry import scan_all
from reminders.sending import send_due_reminders
from tests import lifecycle as lc
from tests.test_reminders import (
    _in_threads,
    _restore_migrated_data,  # noqa: F401 (a fixture)
)

# Other kinds' tests: the monthly CertSearch upload is recorded (see conftest.py).
pytestmark = pytest.mark.usefixtures("certsearch_uploaded")

D = datetime.date
DUE = D(2026, 1, 15)
OVERDUE_DAY = D(2026, 1, 16)


@pytest.fixture
def policy(settings):
    def set_(**values):
        settings.CERTBODY = {**settings.CERTBODY, **values}

    return set_


@pytest.fixture
def cert(db, people):
    return lc.certified(people, decided_on=D(2025, 1, 15))


def _rows():
    """Reminders about certifications (the CertSearch upload has its own test file)."""
    return sorted(
        Reminder.objects.filter(content_type__model="certification").values_list(
            "kind", "object_id", "due_date", "recipient__username"
        )
    )


def test_default_policy_proposes_suspension_to_the_decision_makers(cert, people):
    scan_all(today=DUE)
    assert not Reminder.objects.filter(kind=ReminderKind.SUSPENSION_PROPOSED).exists()
    scan_all(today=OVERDUE_DAY)
    assert [r for r in _rows() if r[0] != ReminderKind.SURVEILLANCE_DUE] == [
        (ReminderKind.SURVEILLANCE_OVERDUE, cert.pk, DUE, "staff"),
        (ReminderKind.SUSPENSION_PROPOSED, cert.pk, DUE, "decider"),
    ]
    cert.refresh_from_db()
    assert cert.state == State.ACTIVE  # a proposal: the decision makers decide
    # The proposal links to the suspend step of this certification in the workspace.
    send_due_reminders(today=OVERDUE_DAY)
    (to_decider,) = [m for m in mail.outbox if m.to == [people.decider.email]]
    assert f"/work/certifications/{cert.pk}/do/suspend/" in to_decider.body
    assert "suspend the certification" in to_decider.body


def test_suspend_policy_suspends_with_the_system_as_actor_and_tells_both(cert, people, policy):
    policy(SURVEILLANCE_OVERDUE_ACTION="suspend")
    scan_all(today=DUE)
    cert.refresh_from_db()
    assert cert.state == State.ACTIVE  # due today is not overdue

    scan_all(today=OVERDUE_DAY)
    cert.refresh_from_db()
    assert (cert.state, cert.suspended_on) == (State.SUSPENDED, OVERDUE_DAY)
    assert cert.current_certificate().status == CertificateStatus.SUSPENDED
    decision = Decision.objects.filter(certification=cert).latest("pk")
    assert (decision.outcome, decision.decided_by, decision.decided_on) == (
        DecisionOutcome.SUSPEND,
        None,
        OVERDUE_DAY,
    )
    assert "Surveillance due by 2026-01-15 was not held" in decision.reason
    log = StateLog.objects.for_(cert).latest("pk")
    assert (log.source_state, log.state, log.by) == (State.ACTIVE, State.SUSPENDED, None)
    assert [r for r in _rows() if r[0] != ReminderKind.SURVEILLANCE_DUE] == [
        (ReminderKind.SURVEILLANCE_OVERDUE, cert.pk, DUE, "staff"),
        (ReminderKind.SUSPENDED_AUTOMATICALLY, cert.pk, DUE, "decider"),
        (ReminderKind.SUSPENDED_AUTOMATICALLY, cert.pk, DUE, "staff"),
    ]

    # The next days: suspended, so no longer overdue; nothing new, one decision.
    before = _rows()
    scan_all(today=OVERDUE_DAY)
    scan_all(today=D(2026, 1, 17))
    assert _rows() == before
    assert Decision.objects.filter(certification=cert, outcome=DecisionOutcome.SUSPEND).count() == 1


def test_suspend_policy_waits_for_the_grace_period(cert, policy):
    policy(SURVEILLANCE_OVERDUE_ACTION="suspend", SURVEILLANCE_OVERDUE_GRACE_DAYS=5)
    scan_all(today=D(2026, 1, 20))
    cert.refresh_from_db()
    assert cert.state == State.ACTIVE
    scan_all(today=D(2026, 1, 21))
    cert.refresh_from_db()
    assert cert.state == State.SUSPENDED


def test_a_surveillance_under_way_is_neither_overdue_nor_escalated(cert, people, policy):
    # Held on 2026-01-12 but its report is not closed yet, so the due date has not moved on.
    policy(SURVEILLANCE_OVERDUE_ACTION="suspend")
    audit = audit_svc.audit_plan(
        certification=cert,
        kind="surveillance",
        planned_start=D(2026, 1, 12),
        planned_end=D(2026, 1, 12),
        team_leader=people.auditor,
        by=people.staff,
    )
    audit_svc.audit_start(audit=audit, by=people.auditor, on=D(2026, 1, 12))
    scan_all(today=D(2026, 2, 1))
    cert.refresh_from_db()
    assert cert.state == State.ACTIVE
    assert not Reminder.objects.filter(
        kind__in=[
            ReminderKind.SURVEILLANCE_OVERDUE,
            ReminderKind.SUSPENSION_PROPOSED,
            ReminderKind.SUSPENDED_AUTOMATICALLY,
        ]
    ).exists()


def test_a_certification_that_cannot_be_suspended_is_proposed_instead(
    people, policy, monkeypatch, caplog
):
    policy(SURVEILLANCE_OVERDUE_ACTION="suspend")
    first = lc.certified(people, decided_on=D(2025, 1, 15))
    second = lc.certified(people, decided_on=D(2025, 1, 20))  # other audit days
    real = certificate_reminders.certification_suspend

    def suspend(*, certification, **kwargs):
        if certification.pk == first.pk:
            raise CertificationError("A rule does not hold.")
        return real(certification=certification, **kwargs)

    monkeypatch.setattr(certificate_reminders, "certification_suspend", suspend)
    with caplog.at_level(logging.WARNING, logger="certificates.reminders"):
        scan_all(today=D(2026, 1, 21))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (State.ACTIVE, State.SUSPENDED)
    assert f"Could not suspend certification {first.pk} automatically" in caplog.text
    escalations = [
        (kind, pk, user)
        for kind, pk, _due, user in _rows()
        if kind in (ReminderKind.SUSPENSION_PROPOSED, ReminderKind.SUSPENDED_AUTOMATICALLY)
    ]
    assert sorted(escalations) == sorted(
        [
            (ReminderKind.SUSPENSION_PROPOSED, first.pk, "decider"),
            (ReminderKind.SUSPENDED_AUTOMATICALLY, second.pk, "decider"),
            (ReminderKind.SUSPENDED_AUTOMATICALLY, second.pk, "staff"),
        ]
    )


def test_dry_run_suspends_nothing(cert, policy):
    policy(SURVEILLANCE_OVERDUE_ACTION="suspend")
    out = io.StringIO()
    call_command("send_reminders", "--today", "2026-01-16", "--dry-run", stdout=out)
    assert "suspended_automatically: 2" in out.getvalue()
    cert.refresh_from_db()
    assert cert.state == State.ACTIVE
    assert not Reminder.objects.exists()


def test_an_unknown_overdue_action_is_refused_at_startup(settings):
    settings.CERTBODY = {**settings.CERTBODY, "SURVEILLANCE_OVERDUE_ACTION": "warn"}
    (error,) = check_policy()
    assert error.id == "certbody.E001" and "'warn'" in error.msg
    settings.CERTBODY = {**settings.CERTBODY, "SURVEILLANCE_OVERDUE_ACTION": "suspend"}
    assert check_policy() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("_restore_migrated_data")
def test_two_scans_at_once_suspend_once_and_tell_once(people, policy):
    policy(SURVEILLANCE_OVERDUE_ACTION="suspend")
    cert = lc.certified(people, decided_on=D(2025, 1, 15))
    _in_threads(lambda: scan_all(today=OVERDUE_DAY))
    cert.refresh_from_db()
    assert cert.state == State.SUSPENDED
    assert Decision.objects.filter(certification=cert, outcome=DecisionOutcome.SUSPEND).count() == 1
    assert StateLog.objects.for_(cert).filter(state=State.SUSPENDED).count() == 1
    assert [r for r in _rows() if r[0] != ReminderKind.SURVEILLANCE_DUE] == [
        (ReminderKind.SURVEILLANCE_OVERDUE, cert.pk, DUE, "staff"),
        (ReminderKind.SUSPENDED_AUTOMATICALLY, cert.pk, DUE, "decider"),
        (ReminderKind.SUSPENDED_AUTOMATICALLY, cert.pk, DUE, "staff"),
    ]
