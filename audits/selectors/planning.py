"""Reads of the planning board (workspace:planning): auditors by week, the audits booked in
each week (tentative or confirmed), their leave and other bookings, and the audits that need
staffing or are late. Every query is bounded by the weeks shown (bookings and audits whose
days touch them; overdue audits from a bounded look-back), never a scan of all audits."""

import datetime
from dataclasses import dataclass, field

from django.db.models import F, Q

from core.names import person_name

from ..models import Audit, AuditState, Booking, BookingKind
from .audit_page import auditor_users, by_name

DEFAULT_WEEKS = 8
MAX_WEEKS = 26
# How far back an audit past its deadline is still listed as late (weeks before the board's
# first week): the board is for what to do now, the audit list has the rest.
LATE_LOOKBACK_WEEKS = 26
# The most audits listed as unassigned or late (soonest first); the list says when more exist.
LIST_LIMIT = 100

OPEN_STATES = (AuditState.PLANNED, AuditState.IN_PROGRESS)


def week_start(day: datetime.date) -> datetime.date:
    """The Monday of ``day``'s ISO week."""
    return day - datetime.timedelta(days=day.weekday())


def parse_week(value: str | None) -> datetime.date | None:
    """The Monday of a week written "2026-W50" (an <input type=week>) or of a day written
    "2026-12-07"; None for anything else."""
    value = (value or "").strip()
    try:
        if "-W" in value.upper():
            year, week = value.upper().split("-W")
            return datetime.date.fromisocalendar(int(year), int(week), 1)
        return week_start(datetime.date.fromisoformat(value))
    except ValueError:
        return None


@dataclass
class Week:
    start: datetime.date

    @property
    def end(self) -> datetime.date:
        return self.start + datetime.timedelta(days=6)

    @property
    def iso(self) -> str:
        """ "2026-W50", as an <input type=week> writes it."""
        year, week, _day = self.start.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def number(self) -> int:
        return self.start.isocalendar()[1]

    def touches(self, start: datetime.date, end: datetime.date) -> bool:
        return start <= self.end and end >= self.start


@dataclass
class Slot:
    """One audit or unavailability in one auditor's week."""

    booking: Booking
    audit: Audit | None = None

    @property
    def tentative(self) -> bool:
        return self.audit is not None and not self.audit.dates_confirmed

    @property
    def unavailable(self) -> bool:
        return self.audit is None


@dataclass
class Row:
    """An auditor's line on the board: one list of slots per week."""

    person: object
    home_city: str
    cells: list[list[Slot]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return person_name(self.person)

    @property
    def busy_weeks(self) -> int:
        return sum(1 for cell in self.cells if cell)


@dataclass
class Board:
    weeks: list[Week]
    rows: list[Row]
    # Audits without a team in the weeks shown, one list per week (the board's first line).
    unstaffed_cells: list[list[Audit]]
    unassigned: list[Audit]
    late: list[Audit]
    more_unassigned: bool = False
    more_late: bool = False

    @property
    def first(self) -> datetime.date:
        return self.weeks[0].start

    @property
    def last(self) -> datetime.date:
        return self.weeks[-1].end


def _audits():
    return Audit.objects.select_related(
        "certification__client", "certification__standard", "team_leader"
    )


def planning_board(*, start: datetime.date, weeks: int = DEFAULT_WEEKS, today: datetime.date):
    """The board from the week of ``start`` for ``weeks`` weeks. Five queries whatever the
    data: the auditors, the bookings touching the weeks (with their audits), the unassigned
    audits in the weeks, the late ones."""
    weeks = max(1, min(MAX_WEEKS, weeks))
    first = week_start(start)
    columns = [Week(first + datetime.timedelta(weeks=n)) for n in range(weeks)]
    last = columns[-1].end

    auditors = by_name(auditor_users().select_related("auditor_profile"))
    rows = {
        u.pk: Row(person=u, home_city=u.auditor_profile.home_city, cells=[[] for _ in columns])
        for u in auditors
    }
    bookings = (
        Booking.objects.filter(starts_on__lte=last, ends_on__gte=first)
        .exclude(audit__state=AuditState.CANCELLED)
        .select_related(
            "auditor",
            "audit__certification__client",
            "audit__certification__standard",
        )
        .order_by("starts_on", "pk")
    )
    for booking in bookings:
        row = rows.get(booking.auditor_id)
        if row is None:  # someone booked who is no longer offered (inactive, no profile)
            auditor = booking.auditor
            row = rows[auditor.pk] = Row(person=auditor, home_city="", cells=[[] for _ in columns])
        audit = booking.audit if booking.kind == BookingKind.AUDIT else None
        for n, week in enumerate(columns):
            if week.touches(booking.starts_on, booking.ends_on):
                row.cells[n].append(Slot(booking=booking, audit=audit))

    in_weeks = Q(planned_start__lte=last, planned_end__gte=first)
    unassigned = list(
        _audits()
        .filter(state=AuditState.PLANNED, team_leader__isnull=True)
        .filter(in_weeks | Q(due_by__gte=first, due_by__lte=last))
        .order_by("planned_start", "pk")[: LIST_LIMIT + 1]
    )
    more_unassigned = len(unassigned) > LIST_LIMIT
    unassigned = unassigned[:LIST_LIMIT]
    unstaffed_cells: list[list[Audit]] = [[] for _ in columns]
    for audit in unassigned:
        for n, week in enumerate(columns):
            if week.touches(audit.planned_start, audit.planned_end):
                unstaffed_cells[n].append(audit)

    lookback = first - datetime.timedelta(weeks=LATE_LOOKBACK_WEEKS)
    late = list(
        _audits()
        .filter(state__in=OPEN_STATES, due_by__isnull=False, due_by__gte=lookback)
        .filter(
            # past its deadline and not done, or planned to end after it (in the weeks shown)
            Q(due_by__lt=today) | Q(due_by__lte=last, planned_end__gt=F("due_by"))
        )
        .order_by("due_by", "pk")[: LIST_LIMIT + 1]
    )
    more_late = len(late) > LIST_LIMIT
    late = late[:LIST_LIMIT]
    ordered = sorted(rows.values(), key=lambda r: (r.person.last_name, r.person.first_name))
    return Board(
        weeks=columns,
        rows=ordered,
        unstaffed_cells=unstaffed_cells,
        unassigned=unassigned,
        late=late,
        more_unassigned=more_unassigned,
        more_late=more_late,
    )


def late_reason(audit: Audit, today: datetime.date) -> str:
    """ "overdue" (its deadline passed and it is not done) or "planned_late" (it is planned to
    end after its deadline)."""
    if audit.due_by and audit.due_by < today and audit.state in OPEN_STATES:
        return "overdue"
    return "planned_late"


__all__ = [
    "DEFAULT_WEEKS",
    "LIST_LIMIT",
    "MAX_WEEKS",
    "Board",
    "Row",
    "Slot",
    "Week",
    "late_reason",
    "parse_week",
    "planning_board",
    "week_start",
]
