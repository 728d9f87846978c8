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

Concerns so far: surveillance due and overdue (ISO/IEC 17021-1 9.6.2). Later kinds add a scan
function to SCANS and a sentence to KIND_LINES.
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
from django.db import transaction
from django.db.models import F, prefetch_related_objects
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from certbody.models import Reminder, ReminderKind
from certbody.policy import policy

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
def recipient_ids(*perms: str) -> list[int]:
    """Active staff users (or superusers) with an email address holding any of ``perms``."""
    users = get_user_model().objects
    ids = set()
    for perm in perms:
        ids.update(
            users.with_perm(perm, is_active=True, include_superusers=True)
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

    due = (
        Certification.objects.active()
        .filter(
            next_surveillance_due__gte=today,
            next_surveillance_due__lte=today + datetime.timedelta(days=max(leads, default=0)),
        )
        .order_by("pk")
        .values_list("pk", "next_surveillance_due")
    )
    result.created[ReminderKind.SURVEILLANCE_DUE] = _write(
        ReminderKind.SURVEILLANCE_DUE,
        Certification,
        due.iterator(chunk_size=CHUNK) if leads else iter(()),
        recipient_ids(MANAGE),
        lead=reached,
    )
    # Overdue on ``today``: due date + grace < today.
    grace = datetime.timedelta(days=policy("SURVEILLANCE_OVERDUE_GRACE_DAYS"))
    overdue = (
        Certification.objects.surveillance_overdue(on=today - grace)
        .order_by("pk")
        .values_list("pk", "next_surveillance_due")
    )
    result.created[ReminderKind.SURVEILLANCE_OVERDUE] = _write(
        ReminderKind.SURVEILLANCE_OVERDUE,
        Certification,
        overdue.iterator(chunk_size=CHUNK),
        recipient_ids(MANAGE, DECIDE),
    )
    return result


SCANS = [scan_surveillance]


def scan_all(*, today: datetime.date, enqueue: bool = True) -> ScanResult:
    """Run every scan for ``today`` in one transaction; with ``enqueue``, queue the sending
    once the rows are committed."""
    result = ScanResult()
    with transaction.atomic():
        for scan in SCANS:
            result.created.update(scan(today=today).created)
        if enqueue:
            transaction.on_commit(enqueue_send)
    return result


def enqueue_send() -> None:
    """Queue the sender. The reminders are already committed: if the broker is down they wait
    for the next send run instead of being lost."""
    from certbody.tasks import send_reminders

    try:
        send_reminders.delay()
    except Exception as err:  # kombu raises OperationalError and others; none must escape
        logger.error(
            "Could not queue sending of reminders (broker unavailable?): %s. The reminders are "
            "saved and go out with the next send run.",
            err,
        )


# -- the digest -----------------------------------------------------------------------------------
KIND_LINES = {
    ReminderKind.SURVEILLANCE_DUE: lambda r: (
        _("Surveillance due by %(due)s: plan it and confirm the dates with the client.")
        % {"due": r.due_date.isoformat()}
    ),
    ReminderKind.SURVEILLANCE_OVERDUE: lambda r: (
        _(
            "Surveillance was due by %(due)s and has not been held: the decision makers must "
            "consider suspending the certification."
        )
        % {"due": r.due_date.isoformat()}
    ),
}


def admin_path(reminder: Reminder) -> str:
    """The subject's admin change page."""
    ct = reminder.content_type
    return reverse(f"admin:{ct.app_label}_{ct.model}_change", args=[reminder.object_id])


def admin_url(reminder: Reminder) -> str:
    """Absolute link to the subject's admin change page (PUBLIC_BASE_URL + path), for mail."""
    return policy("PUBLIC_BASE_URL").rstrip("/") + admin_path(reminder)


def _subject_label(reminder: Reminder) -> str:
    subject = reminder.subject
    if subject is None:
        return _("(deleted record #%(id)d)") % {"id": reminder.object_id}
    number = getattr(subject, "certificate_number", "")
    return f"{subject} ({number})" if number else str(subject)


@dataclass
class Digest:
    recipient: object
    subject: str
    body: str
    reminders: list


def digest_for(recipient, reminders: list[Reminder], *, today: datetime.date) -> Digest:
    """The daily mail to one recipient, plain text, in the default language (users have no
    language of their own in certbody)."""
    with translation.override(settings.LANGUAGE_CODE):
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
                    f"  {KIND_LINES[kind](reminder)}",
                    f"  {admin_url(reminder)}",
                ]
        lines += [
            "",
            _("Acknowledge reminders in the admin: %(url)s")
            % {
                "url": policy("PUBLIC_BASE_URL").rstrip("/")
                + reverse("admin:certbody_reminder_changelist")
            },
        ]
    return Digest(recipient=recipient, subject=subject, body="\n".join(lines), reminders=reminders)


def _load(reminders):
    """Fetch subjects in one query per subject type (certifications with what they print)."""
    from certificates.models import Certification

    prefetch_related_objects(
        reminders,
        GenericPrefetch("subject", [Certification.objects.select_related("client", "standard")]),
    )
    return reminders


def pending_digests(*, today: datetime.date) -> list[Digest]:
    """What the sender would mail now (read only): one digest per recipient of unsent
    reminders."""
    reminders = list(
        Reminder.objects.unsent()
        .select_related("recipient", "content_type")
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


def send_due_reminders(*, today: datetime.date, now: datetime.datetime | None = None) -> SendResult:
    """Mail every unsent reminder, one digest per recipient.

    Per recipient, in one transaction: lock that recipient's unsent rows (skip_locked: a
    concurrent sender takes the others or nothing), send, and mark them sent. A failed send
    records the attempt and the error and leaves them unsent for the next run. The only window
    for a duplicate is a crash between the mail server accepting the mail and the commit.
    """
    now = now or timezone.now()
    result = SendResult()
    recipients = (
        Reminder.objects.unsent()
        .order_by("recipient_id")
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    for recipient_id in list(recipients):
        with transaction.atomic():
            reminders = list(
                Reminder.objects.unsent()
                .filter(recipient_id=recipient_id)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("recipient", "content_type")
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
