"""The audits' deadlines, as daily reminder scans (registered into reminders/registry.py when the
app is ready; reminders/writing.py writes the rows): finding plans, corrections and
verifications (ISO/IEC 17021-1 9.4.9, 9.5.3), majors still open as the stage 2 limit
approaches, upcoming audits for their team and audits without a team (9.2.3). Each scan's
docstring says who receives its reminders and why; the certification's deadlines are in
certificates/reminders.py.
"""

import datetime

from core.policy import policy
from reminders.models import ReminderKind
from reminders.recipients import DECIDE, MANAGE, recipient_ids
from reminders.registry import ScanResult, reminder_scan, reminder_subject
from reminders.writing import dated, month_bounds, months_after, stream, write, write_each

from .models import Audit, AuditKind, AuditState, Finding


def _finding_label(finding) -> str:
    return f"{finding} ({finding.audit})"  # the audit names its certification


reminder_subject(
    Finding.objects.select_related(
        "audit__certification__client", "audit__certification__standard"
    ),
    label=_finding_label,
)
reminder_subject(Audit.objects.select_related("certification__client", "certification__standard"))


@reminder_scan(order=60)
def scan_findings(*, today: datetime.date) -> ScanResult:
    """Finding deadlines (ISO/IEC 17021-1 9.4.9, 9.5.3; Finding.set_deadlines from
    FINDING_PLAN_DAYS, MAJOR_CORRECTION_DAYS and MAJOR_VERIFICATION_DAYS): the plan due date
    (majors and minors, until the plan is accepted), the correction due date (majors, until the
    correction is reported) and the verification due date (majors, until correction and
    corrective action are verified). Each is reminded REMINDER_FINDING_DUE_DAYS before it
    (catching up until the due date itself) while outstanding, and as overdue from the day
    after it. Due date: the finding's deadline.

    Recipients: staff who manage certifications (they chase the client); overdue also the
    decision makers (the certification decision waits for it)."""
    result = ScanResult()
    days = policy("REMINDER_FINDING_DUE_DAYS")
    last = today + datetime.timedelta(days=days)
    staff, escalate = recipient_ids(MANAGE), recipient_ids(MANAGE, DECIDE)
    for date_field, outstanding, due_kind, overdue_kind in [
        (
            "plan_due",
            Finding.objects.plan_outstanding(),
            ReminderKind.FINDING_PLAN_DUE,
            ReminderKind.FINDING_PLAN_OVERDUE,
        ),
        (
            "correction_due",
            Finding.objects.correction_outstanding(),
            ReminderKind.FINDING_CORRECTION_DUE,
            ReminderKind.FINDING_CORRECTION_OVERDUE,
        ),
        (
            "verification_due",
            Finding.objects.verification_outstanding(),
            ReminderKind.FINDING_VERIFICATION_DUE,
            ReminderKind.FINDING_VERIFICATION_OVERDUE,
        ),
    ]:
        due = dated(
            outstanding.filter(**{f"{date_field}__gte": today, f"{date_field}__lte": last}),
            date_field,
        )
        result.created[due_kind] = write(due_kind, Finding, due, staff, lead=lambda _due: days)
        overdue = dated(outstanding.filter(**{f"{date_field}__lt": today}), date_field)
        result.created[overdue_kind] = write(overdue_kind, Finding, overdue, escalate)
    return result


@reminder_scan(order=80)
def scan_majors_stage2_limit(*, today: datetime.date) -> ScanResult:
    """Majors still open as the stage 2 limit approaches (policy: majors not verified within
    MAJOR_VERIFICATION_LIMIT_MONTHS of stage 2's last day mean a new stage 2; see
    certificates.rules.stage2_limit_passed). Each unverified major of a stage 2 that has ended and
    no decision has been taken on yet is reminded REMINDER_MAJORS_STAGE2_LIMIT_DAYS before the
    limit (catching up until the limit itself). The subject is the finding, the due date the
    limit.

    Recipients: staff who manage certifications (they chase the client and the verification)
    and the decision makers (after the limit they cannot grant on this stage 2)."""
    result = ScanResult()
    days = policy("REMINDER_MAJORS_STAGE2_LIMIT_DAYS")
    months = policy("MAJOR_VERIFICATION_LIMIT_MONTHS")
    last = today + datetime.timedelta(days=days)
    low, high = month_bounds(months, today, last)
    rows = dated(
        Finding.objects.majors_unverified()
        .filter(
            audit__kind=AuditKind.STAGE2,
            audit__decision__isnull=True,
            audit__actual_end__gte=low,
            audit__actual_end__lte=high,
        )
        .exclude(audit__state=AuditState.CANCELLED),
        "audit__actual_end",
    )
    result.created[ReminderKind.MAJORS_STAGE2_LIMIT] = write(
        ReminderKind.MAJORS_STAGE2_LIMIT,
        Finding,
        months_after(rows, months, today, last),
        recipient_ids(MANAGE, DECIDE),
        lead=lambda _due: days,
    )
    return result


def _planned_starting(today: datetime.date, days: int):
    """Planned audits (not started, not cancelled) starting between ``today`` and ``days``
    later: a missed daily run catches up until the first day."""
    return Audit.objects.filter(
        state=AuditState.PLANNED,
        planned_start__gte=today,
        planned_start__lte=today + datetime.timedelta(days=days),
    )


@reminder_scan(order=90)
def scan_audits(*, today: datetime.date) -> ScanResult:
    """Upcoming audits and audits without a team (ISO/IEC 17021-1 9.2.3).

    Audit upcoming: REMINDER_AUDIT_UPCOMING_DAYS before a planned audit's first day (catching
    up until that day), one reminder for each member of its team: the team leader and the team
    members (active, with an email address). They are the recipients, not the staff.

    Audit without a team: a planned audit with no team leader yet (e.g. one the audit
    programme generated) starting within REMINDER_AUDIT_WITHOUT_TEAM_DAYS. Recipients: staff
    who manage certifications (they appoint the team). Staffing it later does not undo the
    reminder; moving the audit to another date reminds again for the new date.

    Subject: the audit; due date: its planned first day."""
    result = ScanResult()
    days = policy("REMINDER_AUDIT_UPCOMING_DAYS")
    upcoming = _planned_starting(today, days)
    # One filter() call per relation: the conditions hold for the same member.
    leaders = upcoming.filter(team_leader__is_active=True, team_leader__email__gt="")
    members = upcoming.filter(members__is_active=True, members__email__gt="")
    team = (
        leaders.order_by()
        .values_list("pk", "planned_start", "team_leader")
        .union(members.order_by().values_list("pk", "planned_start", "members"))
        .order_by("pk", "team_leader")
    )
    result.created[ReminderKind.AUDIT_UPCOMING] = write_each(
        ReminderKind.AUDIT_UPCOMING,
        Audit,
        stream(team),
        lead=lambda _due: days,
    )
    without_days = policy("REMINDER_AUDIT_WITHOUT_TEAM_DAYS")
    without = dated(
        _planned_starting(today, without_days).filter(team_leader__isnull=True), "planned_start"
    )
    result.created[ReminderKind.AUDIT_WITHOUT_TEAM] = write(
        ReminderKind.AUDIT_WITHOUT_TEAM,
        Audit,
        without,
        recipient_ids(MANAGE),
        lead=lambda _due: without_days,
    )
    return result
