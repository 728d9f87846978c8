"""Reminders (issue 5): recertification planning, certificate expiring and expired,
restoration window closing, suspension deadline approaching and reached.

Concrete dates: a certification granted on 2025-01-15 expires on 2028-01-14 (3 years minus
one day). Recertification planning is due 6 months before, on 2027-07-14; the expiring
reminder (30 days) fires on 2027-12-15; expired on 2028-01-15; the restoration window
(6 months) ends on 2028-07-14 and its reminder fires on 2028-06-14. Suspended on 2025-06-01,
the suspension deadline is 2025-12-01: approaching on 2025-11-01, reached on 2025-12-02.
Each fires on that day and not the day before, and once.
"""

import datetime

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audits.models import Audit, AuditState
from audits.reminders import scan_findings
from certificates.reminders import (
    scan_expiry,
    scan_recertification,
    scan_restoration,
    scan_stage1_validity,
    scan_suspension,
)
from reminders.digests import KIND_LINES
from reminders.models import Reminder, ReminderKind
from reminders.registry import scan_all
from reminders.sending import send_due_reminders
from tests import lifecycle as lc

# Other kinds' tests: the monthly CertSearch upload is recorded (see conftest.py).
pytestmark = pytest.mark.usefixtures("certsearch_uploaded")

D = datetime.date
GRANTED = D(2025, 1, 15)
EXPIRY = D(2028, 1, 14)
WINDOW_END = D(2028, 7, 14)
SUSPENDED = D(2025, 6, 1)
SUSPENSION_DEADLINE = D(2025, 12, 1)


@pytest.fixture
def policy(settings):
    def set_(**values):
        settings.CERTBODY = {**settings.CERTBODY, **values}

    return set_


@pytest.fixture
def cert(db, people):
    return lc.certified(people, decided_on=GRANTED)


def _rows(kind):
    return list(
        Reminder.objects.filter(kind=kind)
        .order_by("recipient__username")
        .values_list("object_id", "due_date", "lead_days", "recipient__username")
    )


def _expire(cert, people):
    lc.svc.certification_expire(certification=cert, on=EXPIRY + datetime.timedelta(days=1))
    cert.refresh_from_db()
    return cert


def _suspend(cert, people):
    lc.svc.certification_suspend(
        certification=cert, reason="Client asked", by=people.decider, on=SUSPENDED
    )
    cert.refresh_from_db()
    return cert


def test_the_dates_the_kinds_count_from(cert, people):
    assert cert.expiry_date == EXPIRY
    assert cert.restoration_window_end() == WINDOW_END
    assert _suspend(cert, people).suspension_deadline == SUSPENSION_DEADLINE


# -- recertification planning -----------------------------------------------------------------
def test_recertification_planning_fires_six_months_before_expiry_for_staff(cert):
    scan_all(today=D(2027, 7, 13))
    assert _rows(ReminderKind.RECERTIFICATION_PLANNING) == []
    scan_all(today=D(2027, 7, 14))
    lead = (EXPIRY - D(2027, 7, 14)).days
    assert _rows(ReminderKind.RECERTIFICATION_PLANNING) == [(cert.pk, EXPIRY, lead, "staff")]
    # Later days: nothing new.
    assert scan_recertification(today=D(2027, 7, 15)).total == 0
    assert scan_recertification(today=D(2027, 12, 1)).total == 0


def test_recertification_planning_catches_up_but_not_after_expiry(db, people):
    late = lc.certified(people, decided_on=GRANTED)
    scan_recertification(today=D(2027, 9, 1))  # no run since 2027-07-14
    assert _rows(ReminderKind.RECERTIFICATION_PLANNING)[0][:2] == (late.pk, EXPIRY)
    Reminder.objects.all().delete()
    scan_recertification(today=EXPIRY + datetime.timedelta(days=1))
    assert _rows(ReminderKind.RECERTIFICATION_PLANNING) == []


def test_recertification_planning_follows_the_setting(cert, policy):
    policy(RECERTIFICATION_PLANNING_MONTHS=3)
    scan_recertification(today=D(2027, 10, 13))
    assert _rows(ReminderKind.RECERTIFICATION_PLANNING) == []
    scan_recertification(today=D(2027, 10, 14))
    assert len(_rows(ReminderKind.RECERTIFICATION_PLANNING)) == 1


def test_recertification_planning_at_a_month_end(db, people):
    # Expiry 2028-08-30 (granted 2025-08-31): planning from 2028-02-29 (clamped), not the 28th.
    month_end = lc.certified(people, decided_on=D(2025, 8, 31))
    assert month_end.expiry_date == D(2028, 8, 30)
    scan_recertification(today=D(2028, 2, 28))
    assert _rows(ReminderKind.RECERTIFICATION_PLANNING) == []
    scan_recertification(today=D(2028, 2, 29))
    assert _rows(ReminderKind.RECERTIFICATION_PLANNING)[0][:2] == (month_end.pk, D(2028, 8, 30))


def test_no_recertification_planning_for_a_suspended_certification(cert, people):
    _suspend(cert, people)
    scan_recertification(today=D(2027, 7, 14))
    assert _rows(ReminderKind.RECERTIFICATION_PLANNING) == []


# -- certificate expiring and expired ------------------------------------------------------------
def test_certificate_expiring_fires_thirty_days_before_for_staff_and_deciders(cert):
    scan_all(today=D(2027, 12, 14))
    assert _rows(ReminderKind.CERTIFICATE_EXPIRING) == []
    scan_all(today=D(2027, 12, 15))
    assert _rows(ReminderKind.CERTIFICATE_EXPIRING) == [
        (cert.pk, EXPIRY, 30, "decider"),
        (cert.pk, EXPIRY, 30, "staff"),
    ]
    assert scan_expiry(today=EXPIRY).created[ReminderKind.CERTIFICATE_EXPIRING] == 0


def test_certificate_expiring_lead_time_is_a_setting(cert, policy):
    policy(REMINDER_CERTIFICATE_EXPIRING_DAYS=60)
    scan_expiry(today=D(2027, 11, 14))
    assert _rows(ReminderKind.CERTIFICATE_EXPIRING) == []
    scan_expiry(today=D(2027, 11, 15))
    assert {row[2] for row in _rows(ReminderKind.CERTIFICATE_EXPIRING)} == {60}


def test_certificate_expired_fires_the_day_after_expiry_even_before_the_expiry_task(cert):
    scan_all(today=EXPIRY)
    assert _rows(ReminderKind.CERTIFICATE_EXPIRED) == []
    # Still active: the nightly expiry task has not run yet.
    scan_all(today=D(2028, 1, 15))
    assert _rows(ReminderKind.CERTIFICATE_EXPIRED) == [
        (cert.pk, EXPIRY, 0, "decider"),
        (cert.pk, EXPIRY, 0, "staff"),
    ]


def test_certificate_expired_once_after_the_expiry_task(cert, people):
    _expire(cert, people)
    scan_expiry(today=D(2028, 1, 16))
    assert len(_rows(ReminderKind.CERTIFICATE_EXPIRED)) == 2
    assert scan_expiry(today=D(2028, 1, 17)).total == 0


def test_certificate_expired_not_after_the_restoration_window(cert, people):
    _expire(cert, people)
    scan_expiry(today=WINDOW_END + datetime.timedelta(days=1))
    assert _rows(ReminderKind.CERTIFICATE_EXPIRED) == []
    scan_expiry(today=WINDOW_END)  # a missed run catches up until the window's last day
    assert len(_rows(ReminderKind.CERTIFICATE_EXPIRED)) == 2


def test_no_expiry_reminders_after_recertification(cert, people):
    lc.recert_audit(cert, people, start=D(2027, 10, 1))
    lc.svc.certification_recertify(certification=cert, by=people.decider, on=D(2027, 11, 1))
    cert.refresh_from_db()
    assert cert.expiry_date == D(2031, 1, 14)
    scan_expiry(today=D(2027, 12, 15))
    scan_expiry(today=D(2028, 1, 15))
    assert Reminder.objects.filter(kind__startswith="certificate_").count() == 0


# -- restoration window --------------------------------------------------------------------------
def test_restoration_window_closing_fires_thirty_days_before_it_closes(cert, people):
    _expire(cert, people)
    scan_all(today=D(2028, 6, 13))
    assert _rows(ReminderKind.RESTORATION_WINDOW_CLOSING) == []
    scan_all(today=D(2028, 6, 14))
    assert _rows(ReminderKind.RESTORATION_WINDOW_CLOSING) == [
        (cert.pk, WINDOW_END, 30, "decider"),
        (cert.pk, WINDOW_END, 30, "staff"),
    ]
    assert scan_restoration(today=WINDOW_END).total == 0
    # Closed: nothing for a window already past.
    Reminder.objects.all().delete()
    assert scan_restoration(today=WINDOW_END + datetime.timedelta(days=1)).total == 0


def test_restoration_window_lead_time_is_a_setting(cert, people, policy):
    policy(REMINDER_RESTORATION_WINDOW_DAYS=7)
    _expire(cert, people)
    scan_restoration(today=D(2028, 7, 6))
    assert _rows(ReminderKind.RESTORATION_WINDOW_CLOSING) == []
    scan_restoration(today=D(2028, 7, 7))
    assert {row[2] for row in _rows(ReminderKind.RESTORATION_WINDOW_CLOSING)} == {7}


# -- suspension deadline -------------------------------------------------------------------------
def test_suspension_deadline_approaching_fires_thirty_days_before(cert, people):
    _suspend(cert, people)
    scan_all(today=D(2025, 10, 31))
    assert _rows(ReminderKind.SUSPENSION_DEADLINE_APPROACHING) == []
    scan_all(today=D(2025, 11, 1))
    assert _rows(ReminderKind.SUSPENSION_DEADLINE_APPROACHING) == [
        (cert.pk, SUSPENSION_DEADLINE, 30, "decider"),
        (cert.pk, SUSPENSION_DEADLINE, 30, "staff"),
    ]
    assert scan_suspension(today=SUSPENSION_DEADLINE).total == 0


def test_suspension_deadline_reached_the_day_after_it(cert, people):
    _suspend(cert, people)
    scan_suspension(today=SUSPENSION_DEADLINE)
    assert _rows(ReminderKind.SUSPENSION_DEADLINE_REACHED) == []
    scan_suspension(today=D(2025, 12, 2))
    assert _rows(ReminderKind.SUSPENSION_DEADLINE_REACHED) == [
        (cert.pk, SUSPENSION_DEADLINE, 0, "decider"),
        (cert.pk, SUSPENSION_DEADLINE, 0, "staff"),
    ]
    assert scan_suspension(today=D(2025, 12, 3)).total == 0


def test_suspension_lifted_no_more_deadline_reminders(cert, people):
    _suspend(cert, people)
    lc.svc.certification_lift_suspension(
        certification=cert, reason="Fixed", by=people.decider, on=D(2025, 7, 1)
    )
    scan_suspension(today=D(2025, 11, 1))
    scan_suspension(today=D(2025, 12, 2))
    assert Reminder.objects.filter(kind__startswith="suspension_").count() == 0


def test_suspension_lead_time_is_a_setting(cert, people, policy):
    policy(REMINDER_SUSPENSION_DEADLINE_DAYS=14)
    _suspend(cert, people)
    scan_suspension(today=D(2025, 11, 16))
    assert _rows(ReminderKind.SUSPENSION_DEADLINE_APPROACHING) == []
    scan_suspension(today=D(2025, 11, 17))
    assert len(_rows(ReminderKind.SUSPENSION_DEADLINE_APPROACHING)) == 2


# -- digest and queries ----------------------------------------------------------------------------
def test_every_kind_has_a_digest_line():
    assert set(KIND_LINES) == set(ReminderKind)


def test_digest_lines_of_the_new_kinds(cert, people):
    _suspend(cert, people)
    scan_all(today=D(2025, 11, 1))  # missed: the digest has both
    scan_all(today=D(2025, 12, 2))
    send_due_reminders(today=D(2025, 12, 2))
    (decider_mail,) = [m for m in mail.outbox if m.to == ["decider@example.com"]]
    assert "Suspension deadline approaching" in decider_mail.body
    assert "The suspension deadline 2025-12-01 has passed" in decider_mail.body
    assert f"/work/certifications/{cert.pk}/" in decider_mail.body


def test_scan_queries_do_not_grow_with_the_certifications(db, people):
    day = D(2028, 1, 15)  # one expired (and past planning), one expiring (and past planning)
    lc.certified(people, decided_on=GRANTED)
    lc.certified(people, decided_on=GRANTED + datetime.timedelta(days=10))

    def count():
        Reminder.objects.all().delete()
        with CaptureQueriesContext(connection) as ctx:
            scan_all(today=day)
        return len(ctx)

    one = count()
    lc.certified(people, decided_on=GRANTED - datetime.timedelta(days=10))
    lc.certified(people, decided_on=GRANTED + datetime.timedelta(days=20))
    assert count() == one
    assert Reminder.objects.filter(kind=ReminderKind.CERTIFICATE_EXPIRED).count() == 4
    assert Reminder.objects.filter(kind=ReminderKind.CERTIFICATE_EXPIRING).count() == 4


# -- finding deadlines ---------------------------------------------------------------------------
# Stage 2 on 2024-12-16..18 raises a major and a minor on 2024-12-18: plans are due on
# 2025-01-17 (30 days), the major's correction on 2025-02-16 (60 days), its verification on
# 2025-03-18 (90 days).
PLAN_DUE = D(2025, 1, 17)
CORRECTION_DUE = D(2025, 2, 16)
VERIFICATION_DUE = D(2025, 3, 18)


@pytest.fixture
def findings(db, people):
    _cert, _audit, raised = lc.pending(people, findings=["major", "minor"])
    major, minor = sorted(raised, key=lambda f: f.grade)
    assert (major.grade, minor.grade) == ("major", "minor")
    assert (major.plan_due, major.correction_due, major.verification_due) == (
        PLAN_DUE,
        CORRECTION_DUE,
        VERIFICATION_DUE,
    )
    assert (minor.plan_due, minor.correction_due, minor.verification_due) == (PLAN_DUE, None, None)
    return major, minor


def _finding_rows(kind):
    return list(
        Reminder.objects.filter(kind=kind)
        .order_by("object_id", "recipient__username")
        .values_list("object_id", "due_date", "lead_days", "recipient__username")
    )


def test_finding_plan_due_seven_days_before_for_staff(findings):
    major, minor = findings
    scan_all(today=D(2025, 1, 9))
    assert _finding_rows(ReminderKind.FINDING_PLAN_DUE) == []
    scan_all(today=D(2025, 1, 10))
    assert _finding_rows(ReminderKind.FINDING_PLAN_DUE) == sorted(
        [(major.pk, PLAN_DUE, 7, "staff"), (minor.pk, PLAN_DUE, 7, "staff")]
    )
    assert scan_findings(today=PLAN_DUE).total == 0


def test_finding_plan_overdue_the_day_after_unless_accepted(findings, people):
    major, minor = findings
    lc.audit_svc.finding_accept_plan(finding=minor, plan="fix it", by=people.auditor, on=PLAN_DUE)
    scan_findings(today=PLAN_DUE)
    assert _finding_rows(ReminderKind.FINDING_PLAN_OVERDUE) == []
    scan_findings(today=D(2025, 1, 18))
    assert _finding_rows(ReminderKind.FINDING_PLAN_OVERDUE) == [
        (major.pk, PLAN_DUE, 0, "decider"),
        (major.pk, PLAN_DUE, 0, "staff"),
    ]
    assert scan_findings(today=D(2025, 1, 19)).total == 0


def test_major_verification_due_and_overdue(findings, people):
    major, _minor = findings
    scan_findings(today=D(2025, 3, 10))
    assert _finding_rows(ReminderKind.FINDING_VERIFICATION_DUE) == []
    scan_findings(today=D(2025, 3, 11))
    assert _finding_rows(ReminderKind.FINDING_VERIFICATION_DUE) == [
        (major.pk, VERIFICATION_DUE, 7, "staff")
    ]
    scan_findings(today=VERIFICATION_DUE)
    assert _finding_rows(ReminderKind.FINDING_VERIFICATION_OVERDUE) == []
    scan_findings(today=D(2025, 3, 19))
    assert _finding_rows(ReminderKind.FINDING_VERIFICATION_OVERDUE) == [
        (major.pk, VERIFICATION_DUE, 0, "decider"),
        (major.pk, VERIFICATION_DUE, 0, "staff"),
    ]


def test_verified_major_no_verification_reminder(findings, people):
    major, _minor = findings
    lc.resolve([major], people, on=D(2025, 1, 5))
    scan_findings(today=D(2025, 3, 11))
    scan_findings(today=D(2025, 3, 19))
    assert Reminder.objects.filter(kind__startswith="finding_verification").count() == 0


def test_major_correction_due_seven_days_before_for_staff(findings):
    major, _minor = findings
    scan_all(today=D(2025, 2, 8))
    assert _finding_rows(ReminderKind.FINDING_CORRECTION_DUE) == []
    scan_all(today=D(2025, 2, 9))
    # The major only: a minor has no correction deadline.
    assert _finding_rows(ReminderKind.FINDING_CORRECTION_DUE) == [
        (major.pk, CORRECTION_DUE, 7, "staff")
    ]
    assert scan_findings(today=CORRECTION_DUE).total == 0


def test_major_correction_overdue_the_day_after(findings):
    major, _minor = findings
    scan_findings(today=CORRECTION_DUE)
    assert _finding_rows(ReminderKind.FINDING_CORRECTION_OVERDUE) == []
    scan_findings(today=D(2025, 2, 17))
    assert _finding_rows(ReminderKind.FINDING_CORRECTION_OVERDUE) == [
        (major.pk, CORRECTION_DUE, 0, "decider"),
        (major.pk, CORRECTION_DUE, 0, "staff"),
    ]
    assert scan_findings(today=D(2025, 2, 18)).total == 0


def test_major_correction_still_reminded_with_the_plan_accepted(findings, people):
    major, _minor = findings
    lc.audit_svc.finding_accept_plan(finding=major, plan="fix it", by=people.auditor, on=PLAN_DUE)
    scan_findings(today=D(2025, 2, 17))
    assert _finding_rows(ReminderKind.FINDING_CORRECTION_OVERDUE) == [
        (major.pk, CORRECTION_DUE, 0, "decider"),
        (major.pk, CORRECTION_DUE, 0, "staff"),
    ]


def test_corrected_major_no_correction_reminder(findings, people):
    major, _minor = findings
    major = lc.audit_svc.finding_accept_plan(
        finding=major, plan="fix it", by=people.auditor, on=D(2025, 1, 5)
    )
    lc.audit_svc.finding_mark_corrected(finding=major, by=people.auditor, on=D(2025, 2, 1))
    scan_findings(today=D(2025, 2, 9))
    scan_findings(today=D(2025, 2, 17))
    assert Reminder.objects.filter(kind__startswith="finding_correction").count() == 0
    # Verification is still due: corrected is not verified.
    scan_findings(today=D(2025, 3, 11))
    assert _finding_rows(ReminderKind.FINDING_VERIFICATION_DUE) == [
        (major.pk, VERIFICATION_DUE, 7, "staff")
    ]


def test_no_correction_reminder_in_a_cancelled_audit(findings):
    major, _minor = findings
    Audit.objects.filter(pk=major.audit_id).update(state=AuditState.CANCELLED)
    scan_findings(today=D(2025, 2, 17))
    assert Reminder.objects.filter(kind__startswith="finding_correction").count() == 0


def test_correction_overdue_digest_line(findings):
    major, _minor = findings
    scan_all(today=D(2025, 2, 17))
    send_due_reminders(today=D(2025, 2, 17))
    (decider_mail,) = [m for m in mail.outbox if m.to == ["decider@example.com"]]
    assert "Finding correction overdue" in decider_mail.body
    assert "Correction of this major was due by 2025-02-16" in decider_mail.body
    assert f"/work/audits/{major.audit_id}/#finding-{major.pk}" in decider_mail.body


def test_finding_reminder_digest_links_the_finding(findings):
    major, _minor = findings
    scan_all(today=D(2025, 1, 18))
    send_due_reminders(today=D(2025, 1, 18))
    (decider_mail,) = [m for m in mail.outbox if m.to == ["decider@example.com"]]
    assert "Finding plan overdue" in decider_mail.body
    assert "The client's plan was due by 2025-01-17" in decider_mail.body
    assert f"/work/audits/{major.audit_id}/#finding-{major.pk}" in decider_mail.body
    assert str(major.audit) in decider_mail.body


# -- stage 1 validity ------------------------------------------------------------------------------
# Stage 1 on 2024-10-01..02, closed ready: valid 6 months from its last day, until 2025-04-02;
# the reminder (30 days) fires on 2025-03-03.
STAGE1_VALID_UNTIL = D(2025, 4, 2)


@pytest.fixture
def after_stage1(db, people):
    cert = lc.accept(lc.apply(people, received_on=D(2024, 9, 1)), people, D(2024, 9, 10))
    cert, _audit = lc.stage1(cert, people, start=D(2024, 10, 1))
    return cert


def test_stage1_validity_ending_fires_thirty_days_before(after_stage1):
    scan_all(today=D(2025, 3, 2))
    assert _rows(ReminderKind.STAGE1_VALIDITY_ENDING) == []
    scan_all(today=D(2025, 3, 3))
    assert _rows(ReminderKind.STAGE1_VALIDITY_ENDING) == [
        (after_stage1.pk, STAGE1_VALID_UNTIL, 30, "staff")
    ]
    assert scan_stage1_validity(today=STAGE1_VALID_UNTIL).total == 0
    Reminder.objects.all().delete()
    assert scan_stage1_validity(today=D(2025, 4, 3)).total == 0  # past: justify or repeat


def test_stage1_validity_still_reminded_with_stage2_only_planned(after_stage1, people):
    lc.svc.certification_plan_stage2(
        certification=after_stage1,
        planned_start=D(2025, 3, 24),
        planned_end=D(2025, 3, 26),
        team_leader=people.auditor,
        by=people.staff,
        on=D(2025, 2, 1),
    )
    scan_stage1_validity(today=D(2025, 3, 3))
    assert len(_rows(ReminderKind.STAGE1_VALIDITY_ENDING)) == 1


def test_no_stage1_validity_reminder_once_stage2_is_held(after_stage1, people):
    lc.stage2(after_stage1, people, start=D(2025, 2, 3))
    scan_stage1_validity(today=D(2025, 3, 3))
    assert _rows(ReminderKind.STAGE1_VALIDITY_ENDING) == []


def test_no_stage1_validity_reminder_for_a_stage1_not_ready(db, people):
    cert = lc.accept(lc.apply(people, received_on=D(2024, 9, 1)), people, D(2024, 9, 10))
    lc.stage1(cert, people, start=D(2024, 10, 1), ready=False)
    scan_stage1_validity(today=D(2025, 3, 3))
    assert _rows(ReminderKind.STAGE1_VALIDITY_ENDING) == []
