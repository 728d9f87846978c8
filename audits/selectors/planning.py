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
# The auditors shown on one page of the board (its rows; the bookings read are theirs only, so
# the page costs the same for a body of 20 auditors or 2,000).
AUDITORS_PER_PAGE = 40
# No audit lasts longer than this: an audit in the weeks shown started at most this long before
# them (the index range of the unassigned ones by start).
LONGEST_AUDIT = datetime.timedelta(days=366)
# The most audits listed as unassigned or late (soonest first); the list says when more exist
# and links to the audit list filtered the same way. A planner works the first few dozen; a
# hundred of each, with their buttons, took 240 ms to render (bench/workspace.py).
LIST_LIMIT = 30

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
    # The auditors' rows are shown AUDITORS_PER_PAGE at a time, by name.
    auditor_page: int = 1
    auditors_total: int = 0

    @property
    def first_auditor(self) -> int:
        return (self.auditor_page - 1) * AUDITORS_PER_PAGE + 1 if self.rows else 0

    @property
    def last_auditor(self) -> int:
        return (self.auditor_page - 1) * AUDITORS_PER_PAGE + len(self.rows)

    @property
    def more_auditors(self) -> bool:
        return self.last_auditor < self.auditors_total

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


def _first_rows(audits, order) -> list[Audit]:
    """The first LIST_LIMIT + 1 of ``audits`` in ``order``, with what the board shows of them.
    The ids first, then their rows: joined first, the client, certification and standard of
    every late audit were read before the sort kept a hundred (13,442 joined for 101 shown,
    265 ms at 1,350,000 certifications: bench/workspace.py)."""
    ids = list(audits.order_by(*order).values_list("pk", flat=True)[: LIST_LIMIT + 1])
    return list(_audits().filter(pk__in=ids).order_by(*order))


def planning_board(
    *, start: datetime.date, weeks: int = DEFAULT_WEEKS, today: datetime.date, auditor_page: int = 1
):
    """The board from the week of ``start`` for ``weeks`` weeks. Five queries whatever the
    data: the auditors, the bookings touching the weeks (with their audits), the unassigned
    audits in the weeks, the late ones."""
    weeks = max(1, min(MAX_WEEKS, weeks))
    first = week_start(start)
    columns = [Week(first + datetime.timedelta(weeks=n)) for n in range(weeks)]
    last = columns[-1].end

    everyone = by_name(auditor_users().select_related("auditor_profile"))
    pages = max(1, -(-len(everyone) // AUDITORS_PER_PAGE))
    auditor_page = max(1, min(auditor_page, pages))
    offset = (auditor_page - 1) * AUDITORS_PER_PAGE
    auditors = everyone[offset : offset + AUDITORS_PER_PAGE]
    rows = {
        u.pk: Row(person=u, home_city=u.auditor_profile.home_city, cells=[[] for _ in columns])
        for u in auditors
    }
    bookings = (
        Booking.objects.filter(
            starts_on__lte=last, ends_on__gte=first, auditor_id__in=[u.pk for u in auditors]
        )
        .exclude(audit__state=AuditState.CANCELLED)
        .select_related(
            "auditor",
            "audit__certification__client",
            "audit__certification__standard",
        )
        .order_by("starts_on", "pk")
    )
    for booking in bookings:
        row = rows[booking.auditor_id]
        audit = booking.audit if booking.kind == BookingKind.AUDIT else None
        for n, week in enumerate(columns):
            if week.touches(booking.starts_on, booking.ends_on):
                row.cells[n].append(Slot(booking=booking, audit=audit))

    in_weeks = Q(planned_start__lte=last, planned_end__gte=first)
    # Planned in the weeks, or due in them: two index ranges (by start, by deadline) merged,
    # not one OR that walks every planned audit since the first (134,000 rows read for 101).
    without_team = Audit.objects.filter(state=AuditState.PLANNED, team_leader__isnull=True)
    unassigned = sorted(
        {
            audit.pk: audit
            for part in (
                without_team.filter(in_weeks, planned_start__gte=first - LONGEST_AUDIT),
                without_team.filter(due_by__gte=first, due_by__lte=last),
            )
            for audit in _first_rows(part, ("planned_start", "pk"))
        }.values(),
        key=lambda audit: (audit.planned_start, audit.pk),
    )[: LIST_LIMIT + 1]
    more_unassigned = len(unassigned) > LIST_LIMIT
    unassigned = unassigned[:LIST_LIMIT]
    unstaffed_cells: list[list[Audit]] = [[] for _ in columns]
    for audit in unassigned:
        for n, week in enumerate(columns):
            if week.touches(audit.planned_start, audit.planned_end):
                unstaffed_cells[n].append(audit)

    lookback = first - datetime.timedelta(weeks=LATE_LOOKBACK_WEEKS)
    late = _first_rows(
        Audit.objects.filter(
            state__in=OPEN_STATES, due_by__isnull=False, due_by__gte=lookback
        ).filter(
            # past its deadline and not done, or planned to end after it (in the weeks shown)
            Q(due_by__lt=today) | Q(due_by__lte=last, planned_end__gt=F("due_by"))
        ),
        ("due_by", "pk"),
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
        auditor_page=auditor_page,
        auditors_total=len(everyone),
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
