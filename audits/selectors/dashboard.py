"""The dashboard's figures about audits and auditors, aggregated in the database.

Plain values only (dates, numbers, ids and names), no labels: the page translates, and the
figures can be cached. Every query is bounded by a window of dates given by the caller, so
what it reads grows with the window, not with the history.

Vocabulary:
- a surveillance is **due** in the month of its ``due_by`` (the programme's deadline) and
  **held** in the month its team started on site (``actual_start``), as the reminders see it
  (a surveillance under way is not overdue);
- it is **overdue** at the end of a month when its due date has passed and it was neither
  started nor cancelled by then (a cancelled audit stops counting from its cancellation day,
  ``state_since``);
- audit days are the audits' calculated audit time (auditor-days): **planned** in the month
  of the planned start (audits not cancelled), **delivered** in the month of the last day of
  an audit whose report was submitted.
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from core.dates import add_months
from core.names import person_name

from ..models import Audit, AuditKind, AuditState, Booking, BookingKind

# How far before the first month end an overdue surveillance is still looked for: one
# overdue longer than this has long led to suspension and withdrawal (which cancels it).
OVERDUE_LOOKBACK_MONTHS = 24


def _month(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, str):
        value = datetime.date.fromisoformat(value[:10])
    return value.replace(day=1)


def _by_month(rows) -> dict[datetime.date, object]:
    return {_month(month): value for month, value in rows}


def surveillance_due_and_held(months: list[datetime.date]) -> list[dict]:
    """For each month (first days, consecutive): surveillance audits due and held in it.
    [{"month", "due", "held"}]. Two GROUP BY queries on the window."""
    start, end = months[0], add_months(months[-1], 1)
    surveillance = Audit.objects.order_by().filter(kind=AuditKind.SURVEILLANCE)
    due = _by_month(
        surveillance.filter(due_by__gte=start, due_by__lt=end)
        .exclude(state=AuditState.CANCELLED)
        .annotate(month=TruncMonth("due_by"))
        .values_list("month")
        .annotate(n=Count("pk"))
    )
    held = _by_month(
        surveillance.filter(actual_start__gte=start, actual_start__lt=end)
        .annotate(month=TruncMonth("actual_start"))
        .values_list("month")
        .annotate(n=Count("pk"))
    )
    return [{"month": m, "due": due.get(m, 0), "held": held.get(m, 0)} for m in months]


def surveillance_overdue_at(ends: list[datetime.date]) -> list[dict]:
    """For each day of ``ends`` (e.g. the last day of each month): surveillance audits overdue
    at the end of that day. [{"day", "overdue"}]. One query, one conditional count per day."""
    if not ends:
        return []
    lookback = add_months(min(ends), -OVERDUE_LOOKBACK_MONTHS)
    qs = Audit.objects.order_by().filter(
        kind=AuditKind.SURVEILLANCE, due_by__gte=lookback, due_by__lt=max(ends)
    )

    def overdue_on(day):
        return (
            Q(due_by__lt=day)
            & (Q(actual_start__isnull=True) | Q(actual_start__gt=day))
            & ~Q(state=AuditState.CANCELLED, state_since__lte=day)
        )

    counts = qs.aggregate(
        **{f"d{i}": Count("pk", filter=overdue_on(day)) for i, day in enumerate(ends)}
    )
    return [{"day": day, "overdue": counts[f"d{i}"] or 0} for i, day in enumerate(ends)]


def audit_days_per_month(months: list[datetime.date]) -> list[dict]:
    """For each month: auditor-days planned (audits not cancelled, by planned start) and
    delivered (report submitted or closed, by last day). [{"month", "planned",
    "delivered"}], Decimals. Two GROUP BY queries on the window."""
    start, end = months[0], add_months(months[-1], 1)
    audits = Audit.objects.order_by()
    planned = _by_month(
        audits.filter(planned_start__gte=start, planned_start__lt=end)
        .exclude(state=AuditState.CANCELLED)
        .annotate(month=TruncMonth("planned_start"))
        .values_list("month")
        .annotate(days=Sum("audit_days"))
    )
    delivered = _by_month(
        audits.filter(
            actual_end__gte=start,
            actual_end__lt=end,
            state__in=[AuditState.REPORT_SUBMITTED, AuditState.CLOSED],
        )
        .annotate(month=TruncMonth("actual_end"))
        .values_list("month")
        .annotate(days=Sum("audit_days"))
    )
    zero = Decimal(0)
    return [
        {
            "month": m,
            "planned": Decimal(planned.get(m) or zero),
            "delivered": Decimal(delivered.get(m) or zero),
        }
        for m in months
    ]


def auditor_workload(*, first_monday: datetime.date, weeks: int) -> list[dict]:
    """Days each auditor is booked on audits (not cancelled) in each of ``weeks`` weeks from
    ``first_monday``: [{"auditor_id", "name", "weeks": [days, ...], "total"}], busiest first.
    An auditor has at most one booking a day, so the rows read are bounded by auditors x days,
    whatever the size of the history."""
    end = first_monday + datetime.timedelta(weeks=weeks)
    bookings = (
        Booking.objects.filter(kind=BookingKind.AUDIT, starts_on__lt=end, ends_on__gte=first_monday)
        .exclude(audit__state=AuditState.CANCELLED)
        .select_related("auditor")
        .only("auditor", "starts_on", "ends_on")
    )
    per_auditor: dict[int, list[int]] = defaultdict(lambda: [0] * weeks)
    people = {}
    for booking in bookings:
        people[booking.auditor_id] = booking.auditor
        day = max(booking.starts_on, first_monday)
        last = min(booking.ends_on, end - datetime.timedelta(days=1))
        while day <= last:
            per_auditor[booking.auditor_id][(day - first_monday).days // 7] += 1
            day += datetime.timedelta(days=1)
    rows = [
        {
            "auditor_id": pk,
            "name": person_name(people[pk]),
            "weeks": days,
            "total": sum(days),
        }
        for pk, days in per_auditor.items()
    ]
    rows.sort(key=lambda r: (-r["total"], r["name"]))
    return rows
