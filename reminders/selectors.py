"""A person's own reminders, for the workspace's reminders page and the home page's count:
the most urgent first (the oldest due date: an overdue deadline before one still ahead), not
the admin's latest-first order."""

import datetime

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from .digests import kind_line, load_subjects
from .models import ESCALATIONS, Reminder, ReminderKind
from .registry import subject_label

SHOW_OPEN = "open"
SHOW_ACKNOWLEDGED = "acknowledged"
SHOW_ALL = "all"
SHOWS = (SHOW_OPEN, SHOW_ACKNOWLEDGED, SHOW_ALL)


def reminders_of(user, *, show: str = SHOW_OPEN, kind: str = "") -> QuerySet:
    """The reminders addressed to ``user``: open ones (nobody acknowledged them yet),
    acknowledged ones or all; of one ``kind`` when given. Most urgent first: the earliest due
    date, then the shortest lead time (the latest reminder of the same deadline)."""
    if user is None or user.pk is None:
        return Reminder.objects.none()
    rows = Reminder.objects.filter(recipient_id=user.pk)
    if show == SHOW_OPEN:
        rows = rows.open()
    elif show == SHOW_ACKNOWLEDGED:
        rows = rows.filter(acknowledged_at__isnull=False)
    if kind in ReminderKind.values:
        rows = rows.filter(kind=kind)
    return rows.select_related("content_type", "acknowledged_by").order_by(
        "due_date", "lead_days", "pk"
    )


def overdue(rows: QuerySet, *, on: datetime.date) -> QuerySet:
    """Of ``rows``, the reminders whose due date has passed."""
    return rows.filter(due_date__lt=on)


def is_escalation(reminder: Reminder) -> bool:
    """A deadline passed or a decision asked for (the admin's "escalations")."""
    return reminder.kind in ESCALATIONS


def with_subjects(reminders: list[Reminder]) -> list[Reminder]:
    """Load the subjects of ``reminders`` (a list): one query per subject type."""
    return load_subjects(reminders)


def subject_text(reminder: Reminder) -> str:
    """How the reminder names its subject (the digest's label: registry.subject_label)."""
    subject = reminder.subject
    if subject is None:
        return _("(deleted record #%(id)d)") % {"id": reminder.object_id}
    return subject_label(reminder.content_type, subject)


def sentence(reminder: Reminder) -> str:
    """What the reminder asks, with its due date (the digest's sentence of its kind)."""
    return kind_line(reminder)
