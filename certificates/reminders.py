"""The certification's deadlines, as daily reminder scans (registered into reminders/registry.py
when the app is ready; reminders/writing.py writes the rows): surveillance due and overdue
(ISO/IEC 17021-1 9.6.2) and its escalation (9.6.5), recertification planning and certificate
expiry (9.6.3), the restoration window (9.6.3.2.5), the suspension deadline (9.6.5), stage 1
validity before stage 2 (9.3.1.2) and the monthly IAF CertSearch upload (IAF MD 28). Each scan's
docstring says who receives its reminders and why; the audits' deadlines are in
audits/reminders.py.
"""

import datetime
import logging

from django.db import transaction
from django.db.models.functions import Coalesce

from audits.models import Audit
from core.dates import add_months
from core.errors import DomainError
from core.policy import SURVEILLANCE_OVERDUE_ACTIONS, policy
from reminders.models import ReminderKind
from reminders.recipients import DECIDE, MANAGE, recipient_ids
from reminders.registry import ScanResult, reminder_scan, reminder_subject
from reminders.writing import (
    dated,
    keyset_chunks,
    month_bounds,
    months_after,
    stream,
    write,
)

from .models import Certification, CertSearchUpload, State
from .services import certification_suspend
from .services.decisions import NOTE_SUSPENDED_AUTOMATICALLY

logger = logging.getLogger(__name__)


def _label(certification) -> str:
    number = certification.certificate_number
    return f"{certification} ({number})" if number else str(certification)


reminder_subject(Certification.objects.select_related("client", "standard"), label=_label)
reminder_subject(CertSearchUpload.objects.all())


@reminder_scan(order=10)
def scan_surveillance(*, today: datetime.date) -> ScanResult:
    """Surveillance coming due, once per lead time (REMINDER_SURVEILLANCE_DUE_DAYS, e.g. 90, 30
    and 7 days before), and overdue: not held by its due date plus
    SURVEILLANCE_OVERDUE_GRACE_DAYS. A reminder's due date is the surveillance's due date.

    A lead time fires on the day it is reached, and a missed daily run catches up: a
    surveillance due within the longest lead time gets the reminder of the shortest lead time
    already reached (due in 26 days: the 30-day one), which the unique constraint writes once.
    Overdue is "before", not "on", a day, for the same reason."""
    result = ScanResult()
    leads = sorted({int(days) for days in policy("REMINDER_SURVEILLANCE_DUE_DAYS")})

    def reached(due: datetime.date) -> int:
        return min(days for days in leads if (due - today).days <= days)

    due = dated(
        Certification.objects.active().filter(
            next_surveillance_due__gte=today,
            next_surveillance_due__lte=today + datetime.timedelta(days=max(leads, default=0)),
        ),
        "next_surveillance_due",
    )
    result.created[ReminderKind.SURVEILLANCE_DUE] = write(
        ReminderKind.SURVEILLANCE_DUE,
        Certification,
        due if leads else iter(()),
        recipient_ids(MANAGE),
        lead=reached,
    )
    # Overdue on ``today``: due date + grace < today, and no surveillance under way.
    grace = datetime.timedelta(days=policy("SURVEILLANCE_OVERDUE_GRACE_DAYS"))
    not_held = Certification.objects.surveillance_not_held(on=today - grace)
    result.created[ReminderKind.SURVEILLANCE_OVERDUE] = write(
        ReminderKind.SURVEILLANCE_OVERDUE,
        Certification,
        dated(not_held, "next_surveillance_due"),
        recipient_ids(MANAGE),
    )
    result.created.update(escalate_overdue_surveillance(not_held, today=today).created)
    return result


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
    result = ScanResult()
    action = policy("SURVEILLANCE_OVERDUE_ACTION")
    if action not in SURVEILLANCE_OVERDUE_ACTIONS:
        raise ValueError(
            f"CERTBODY['SURVEILLANCE_OVERDUE_ACTION'] is {action!r}; expected one of "
            f"{', '.join(SURVEILLANCE_OVERDUE_ACTIONS)}."
        )
    proposals = dated(not_held, "next_surveillance_due")
    if action == "suspend":
        suspended, failed = _suspend_automatically(not_held, today=today)
        result.created[ReminderKind.SUSPENDED_AUTOMATICALLY] = write(
            ReminderKind.SUSPENDED_AUTOMATICALLY,
            Certification,
            iter(suspended),
            recipient_ids(MANAGE, DECIDE),
        )
        proposals = iter(failed)
    result.created[ReminderKind.SUSPENSION_PROPOSED] = write(
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
    suspended, failed = [], []
    for chunk in keyset_chunks(not_held, "next_surveillance_due", "revision"):
        for pk, due, revision in chunk:
            # Stored in English, shown in the reader's language (core.notes).
            reason = NOTE_SUSPENDED_AUTOMATICALLY.text(due=due.isoformat())
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
    return suspended, failed


@reminder_scan(order=20)
def scan_recertification(*, today: datetime.date) -> ScanResult:
    """Recertification planning due (ISO/IEC 17021-1 9.6.3; policy: plan
    RECERTIFICATION_PLANNING_MONTHS before expiry), for active certifications. Fires on the
    planning date and, a daily run missed, on any later day before expiry; the unique
    constraint writes it once. The due date is the expiry date, the lead time the days from
    the planning date to it. A recertification moves the expiry date, and with it the next
    reminder.

    Recipients: staff who manage certifications (they plan the recertification audit)."""
    result = ScanResult()
    months = policy("RECERTIFICATION_PLANNING_MONTHS")
    _low, high = month_bounds(-months, today, today)
    rows = dated(
        Certification.objects.active().filter(expiry_date__gte=today, expiry_date__lte=high),
        "expiry_date",
    )
    due = ((pk, expiry) for pk, expiry in rows if add_months(expiry, -months) <= today)
    result.created[ReminderKind.RECERTIFICATION_PLANNING] = write(
        ReminderKind.RECERTIFICATION_PLANNING,
        Certification,
        due,
        recipient_ids(MANAGE),
        lead=lambda expiry: (expiry - add_months(expiry, -months)).days,
    )
    return result


@reminder_scan(order=30)
def scan_expiry(*, today: datetime.date) -> ScanResult:
    """Certificate expiring: REMINDER_CERTIFICATE_EXPIRING_DAYS before the expiry date
    (catching up until the expiry date itself, the last valid day), active or suspended.

    Certificate expired: not recertified by the expiry date, so from the day after it (the
    certification expired, or is still active or suspended because the expiry task has not
    run). Catches up while the restoration window is open; after that only a new stage 2
    leads back and RESTORATION_WINDOW_CLOSING has already been sent. Due date: the expiry date.

    Recipients: staff who manage certifications and the decision makers (recertification
    decision before expiry, restoration after it)."""
    result = ScanResult()
    recipients = recipient_ids(MANAGE, DECIDE)
    days = policy("REMINDER_CERTIFICATE_EXPIRING_DAYS")
    expiring = dated(Certification.objects.expiring_within(days=days, on=today), "expiry_date")
    result.created[ReminderKind.CERTIFICATE_EXPIRING] = write(
        ReminderKind.CERTIFICATE_EXPIRING,
        Certification,
        expiring,
        recipients,
        lead=lambda _due: days,
    )
    window = policy("RESTORATION_WINDOW_MONTHS")
    low, _high = month_bounds(window, today, today)
    expired = dated(
        Certification.objects.expired_as_of(on=today).filter(expiry_date__gte=low),
        "expiry_date",
    )
    result.created[ReminderKind.CERTIFICATE_EXPIRED] = write(
        ReminderKind.CERTIFICATE_EXPIRED,
        Certification,
        ((pk, expiry) for pk, expiry in expired if add_months(expiry, window) >= today),
        recipients,
    )
    return result


@reminder_scan(order=40)
def scan_restoration(*, today: datetime.date) -> ScanResult:
    """Restoration window closing: an expired certification can be restored within
    RESTORATION_WINDOW_MONTHS of its expiry (ISO/IEC 17021-1 9.6.3.2.5), later only a new
    stage 2 leads back. Reminded REMINDER_RESTORATION_WINDOW_DAYS before the window closes
    (catching up until its last day). Due date: the last day of the window
    (Certification.restoration_window_end).

    Recipients: staff who manage certifications and the decision makers (restoration is a
    decision)."""
    result = ScanResult()
    days = policy("REMINDER_RESTORATION_WINDOW_DAYS")
    window = policy("RESTORATION_WINDOW_MONTHS")
    last = today + datetime.timedelta(days=days)
    low, high = month_bounds(window, today, last)
    rows = dated(
        Certification.objects.expired_as_of(on=today).filter(
            expiry_date__gte=low, expiry_date__lte=high
        ),
        "expiry_date",
    )
    result.created[ReminderKind.RESTORATION_WINDOW_CLOSING] = write(
        ReminderKind.RESTORATION_WINDOW_CLOSING,
        Certification,
        months_after(rows, window, today, last),
        recipient_ids(MANAGE, DECIDE),
        lead=lambda _due: days,
    )
    return result


@reminder_scan(order=50)
def scan_suspension(*, today: datetime.date) -> ScanResult:
    """Suspension deadline (ISO/IEC 17021-1 9.6.5; policy SUSPENSION_MAX_MONTHS after the
    suspension): approaching REMINDER_SUSPENSION_DEADLINE_DAYS before it (catching up until the
    deadline itself), and reached the day after it, when lifting the suspension is no longer
    allowed and the decision makers must withdraw the certification or reduce its scope. Due
    date: the suspension deadline. Lifting or ending the suspension clears the deadline.

    Recipients: decision makers (theirs is the decision) and staff who manage certifications
    (they follow the client up)."""
    result = ScanResult()
    recipients = recipient_ids(MANAGE, DECIDE)
    days = policy("REMINDER_SUSPENSION_DEADLINE_DAYS")
    approaching = dated(
        Certification.objects.suspension_deadline_within(days=days, on=today),
        "suspension_deadline",
    )
    result.created[ReminderKind.SUSPENSION_DEADLINE_APPROACHING] = write(
        ReminderKind.SUSPENSION_DEADLINE_APPROACHING,
        Certification,
        approaching,
        recipients,
        lead=lambda _due: days,
    )
    reached = dated(
        Certification.objects.suspension_deadline_passed(on=today), "suspension_deadline"
    )
    result.created[ReminderKind.SUSPENSION_DEADLINE_REACHED] = write(
        ReminderKind.SUSPENSION_DEADLINE_REACHED,
        Certification,
        reached,
        recipients,
    )
    return result


@reminder_scan(order=70)
def scan_stage1_validity(*, today: datetime.date) -> ScanResult:
    """Stage 1 validity running out before stage 2 is held (ISO/IEC 17021-1 9.3.1.2; policy:
    STAGE1_VALIDITY_MONTHS from stage 1's last day): a stage 1 closed as ready, no stage 2
    started since, reminded REMINDER_STAGE1_VALIDITY_DAYS before the validity's last day
    (catching up until that day). After it, stage 2 needs a recorded justification or stage 1
    is repeated. The subject is the certification (stage 2 is planned from it), the due date
    the last day stage 1 is valid.

    Recipients: staff who manage certifications (they plan stage 2)."""
    result = ScanResult()
    days = policy("REMINDER_STAGE1_VALIDITY_DAYS")
    months = policy("STAGE1_VALIDITY_MONTHS")
    last = today + datetime.timedelta(days=days)
    low, high = month_bounds(months, today, last)
    rows = (
        Audit.objects.stage1_awaiting_stage2()
        .annotate(last_day=Coalesce("actual_end", "planned_end"))
        .filter(last_day__gte=low, last_day__lte=high)
        .order_by("certification_id")
        .values_list("certification_id", "last_day")
    )
    result.created[ReminderKind.STAGE1_VALIDITY_ENDING] = write(
        ReminderKind.STAGE1_VALIDITY_ENDING,
        Certification,
        months_after(stream(rows), months, today, last),
        recipient_ids(MANAGE),
        lead=lambda _due: days,
    )
    return result


@reminder_scan(order=100)
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

    result.created[ReminderKind.CERTSEARCH_UPLOAD_DUE] = write(
        ReminderKind.CERTSEARCH_UPLOAD_DUE,
        CertSearchUpload,
        ((pk, due) for pk, due in open_months if due >= today),
        recipients,
        lead=lead,
    )
    result.created[ReminderKind.CERTSEARCH_UPLOAD_OVERDUE] = write(
        ReminderKind.CERTSEARCH_UPLOAD_OVERDUE,
        CertSearchUpload,
        ((pk, due) for pk, due in open_months if due < today),
        recipients,
    )
    return result
