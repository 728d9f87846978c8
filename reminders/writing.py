"""What the scans write reminders with: ``write`` and ``write_each`` store one Reminder per
(subject, due date, lead time, recipient) that does not exist yet, a fixed number of queries
per CHUNK subjects; ``dated``, ``stream`` and ``keyset_chunks`` read the subjects CHUNK rows at
a time, so memory stays flat whatever the table size; ``months_after`` and ``month_bounds``
turn a policy's months into due dates.

The unique constraint on Reminder is what makes a scan idempotent: running it twice, two scans
at once, or a retry after a crash writes nothing twice.
"""

import datetime
import itertools

from django.contrib.contenttypes.models import ContentType

from core.dates import add_months
from reminders.models import Reminder

# Rows read (and reminders written) per round trip: memory stays flat whatever the table size.
CHUNK = 1000


def _batched(iterable, size):
    """itertools.batched (Python 3.12) for 3.11."""
    iterator = iter(iterable)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def stream(queryset):
    """The rows of ``queryset``, CHUNK per query (a server-side cursor on PostgreSQL)."""
    return queryset.iterator(chunk_size=CHUNK)


def dated(queryset, field: str):
    """(pk, ``field``) of every row, streamed in pk order, CHUNK rows per query: what the
    scans hand to ``write``."""
    return stream(queryset.order_by("pk").values_list("pk", field))


def keyset_chunks(queryset, *fields: str):
    """Lists of (pk, *``fields``) of every row, CHUNK at a time in pk order, each read by its
    own query once the caller is done with the previous one (keyset paging): for scans that
    change the rows they read."""
    last = 0
    while chunk := list(
        queryset.filter(pk__gt=last).order_by("pk").values_list("pk", *fields)[:CHUNK]
    ):
        yield chunk
        last = chunk[-1][0]


def write(kind: str, model, subjects, recipients: list[int], *, lead=None) -> int:
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


def write_each(kind: str, model, rows, *, lead=None) -> int:
    """Like ``write``, for reminders whose recipients depend on the subject (an audit's
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


def months_after(rows, months: int, first: datetime.date, last: datetime.date):
    """(pk, date + ``months``) for each (pk, date) of ``rows`` whose date + ``months`` falls
    between ``first`` and ``last``. add_months clamps to the month's end, so a query selects
    by date -/+ a few days (``month_bounds``) and this keeps the exact ones, still streaming."""
    for pk, day in rows:
        moved = add_months(day, months)
        if first <= moved <= last:
            yield pk, moved


def month_bounds(months: int, first: datetime.date, last: datetime.date):
    """Dates ``day`` with ``first <= add_months(day, months) <= last`` all lie within the
    returned range (month-end clamping moves a date by at most 3 days)."""
    slack = datetime.timedelta(days=3)
    return add_months(first, -months) - slack, add_months(last, -months) + slack
