"""Reminders and escalations: daily scans write Reminder rows, a sender mails them as one
digest per recipient.

Shape (shared/style.md, Tasks): one scanner per concern queries what is due on ``today``,
writes a row under the unique constraint (subject, kind, due date, lead time, recipient), and
the sending is queued after commit. No ETA or countdown tasks. Running a scan twice, two scans
at once, or a retry after a crash writes nothing twice; a reminder is mailed in the transaction
that marks it sent, so it is mailed once. A failed send stays unsent (attempts, last error) and
goes out on the next send run.

The record is always written before anything is queued: a broker that is down loses nothing,
the next send run (beat, or ``manage.py send_reminders``) picks the reminders up.

Concerns so far: surveillance due and overdue (ISO/IEC 17021-1 9.6.2), recertification
planning, certificate expiring and expired, restoration window closing (9.6.3), suspension
deadline approaching and reached (9.6.5), finding plan, correction and verification due and
overdue (9.4.9, 9.5.3), stage 1 validity ending before stage 2 (9.3.1.2), majors open as the
stage 2 limit approaches, upcoming audits for their team and audits without a team (9.2.3). Later
kinds add a scan function to SCANS and a sentence to KIND_LINES. Each scan's docstring says
who receives its reminders and why.
"""

import datetime
import itertools
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.core import mail
from django.db import connection, transaction
from django.db.models import F, prefetch_related_objects
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import user_language
from core.dates import add_months
from core.policy import policy
from reminders.models import Reminder, ReminderKind

logger = logging.getLogger(__name__)

MANAGE = "certificates.manage_certification"
DECIDE = "certificates.decide_certification"
# Rows read (and reminders written) per round trip: memory stays flat whatever the table size.
CHUNK = 1000


@dataclass
class ScanResult:
    """How many reminder rows each kind wrote (rows that already existed are not counted)."""

    created: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.created.values())


# -- recipients ---------------------------------------------------------------------------------
PERMISSION_BACKEND = "django.contrib.auth.backends.ModelBackend"


def recipient_ids(*perms: str) -> list[int]:
    """Active staff users (or superusers) with an email address holding any of ``perms``."""
    users = get_user_model().objects
    ids = set()
    for perm in perms:
        ids.update(
            # The backend that holds permissions (django-axes' backend, first, holds none).
            users.with_perm(
                perm, is_active=True, include_superusers=True, backend=PERMISSION_BACKEND
            )
            .filter(is_staff=True)
            .exclude(email="")
            .values_list("pk", flat=True)
        )
    return sorted(ids)


# -- writing ------------------------------------------------------------------------------------
def _batched(iterable, size):
    """itertools.batched (Python 3.12) for 3.11."""
    iterator = iter(iterable)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _dated(queryset, field: str):
    """(pk, ``field``) of every row, streamed in pk order, CHUNK rows per query: what the
    scans hand to ``_write``."""
    return queryset.order_by("pk").values_list("pk", field).iterator(chunk_size=CHUNK)


def _write(kind: str, model, subjects, recipients: list[int], *, lead=None) -> int:
    """Write one reminder per (subject, due date) of ``subjects`` and recipient; returns how
    many were new. ``subjects`` is an iterator of (subject id, due date); ``lead(due)`` gives
    the lead time the reminder is for (0 without it). A fixed number of queries per chunk of
    CHUNK subjects."""
    if not recipients:
        return 0
    content_type = ContentType.objects.get_for_model(model)
    created = 0
    for chunk in _batched(subjects, CHUNK):
        existing = set(
            Reminder.objects.filter(
                content_type=content_type,
                kind=kind,
                object_id__in=[pk for pk, _due in chunk],
                recipient_id__in=recipients,
            ).values_list("object_id", "due_date", "lead_days", "recipient_id")
        )
        new = [
            Reminder(
                kind=kind,
                content_type=content_type,
                object_id=pk,
                due_date=due,
                lead_days=days,
                recipient_id=user,
            )
            for pk, due in chunk
            for days in [lead(due) if lead else 0]
            for user in recipients
            if (pk, due, days, user) not in existing
        ]
        # A concurrent scan may have written some of them meanwhile: the unique constraint
        # keeps one row and ignore_conflicts skips ours.
        Reminder.objects.bulk_create(new, ignore_conflicts=True, batch_size=CHUNK)
        created += len(new)
    return created


def _write_each(kind: str, model, rows, *, lead=None) -> int:
    """Like ``_write``, for reminders whose recipients depend on the subject (an audit's
    team): ``rows`` is an iterator of (subject id, due date, recipient id). A fixed number of
    queries per chunk of CHUNK rows."""
    content_type = ContentType.objects.get_for_model(model)
    created = 0
    for chunk in _batched(rows, CHUNK):
        existing = set(
            Reminder.objects.filter(
                content_type=content_type,
                kind=kind,
                object_id__in={pk for pk, _due, _user in chunk},
                recipient_id__in={user for _pk, _due, user in chunk},
            ).values_list("object_id", "due_date", "lead_days", "recipient_id")
        )
        keys = {(pk, due, lead(due) if lead else 0, user) for pk, due, user in chunk}
        new = [
            Reminder(
                kind=kind,
                content_type=content_type,
                object_id=pk,
                due_date=due,
                lead_days=days,
                recipient_id=user,
            )
            for pk, due, days, user in sorted(keys - existing)
        ]
        Reminder.objects.bulk_create(new, ignore_conflicts=True, batch_size=CHUNK)
        created += len(new)
    return created


# -- the scans ------------------------------------------------------------------------------------
def scan_surveillance(*, today: datetime.date) -> ScanResult:
    """Surveillance coming due, once per lead time (REMINDER_SURVEILLANCE_DUE_DAYS, e.g. 90, 30
    and 7 days before), and overdue: not held by its due date plus
    SURVEILLANCE_OVERDUE_GRACE_DAYS. A reminder's due date is the surveillance's due date.

    A lead time fires on the day it is reached, and a missed daily run catches up: a
    surveillance due within the longest lead time gets the reminder of the shortest lead time
    already reached (due in 26 days: the 30-day one), which the unique constraint writes once.
    Overdue is "before", not "on", a day, for the same reason."""
    from certificates.models import Certification

    result = ScanResult()
    leads = sorted({int(days) for days in policy("REMINDER_SURVEILLANCE_DUE_DAYS")})

    def reached(due: datetime.date) -> int:
        return min(days for days in leads if (due - today).days <= days)

    due = _dated(
        Certification.objects.active().filter(
            next_surveillance_due__gte=today,
            next_surveillance_due__lte=today + datetime.timedelta(days=max(leads, default=0)),
        ),
        "next_surveillance_due",
    )
    result.created[ReminderKind.SURVEILLANCE_DUE] = _write(
        ReminderKind.SURVEILLANCE_DUE,
        Certification,
        due if leads else iter(()),
        recipient_ids(MANAGE),
        lead=reached,
    )
    # Overdue on ``today``: due date + grace < today, and no surveillance under way.
    grace = datetime.timedelta(days=policy("SURVEILLANCE_OVERDUE_GRACE_DAYS"))
    not_held = Certification.objects.surveillance_not_held(on=today - grace)
    result.created[ReminderKind.SURVEILLANCE_OVERDUE] = _write(
        ReminderKind.SURVEILLANCE_OVERDUE,
        Certification,
        _dated(not_held, "next_surveillance_due"),
        recipient_ids(MANAGE),
    )
    result.created.update(escalate_overdue_surveillance(not_held, today=today).created)
    return result


OVERDUE_ACTIONS = ("propose", "suspend")


def escalate_overdue_surveillance(not_held, *, today: datetime.date) -> ScanResult:
    """Overdue surveillance escalates to the decision a certification body must then take
    (ISO/IEC 17021-1 9.6.5.1: a client that misses surveillance is a ground for suspension).
    ``not_held``: the certifications whose surveillance is overdue and not held.

    Policy SURVEILLANCE_OVERDUE_ACTION:

    - "propose" (default): a suspension proposal for the decision makers, linking to the
      suspend step in the admin; they decide (suspend, or plan the audit and record why not).
    - "suspend": the system suspends the certification itself (recorded with no user as the
      actor, the reason naming the missed due date), and staff and decision makers are told.
      A certification that cannot be suspended (a rule does not hold, or someone changed it
      meanwhile) is logged and proposed instead.

    Due date: the missed surveillance due date. Each certification is escalated once per
    missed due date (the unique constraint; a suspended certification is no longer overdue)."""
    from certificates.models import Certification

    result = ScanResult()
    action = policy("SURVEILLANCE_OVERDUE_ACTION")
    if action not in OVERDUE_ACTIONS:
        raise ValueError(
            f"CERTBODY['SURVEILLANCE_OVERDUE_ACTION'] is {action!r}; expected one of "
            f"{', '.join(OVERDUE_ACTIONS)}."
        )
    proposals = _dated(not_held, "next_surveillance_due")
    if action == "suspend":
        suspended, failed = _suspend_automatically(not_held, today=today)
        result.created[ReminderKind.SUSPENDED_AUTOMATICALLY] = _write(
            ReminderKind.SUSPENDED_AUTOMATICALLY,
            Certification,
            iter(suspended),
            recipient_ids(MANAGE, DECIDE),
        )
        proposals = iter(failed)
    result.created[ReminderKind.SUSPENSION_PROPOSED] = _write(
        ReminderKind.SUSPENSION_PROPOSED,
        Certification,
        proposals,
        recipient_ids(DECIDE),
    )
    return result


def _suspend_automatically(not_held, *, today: datetime.date):
    """Suspend each certification of ``not_held`` through the lifecycle service (the system
    as the actor), CHUNK at a time with keyset paging, each in its own savepoint. Returns
    ((pk, due) suspended, (pk, due) that could not be)."""
    from certificates.models import Certification, State
    from certificates.services import certification_suspend
    from core.errors import DomainError

    suspended, failed = [], []
    last = 0
    while True:
        chunk = list(
            not_held.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "next_surveillance_due", "revision")[:CHUNK]
        )
        if not chunk:
            return suspended, failed
        last = chunk[-1][0]
        for pk, due, revision in chunk:
            with translation.override(settings.LANGUAGE_CODE):  # the record's language
                reason = _(
                    "Surveillance due by %(due)s was not held: suspended automatically under "
                    "the body's policy (ISO/IEC 17021-1 9.6.5)."
                ) % {"due": due.isoformat()}
            try:
                with transaction.atomic():
                    certification_suspend(
                        certification=Certification(pk=pk, revision=revision),
                        reason=reason,
                        by=None,
                        on=today,
                    )
            except DomainError as err:
                if Certification.objects.filter(pk=pk).exclude(state=State.ACTIVE).exists():
                    continue  # a concurrent scan (or a person) took it meanwhile
                logger.warning(
                    "Could not suspend certification %s automatically (surveillance due %s): "
                    "%s. Proposed to the decision makers instead.",
                    pk,
                    due,
                    err,
                )
                failed.append((pk, due))
            else:
                suspended.append((pk, due))


def _months_after(rows, months: int, first: datetime.date, last: datetime.date):
    """(pk, date + ``months``) for each (pk, date) of ``rows`` whose date + ``months`` falls
    between ``first`` and ``last``. add_months clamps to the month's end, so a query selects
    by date -/+ a few days (``_month_bounds``) and this keeps the exact ones, still streaming."""
    for pk, day in rows:
        moved = add_months(day, months)
        if first <= moved <= last:
            yield pk, moved


def _month_bounds(months: int, first: datetime.date, last: datetime.date):
    """Dates ``day`` with ``first <= add_months(day, months) <= last`` all lie within the
    returned range (month-end clamping moves a date by at most 3 days)."""
    slack = datetime.timedelta(days=3)
    return add_months(first, -months) - slack, add_months(last, -months) + slack


def scan_recertification(*, today: datetime.date) -> ScanResult:
    """Recertification planning due (ISO/IEC 17021-1 9.6.3; policy: plan
    RECERTIFICATION_PLANNING_MONTHS before expiry), for active certifications. Fires on the
    planning date and, a daily run missed, on any later day before expiry; the unique
    constraint writes it once. The due date is the expiry date, the lead time the days from
    the planning date to it. A recertification moves the expiry date, and with it the next
    reminder.

    Recipients: staff who manage certifications (they plan the recertification audit)."""
    from certificates.models import Certification

    result = ScanResult()
    months = policy("RECERTIFICATION_PLANNING_MONTHS")
    _low, high = _month_bounds(-months, today, today)
    rows = _dated(
        Certification.objects.active().filter(expiry_date__gte=today, expiry_date__lte=high),
        "expiry_date",
    )
    due = ((pk, expiry) for pk, expiry in rows if add_months(expiry, -months) <= today)
    result.created[ReminderKind.RECERTIFICATION_PLANNING] = _write(
        ReminderKind.RECERTIFICATION_PLANNING,
        Certification,
        due,
        recipient_ids(MANAGE),
        lead=lambda expiry: (expiry - add_months(expiry, -months)).days,
    )
    return result


def scan_expiry(*, today: datetime.date) -> ScanResult:
    """Certificate expiring: REMINDER_CERTIFICATE_EXPIRING_DAYS before the expiry date
    (catching up until the expiry date itself, the last valid day), active or suspended.

    Certificate expired: not recertified by the expiry date, so from the day after it (the
    certification expired, or is still active or suspended because the expiry task has not
    run). Catches up while the restoration window is open; after that only a new stage 2
    leads back and RESTORATION_WINDOW_CLOSING has already been sent. Due date: the expiry date.

    Recipients: staff who manage certifications and the decision makers (recertification
    decision before expiry, restoration after it)."""
    from certificates.models import Certification

    result = ScanResult()
    recipients = recipient_ids(MANAGE, DECIDE)
    days = policy("REMINDER_CERTIFICATE_EXPIRING_DAYS")
    expiring = _dated(Certification.objects.expiring_within(days=days, on=today), "expiry_date")
    result.created[ReminderKind.CERTIFICATE_EXPIRING] = _write(
        ReminderKind.CERTIFICATE_EXPIRING,
        Certification,
        expiring,
        recipients,
        lead=lambda _due: days,
    )
    window = policy("RESTORATION_WINDOW_MONTHS")
    low, _high = _month_bounds(window, today, today)
    expired = _dated(
        Certification.objects.expired_as_of(on=today).filter(expiry_date__gte=low),
        "expiry_date",
    )
    result.created[ReminderKind.CERTIFICATE_EXPIRED] = _write(
        ReminderKind.CERTIFICATE_EXPIRED,
        Certification,
        ((pk, expiry) for pk, expiry in expired if add_months(expiry, window) >= today),
        recipients,
    )
    return result


def scan_restoration(*, today: datetime.date) -> ScanResult:
    """Restoration window closing: an expired certification can be restored within
    RESTORATION_WINDOW_MONTHS of its expiry (ISO/IEC 17021-1 9.6.3.2.5), later only a new
    stage 2 leads back. Reminded REMINDER_RESTORATION_WINDOW_DAYS before the window closes
    (catching up until its last day). Due date: the last day of the window
    (Certification.restoration_window_end).

    Recipients: staff who manage certifications and the decision makers (restoration is a
    decision)."""
    from certificates.models import Certification

    result = ScanResult()
    days = policy("REMINDER_RESTORATION_WINDOW_DAYS")
    window = policy("RESTORATION_WINDOW_MONTHS")
    last = today + datetime.timedelta(days=days)
    low, high = _month_bounds(window, today, last)
    rows = _dated(
        Certification.objects.expired_as_of(on=today).filter(
            expiry_date__gte=low, expiry_date__lte=high
        ),
        "expiry_date",
    )
    result.created[ReminderKind.RESTORATION_WINDOW_CLOSING] = _write(
        ReminderKind.RESTORATION_WINDOW_CLOSING,
        Certification,
        _months_after(rows, window, today, last),
        recipient_ids(MANAGE, DECIDE),
        lead=lambda _due: days,
    )
    return result


def scan_suspension(*, today: datetime.date) -> ScanResult:
    """Suspension deadline (ISO/IEC 17021-1 9.6.5; policy SUSPENSION_MAX_MONTHS after the
    suspension): approaching REMINDER_SUSPENSION_DEADLINE_DAYS before it (catching up until the
    deadline itself), and reached the day after it, when lifting the suspension is no longer
    allowed and the decision makers must withdraw the certification or reduce its scope. Due
    date: the suspension deadline. Lifting or ending the suspension clears the deadline.

    Recipients: decision makers (theirs is the decision) and staff who manage certifications
    (they follow the client up)."""
    from certificates.models import Certification

    result = ScanResult()
    recipients = recipient_ids(MANAGE, DECIDE)
    days = policy("REMINDER_SUSPENSION_DEADLINE_DAYS")
    approaching = _dated(
        Certification.objects.suspension_deadline_within(days=days, on=today),
        "suspension_deadline",
    )
    result.created[ReminderKind.SUSPENSION_DEADLINE_APPROACHING] = _write(
        ReminderKind.SUSPENSION_DEADLINE_APPROACHING,
        Certification,
        approaching,
        recipients,
        lead=lambda _due: days,
    )
    reached = _dated(
        Certification.objects.suspension_deadline_passed(on=today), "suspension_deadline"
    )
    result.created[ReminderKind.SUSPENSION_DEADLINE_REACHED] = _write(
        ReminderKind.SUSPENSION_DEADLINE_REACHED,
        Certification,
        reached,
        recipients,
    )
    return result


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
    from audits.models import Finding

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
        due = _dated(
            outstanding.filter(**{f"{date_field}__gte": today, f"{date_field}__lte": last}),
            date_field,
        )
        result.created[due_kind] = _write(due_kind, Finding, due, staff, lead=lambda _due: days)
        overdue = _dated(outstanding.filter(**{f"{date_field}__lt": today}), date_field)
        result.created[overdue_kind] = _write(overdue_kind, Finding, overdue, escalate)
    return result


def scan_stage1_validity(*, today: datetime.date) -> ScanResult:
    """Stage 1 validity running out before stage 2 is held (ISO/IEC 17021-1 9.3.1.2; policy:
    STAGE1_VALIDITY_MONTHS from stage 1's last day): a stage 1 closed as ready, no stage 2
    started since, reminded REMINDER_STAGE1_VALIDITY_DAYS before the validity's last day
    (catching up until that day). After it, stage 2 needs a recorded justification or stage 1
    is repeated. The subject is the certification (stage 2 is planned from it), the due date
    the last day stage 1 is valid.

    Recipients: staff who manage certifications (they plan stage 2)."""
    from django.db.models.functions import Coalesce

    from audits.models import Audit
    from certificates.models import Certification

    result = ScanResult()
    days = policy("REMINDER_STAGE1_VALIDITY_DAYS")
    months = policy("STAGE1_VALIDITY_MONTHS")
    last = today + datetime.timedelta(days=days)
    low, high = _month_bounds(months, today, last)
    rows = (
        Audit.objects.stage1_awaiting_stage2()
        .annotate(last_day=Coalesce("actual_end", "planned_end"))
        .filter(last_day__gte=low, last_day__lte=high)
        .order_by("certification_id")
        .values_list("certification_id", "last_day")
    )
    result.created[ReminderKind.STAGE1_VALIDITY_ENDING] = _write(
        ReminderKind.STAGE1_VALIDITY_ENDING,
        Certification,
        _months_after(rows.iterator(chunk_size=CHUNK), months, today, last),
        recipient_ids(MANAGE),
        lead=lambda _due: days,
    )
    return result


def scan_majors_stage2_limit(*, today: datetime.date) -> ScanResult:
    """Majors still open as the stage 2 limit approaches (policy: majors not verified within
    MAJOR_VERIFICATION_LIMIT_MONTHS of stage 2's last day mean a new stage 2; see
    certificates.rules.stage2_limit_passed). Each unverified major of a stage 2 that has ended and
    no decision has been taken on yet is reminded REMINDER_MAJORS_STAGE2_LIMIT_DAYS before the
    limit (catching up until the limit itself). The subject is the finding, the due date the
    limit.

    Recipients: staff who manage certifications (they chase the client and the verification)
    and the decision makers (after the limit they cannot grant on this stage 2)."""
    from audits.models import AuditKind, AuditState, Finding

    result = ScanResult()
    days = policy("REMINDER_MAJORS_STAGE2_LIMIT_DAYS")
    months = policy("MAJOR_VERIFICATION_LIMIT_MONTHS")
    last = today + datetime.timedelta(days=days)
    low, high = _month_bounds(months, today, last)
    rows = _dated(
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
    result.created[ReminderKind.MAJORS_STAGE2_LIMIT] = _write(
        ReminderKind.MAJORS_STAGE2_LIMIT,
        Finding,
        _months_after(rows, months, today, last),
        recipient_ids(MANAGE, DECIDE),
        lead=lambda _due: days,
    )
    return result


def _planned_starting(today: datetime.date, days: int):
    """Planned audits (not started, not cancelled) starting between ``today`` and ``days``
    later: a missed daily run catches up until the first day."""
    from audits.models import Audit, AuditState

    return Audit.objects.filter(
        state=AuditState.PLANNED,
        planned_start__gte=today,
        planned_start__lte=today + datetime.timedelta(days=days),
    )


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
    from audits.models import Audit

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
    result.created[ReminderKind.AUDIT_UPCOMING] = _write_each(
        ReminderKind.AUDIT_UPCOMING,
        Audit,
        team.iterator(chunk_size=CHUNK),
        lead=lambda _due: days,
    )
    without_days = policy("REMINDER_AUDIT_WITHOUT_TEAM_DAYS")
    without = _dated(
        _planned_starting(today, without_days).filter(team_leader__isnull=True), "planned_start"
    )
    result.created[ReminderKind.AUDIT_WITHOUT_TEAM] = _write(
        ReminderKind.AUDIT_WITHOUT_TEAM,
        Audit,
        without,
        recipient_ids(MANAGE),
        lead=lambda _due: without_days,
    )
    return result


def scan_certsearch(*, today: datetime.date) -> ScanResult:
    """The monthly IAF CertSearch upload (IAF MD 28: at least monthly). Each month has a
    CertSearchUpload record (written here if the monthly export has not run); until staff
    record the upload on it:

    - upload due: on the month's first day (the export task has written the files that
      night) and again REMINDER_CERTSEARCH_UPLOAD_DAYS before the month's last day; a missed
      daily run catches up;
    - upload overdue: from the day after the month's last day, for every month not recorded
      as uploaded.

    Due date: the month's last day. Recipients: staff who manage certifications (they upload;
    the same people the export mail goes to)."""
    from certificates.models import CertSearchUpload

    result = ScanResult()
    month = today.replace(day=1)
    CertSearchUpload.objects.get_or_create(month=month)
    days = policy("REMINDER_CERTSEARCH_UPLOAD_DAYS")
    # Only months not recorded as uploaded: a handful of rows, whatever the data size.
    open_months = [
        (pk, CertSearchUpload(month=first).due_date)
        for pk, first in CertSearchUpload.objects.filter(uploaded_at__isnull=True, month__lte=month)
        .order_by("month")
        .values_list("pk", "month")
    ]
    recipients = recipient_ids(MANAGE)

    def lead(due: datetime.date) -> int:
        """The lead time reached: the late one once it is reached, else the month's start."""
        return days if (due - today).days <= days else (due - month).days

    result.created[ReminderKind.CERTSEARCH_UPLOAD_DUE] = _write(
        ReminderKind.CERTSEARCH_UPLOAD_DUE,
        CertSearchUpload,
        ((pk, due) for pk, due in open_months if due >= today),
        recipients,
        lead=lead,
    )
    result.created[ReminderKind.CERTSEARCH_UPLOAD_OVERDUE] = _write(
        ReminderKind.CERTSEARCH_UPLOAD_OVERDUE,
        CertSearchUpload,
        ((pk, due) for pk, due in open_months if due < today),
        recipients,
    )
    return result


SCANS = [
    scan_surveillance,
    scan_recertification,
    scan_expiry,
    scan_restoration,
    scan_suspension,
    scan_findings,
    scan_stage1_validity,
    scan_majors_stage2_limit,
    scan_audits,
    scan_certsearch,
]


def _plan_for_every_row() -> None:
    """The scans stream through server-side cursors, which PostgreSQL plans for the first
    10 % of the rows (cursor_tuple_fraction): with ORDER BY pk, a walk of the whole table in
    key order, over a second per query with 1.35 M certifications (docs/benchmarks.md). The
    scans read every row, so plan for all of them, in this transaction only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")


def scan_all(*, today: datetime.date, enqueue: bool = True) -> ScanResult:
    """Run every scan for ``today`` in one transaction; with ``enqueue``, queue the sending
    once the rows are committed."""
    result = ScanResult()
    with transaction.atomic():
        _plan_for_every_row()
        for scan in SCANS:
            result.created.update(scan(today=today).created)
        if enqueue:
            transaction.on_commit(enqueue_send)
    return result


def enqueue_send() -> None:
    """Queue the sender (a Celery task, not a request: it may wait the broker's short timeouts).
    The reminders are already committed: if the broker is down they wait for the next send run
    (the sweep, every 10 minutes, or the daily run) instead of being lost."""
    from reminders.tasks import send_reminders

    try:
        send_reminders.delay()
    except Exception as err:  # kombu raises OperationalError and others; none must escape
        logger.error(
            "Could not queue sending of reminders (broker unavailable?): %s. The reminders are "
            "saved and go out with the next send run.",
            err,
        )


# -- the digest -----------------------------------------------------------------------------------
# One sentence per kind, each with the due date as %(due)s (a test checks every kind has one).
KIND_LINES = {
    ReminderKind.SURVEILLANCE_DUE: gettext_lazy(
        "Surveillance due by %(due)s: plan it and confirm the dates with the client."
    ),
    ReminderKind.SURVEILLANCE_OVERDUE: gettext_lazy(
        "Surveillance was due by %(due)s and has not been held: hold it now; the decision "
        "makers have been asked to consider suspending the certification."
    ),
    ReminderKind.SUSPENSION_PROPOSED: gettext_lazy(
        "Surveillance was due by %(due)s and has not been held: suspend the certification "
        "(ISO/IEC 17021-1 9.6.5), or plan the audit and record why it is not suspended."
    ),
    ReminderKind.SUSPENDED_AUTOMATICALLY: gettext_lazy(
        "Surveillance was due by %(due)s and was not held: the system suspended the "
        "certification under the body's policy. Restore it once the surveillance is held."
    ),
    ReminderKind.RECERTIFICATION_PLANNING: gettext_lazy(
        "The certificate expires on %(due)s: plan the recertification audit now, so that "
        "the decision is taken before expiry."
    ),
    ReminderKind.CERTIFICATE_EXPIRING: gettext_lazy(
        "The certificate expires on %(due)s: without a recertification decision by then it expires."
    ),
    ReminderKind.CERTIFICATE_EXPIRED: gettext_lazy(
        "The certificate expired on %(due)s without a recertification decision: it can "
        "still be restored within the restoration window."
    ),
    ReminderKind.RESTORATION_WINDOW_CLOSING: gettext_lazy(
        "The restoration window closes on %(due)s: after that only a new stage 2 leads "
        "back to certification."
    ),
    ReminderKind.SUSPENSION_DEADLINE_APPROACHING: gettext_lazy(
        "The suspension deadline is %(due)s: restore the certification by then, or it "
        "must be withdrawn or its scope reduced."
    ),
    ReminderKind.SUSPENSION_DEADLINE_REACHED: gettext_lazy(
        "The suspension deadline %(due)s has passed: the decision makers must withdraw "
        "the certification or reduce its scope."
    ),
    ReminderKind.FINDING_PLAN_DUE: gettext_lazy(
        "The client's correction and corrective action plan is due by %(due)s."
    ),
    ReminderKind.FINDING_PLAN_OVERDUE: gettext_lazy(
        "The client's plan was due by %(due)s and has not been accepted: no certification "
        "decision can be taken until it is."
    ),
    ReminderKind.FINDING_CORRECTION_DUE: gettext_lazy(
        "The client must correct this major nonconformity by %(due)s."
    ),
    ReminderKind.FINDING_CORRECTION_OVERDUE: gettext_lazy(
        "Correction of this major was due by %(due)s and has not been reported: chase the "
        "client, the verification and the certification decision wait for it."
    ),
    ReminderKind.FINDING_VERIFICATION_DUE: gettext_lazy(
        "Correction and corrective action of this major must be verified by %(due)s."
    ),
    ReminderKind.FINDING_VERIFICATION_OVERDUE: gettext_lazy(
        "Verification of this major was due by %(due)s and has not been done: no "
        "certification decision can be taken until it is."
    ),
    ReminderKind.STAGE1_VALIDITY_ENDING: gettext_lazy(
        "Stage 1 is valid until %(due)s: hold stage 2 by then, or record a justification "
        "or repeat stage 1."
    ),
    ReminderKind.MAJORS_STAGE2_LIMIT: gettext_lazy(
        "This major must be verified by %(due)s: after that the certification cannot be "
        "granted on this stage 2 and a new stage 2 is required."
    ),
    ReminderKind.AUDIT_WITHOUT_TEAM: gettext_lazy(
        "The audit starts on %(due)s and has no team leader yet: appoint the audit team."
    ),
    ReminderKind.AUDIT_UPCOMING: gettext_lazy(
        "You are on the team of this audit, which starts on %(due)s."
    ),
    ReminderKind.CERTSEARCH_UPLOAD_DUE: gettext_lazy(
        "Upload this month's export to IAF CertSearch by %(due)s (IAF MD 28) and record the "
        "upload in certbody."
    ),
    ReminderKind.CERTSEARCH_UPLOAD_OVERDUE: gettext_lazy(
        "The IAF CertSearch upload was due by %(due)s and has not been recorded: upload the "
        "export now (IAF MD 28: at least monthly) and record it."
    ),
}


def kind_line(reminder: Reminder) -> str:
    """The digest's sentence for one reminder, in the active language."""
    return KIND_LINES[reminder.kind] % {"due": reminder.due_date.isoformat()}


# Reminders that ask for a lifecycle step link to that step's admin page.
KIND_TRANSITIONS = {ReminderKind.SUSPENSION_PROPOSED: "suspend"}


def admin_path(reminder: Reminder) -> str:
    """The subject's admin change page, or the lifecycle step the reminder asks for."""
    ct = reminder.content_type
    if reminder.kind in KIND_TRANSITIONS:
        return reverse(
            f"admin:{ct.app_label}_{ct.model}_transition",
            args=[reminder.object_id, KIND_TRANSITIONS[reminder.kind]],
        )
    return reverse(f"admin:{ct.app_label}_{ct.model}_change", args=[reminder.object_id])


def admin_url(reminder: Reminder) -> str:
    """Absolute link to the subject's admin change page (PUBLIC_BASE_URL + path), for mail."""
    return policy("PUBLIC_BASE_URL").rstrip("/") + admin_path(reminder)


def _subject_label(reminder: Reminder) -> str:
    subject = reminder.subject
    if subject is None:
        return _("(deleted record #%(id)d)") % {"id": reminder.object_id}
    if reminder.content_type.model == "finding":
        return f"{subject} ({subject.audit})"  # the audit names its certification
    number = getattr(subject, "certificate_number", "")
    return f"{subject} ({number})" if number else str(subject)


@dataclass
class Digest:
    recipient: object
    subject: str
    body: str
    reminders: list


def digest_for(recipient, reminders: list[Reminder], *, today: datetime.date) -> Digest:
    """The daily mail to one recipient, plain text, in the recipient's language
    (UserPreference.language, else LANGUAGE_CODE; user_language). Load the recipient with
    select_related("preference") to read it without a query."""
    with translation.override(user_language(recipient)):
        count = len(reminders)
        subject = ngettext(
            "[%(body)s] %(count)d deadline reminder, %(day)s",
            "[%(body)s] %(count)d deadline reminders, %(day)s",
            count,
        ) % {"body": policy("BODY_NAME"), "count": count, "day": today.isoformat()}
        lines = [
            _("Hello %(name)s,") % {"name": recipient.get_full_name() or recipient.username},
            "",
            _("These deadlines need your attention:"),
        ]
        by_kind = defaultdict(list)
        for reminder in reminders:
            by_kind[reminder.kind].append(reminder)
        for kind in ReminderKind:  # overdue after due, in the order the kinds are declared
            if kind not in by_kind:
                continue
            lines += ["", str(kind.label), "-" * len(str(kind.label))]
            for reminder in by_kind[kind]:
                lines += [
                    f"- {_subject_label(reminder)}",
                    f"  {kind_line(reminder)}",
                    f"  {admin_url(reminder)}",
                ]
        lines += [
            "",
            _("Acknowledge reminders in the admin: %(url)s")
            % {
                "url": policy("PUBLIC_BASE_URL").rstrip("/")
                + reverse("admin:reminders_reminder_changelist")
            },
        ]
    return Digest(recipient=recipient, subject=subject, body="\n".join(lines), reminders=reminders)


def subject_prefetch() -> GenericPrefetch:
    """Reminders' subjects in one query per subject type, with what their labels print
    (the digest and the admin list)."""
    from audits.models import Audit, Finding
    from certificates.models import Certification, CertSearchUpload

    return GenericPrefetch(
        "subject",
        [
            Certification.objects.select_related("client", "standard"),
            Finding.objects.select_related(
                "audit__certification__client", "audit__certification__standard"
            ),
            Audit.objects.select_related("certification__client", "certification__standard"),
            CertSearchUpload.objects.all(),
        ],
    )


def _load(reminders):
    """Fetch the subjects of ``reminders`` (a list) in one query per subject type."""
    prefetch_related_objects(reminders, subject_prefetch())
    return reminders


def pending_digests(*, today: datetime.date) -> list[Digest]:
    """What the sender would mail now (read only): one digest per recipient of unsent
    reminders."""
    reminders = list(
        Reminder.objects.unsent()
        .select_related("recipient__preference", "content_type")
        .order_by("recipient_id", "due_date", "pk")
    )
    _load(reminders)
    digests = []
    for _user, rows in itertools.groupby(reminders, key=lambda r: r.recipient_id):
        group = list(rows)
        digests.append(digest_for(group[0].recipient, group, today=today))
    return digests


# -- sending --------------------------------------------------------------------------------------
@dataclass
class SendResult:
    mails: int = 0
    sent: int = 0
    failed: int = 0


def send_due_reminders(
    *, today: datetime.date, now: datetime.datetime | None = None, never_attempted: bool = False
) -> SendResult:
    """Mail every unsent reminder, one digest per recipient.

    Per recipient, in one transaction: lock that recipient's unsent rows (skip_locked: a
    concurrent sender takes the others or nothing), send, and mark them sent. A failed send
    records the attempt and the error and leaves them unsent for the next run. The only window
    for a duplicate is a crash between the mail server accepting the mail and the commit.

    ``never_attempted``: only reminders no send was tried for (the sweep: their queued sending
    was lost); those whose mail failed wait for the daily send run.
    """
    now = now or timezone.now()
    result = SendResult()
    unsent = Reminder.objects.unsent()
    if never_attempted:
        unsent = unsent.filter(attempts=0)
    recipients = unsent.order_by("recipient_id").values_list("recipient_id", flat=True).distinct()
    for recipient_id in list(recipients):
        with transaction.atomic():
            reminders = list(
                unsent.filter(recipient_id=recipient_id)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("recipient__preference", "content_type")
                .order_by("due_date", "pk")
            )
            if not reminders:
                continue  # another sender holds them
            pks = [r.pk for r in reminders]
            rows = Reminder.objects.filter(pk__in=pks)
            try:
                digest = digest_for(reminders[0].recipient, _load(reminders), today=today)
                if not digest.recipient.email:
                    raise ValueError(_("The recipient has no email address."))
                message = mail.EmailMessage(
                    digest.subject, digest.body, to=[digest.recipient.email]
                )
                with mail.get_connection() as connection:
                    connection.send_messages([message])
            except Exception as err:  # any failure: keep it visible and retry next run
                logger.warning("Reminder digest to user %s failed: %s", recipient_id, err)
                rows.update(attempts=F("attempts") + 1, last_error=f"{type(err).__name__}: {err}")
                result.failed += len(pks)
                continue
            rows.update(attempts=F("attempts") + 1, sent_at=now, last_error="")
            result.mails += 1
            result.sent += len(pks)
    return result


# -- acknowledging --------------------------------------------------------------------------------
def reminders_acknowledge(*, reminders, by) -> int:
    """Record that ``by`` has seen these reminders (those nobody acknowledged yet); returns
    how many were acknowledged now."""
    return reminders.filter(acknowledged_at__isnull=True).update(
        acknowledged_by=by, acknowledged_at=timezone.now()
    )
