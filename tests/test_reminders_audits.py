"""Reminders (issue 5): upcoming audits for their team, audits without a team, and majors
still open as the stage 2 limit approaches.

Concrete dates: a certification granted on 2025-01-15 gets its first surveillance from the
audit programme on 2025-11-15, with no team yet: "audit without a team" (30 days) fires on
2025-10-16 for the staff. Staffed with a leader and a member, "audit upcoming" (7 days) fires
on 2025-11-08 for those two. A stage 2 ending on 2024-12-18 with a major open has its limit
(6 months) on 2025-06-18: the reminder (30 days) fires on 2025-05-19. Each fires on that day
and not the day before, and once.
"""

import datetime

import pytest
from django.core import mail

from audits.models import Audit, AuditKind
from audits.reminders import scan_audits, scan_majors_stage2_limit
from reminders.models import Reminder, ReminderKind
from reminders.registry import scan_all
from reminders.sending import send_due_reminders
from tests import lifecycle as lc

# Other kinds' tests: the monthly CertSearch upload is recorded (see conftest.py).
pytestmark = pytest.mark.usefixtures("certsearch_uploaded")

D = datetime.date
GRANTED = D(2025, 1, 15)
SURVEILLANCE_START = D(2025, 11, 15)
STAGE2_LIMIT = D(2025, 6, 18)


@pytest.fixture
def policy(settings):
    def set_(**values):
        settings.CERTBODY = {**settings.CERTBODY, **values}

    return set_


def _rows(kind):
    return list(
        Reminder.objects.filter(kind=kind)
        .order_by("object_id", "recipient__username")
        .values_list("object_id", "due_date", "lead_days", "recipient__username")
    )


@pytest.fixture
def cert(db, people):
    return lc.certified(people, decided_on=GRANTED)


@pytest.fixture
def unstaffed(cert):
    """The programme's first surveillance: planned, no team leader."""
    audit = Audit.objects.get(certification=cert, kind=AuditKind.SURVEILLANCE, programme_year=1)
    assert (audit.planned_start, audit.team_leader_id) == (SURVEILLANCE_START, None)
    return audit


def _staff(cert, people, *, start=SURVEILLANCE_START):
    return lc.audit_svc.audit_plan(
        certification=cert,
        kind="surveillance",
        planned_start=start,
        planned_end=start + datetime.timedelta(days=1),
        team_leader=people.auditor,
        members=[people.auditor2],
        by=people.staff,
    )


# -- audit without a team -------------------------------------------------------------------------
def test_audit_without_team_fires_thirty_days_before_for_staff(unstaffed):
    scan_all(today=D(2025, 10, 15))
    assert _rows(ReminderKind.AUDIT_WITHOUT_TEAM) == []
    scan_all(today=D(2025, 10, 16))
    assert _rows(ReminderKind.AUDIT_WITHOUT_TEAM) == [
        (unstaffed.pk, SURVEILLANCE_START, 30, "staff")
    ]
    assert scan_audits(today=D(2025, 10, 17)).created[ReminderKind.AUDIT_WITHOUT_TEAM] == 0
    assert scan_audits(today=SURVEILLANCE_START).total == 0


def test_audit_without_team_catches_up_until_the_first_day(unstaffed):
    scan_audits(today=D(2025, 11, 1))  # no run since 2025-10-16
    assert len(_rows(ReminderKind.AUDIT_WITHOUT_TEAM)) == 1
    Reminder.objects.all().delete()
    scan_audits(today=D(2025, 11, 16))
    assert _rows(ReminderKind.AUDIT_WITHOUT_TEAM) == []


def test_audit_without_team_lead_time_is_a_setting(unstaffed, policy):
    policy(REMINDER_AUDIT_WITHOUT_TEAM_DAYS=60)
    scan_audits(today=D(2025, 9, 15))
    assert _rows(ReminderKind.AUDIT_WITHOUT_TEAM) == []
    scan_audits(today=D(2025, 9, 16))
    assert [row[2] for row in _rows(ReminderKind.AUDIT_WITHOUT_TEAM)] == [60]


def test_no_audit_without_team_reminder_once_staffed(unstaffed, cert, people):
    audit = _staff(cert, people)
    assert audit.pk == unstaffed.pk  # the programme slot is filled
    scan_audits(today=D(2025, 10, 16))
    assert _rows(ReminderKind.AUDIT_WITHOUT_TEAM) == []


# -- audit upcoming -------------------------------------------------------------------------------
def test_audit_upcoming_fires_a_week_before_for_each_team_member(cert, people):
    audit = _staff(cert, people)
    scan_all(today=D(2025, 11, 7))
    assert _rows(ReminderKind.AUDIT_UPCOMING) == []
    scan_all(today=D(2025, 11, 8))
    assert _rows(ReminderKind.AUDIT_UPCOMING) == [
        (audit.pk, SURVEILLANCE_START, 7, "auditor"),
        (audit.pk, SURVEILLANCE_START, 7, "auditor2"),
    ]
    assert scan_audits(today=D(2025, 11, 9)).total == 0
    assert scan_audits(today=SURVEILLANCE_START).total == 0


def test_audit_upcoming_once_when_the_leader_is_also_a_member(cert, people):
    audit = lc.audit_svc.audit_plan(
        certification=cert,
        kind="surveillance",
        planned_start=SURVEILLANCE_START,
        planned_end=SURVEILLANCE_START,
        team_leader=people.auditor,
        by=people.staff,
    )
    audit.members.add(people.auditor)
    assert scan_audits(today=D(2025, 11, 8)).created[ReminderKind.AUDIT_UPCOMING] == 1
    assert _rows(ReminderKind.AUDIT_UPCOMING) == [(audit.pk, SURVEILLANCE_START, 7, "auditor")]


def test_audit_upcoming_catches_up_but_not_once_started(cert, people):
    audit = _staff(cert, people)
    scan_audits(today=D(2025, 11, 12))
    assert len(_rows(ReminderKind.AUDIT_UPCOMING)) == 2
    Reminder.objects.all().delete()
    lc.audit_svc.audit_start(audit=audit, by=people.auditor, on=SURVEILLANCE_START)
    scan_audits(today=SURVEILLANCE_START)
    assert _rows(ReminderKind.AUDIT_UPCOMING) == []


def test_audit_upcoming_lead_time_is_a_setting(cert, people, policy):
    policy(REMINDER_AUDIT_UPCOMING_DAYS=14)
    _staff(cert, people)
    scan_audits(today=D(2025, 10, 31))
    assert _rows(ReminderKind.AUDIT_UPCOMING) == []
    scan_audits(today=D(2025, 11, 1))
    assert {row[2] for row in _rows(ReminderKind.AUDIT_UPCOMING)} == {14}


def test_audit_upcoming_mail_goes_to_the_auditor(cert, people):
    audit = _staff(cert, people)
    scan_all(today=D(2025, 11, 8))
    send_due_reminders(today=D(2025, 11, 8))
    (auditor_mail,) = [m for m in mail.outbox if m.to == ["auditor@example.com"]]
    assert "Upcoming audit" in auditor_mail.body
    assert "which starts on 2025-11-15" in auditor_mail.body
    assert f"http://127.0.0.1:8000/work/audits/{audit.pk}/\n" in auditor_mail.body
    assert str(audit) in auditor_mail.body
    assert send_due_reminders(today=D(2025, 11, 8)).mails == 0


# -- majors open near the stage 2 limit -----------------------------------------------------------
@pytest.fixture
def findings(db, people):
    """Stage 2 on 2024-12-16..18 with a major and a minor raised on its last day."""
    _cert, audit, raised = lc.pending(people, findings=["major", "minor"])
    assert audit.actual_end == D(2024, 12, 18)
    return sorted(raised, key=lambda f: f.grade)  # major, minor


def test_majors_stage2_limit_fires_thirty_days_before_for_staff_and_deciders(findings):
    major, _minor = findings
    scan_all(today=D(2025, 5, 18))
    assert _rows(ReminderKind.MAJORS_STAGE2_LIMIT) == []
    scan_all(today=D(2025, 5, 19))
    assert _rows(ReminderKind.MAJORS_STAGE2_LIMIT) == [
        (major.pk, STAGE2_LIMIT, 30, "decider"),
        (major.pk, STAGE2_LIMIT, 30, "staff"),
    ]
    assert scan_majors_stage2_limit(today=D(2025, 5, 20)).total == 0
    assert scan_majors_stage2_limit(today=STAGE2_LIMIT).total == 0


def test_majors_stage2_limit_catches_up_until_the_limit(findings):
    scan_majors_stage2_limit(today=D(2025, 6, 10))
    assert len(_rows(ReminderKind.MAJORS_STAGE2_LIMIT)) == 2
    Reminder.objects.all().delete()
    scan_majors_stage2_limit(today=D(2025, 6, 19))
    assert _rows(ReminderKind.MAJORS_STAGE2_LIMIT) == []


def test_majors_stage2_limit_follows_the_settings(findings, policy):
    policy(REMINDER_MAJORS_STAGE2_LIMIT_DAYS=10, MAJOR_VERIFICATION_LIMIT_MONTHS=3)
    # Limit 2025-03-18; reminded from 2025-03-08.
    scan_majors_stage2_limit(today=D(2025, 3, 7))
    assert _rows(ReminderKind.MAJORS_STAGE2_LIMIT) == []
    scan_majors_stage2_limit(today=D(2025, 3, 8))
    assert {row[1:3] for row in _rows(ReminderKind.MAJORS_STAGE2_LIMIT)} == {(D(2025, 3, 18), 10)}


def test_no_majors_stage2_limit_reminder_once_verified(findings, people):
    major, _minor = findings
    lc.resolve([major], people, on=D(2025, 1, 5))
    scan_majors_stage2_limit(today=D(2025, 5, 19))
    assert _rows(ReminderKind.MAJORS_STAGE2_LIMIT) == []


def test_majors_stage2_limit_digest_names_the_finding(findings):
    major, _minor = findings
    scan_majors_stage2_limit(today=D(2025, 5, 19))
    send_due_reminders(today=D(2025, 5, 19))
    (decider_mail,) = [m for m in mail.outbox if m.to == ["decider@example.com"]]
    assert "Open majors near the stage 2 limit" in decider_mail.body
    assert "This major must be verified by 2025-06-18" in decider_mail.body
    # The finding on its audit's workspace page.
    assert f"/work/audits/{major.audit_id}/#finding-{major.pk}" in decider_mail.body
