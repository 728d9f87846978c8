"""What needs someone now, among certifications and applications: the home page's worklists
(workspace/views/home.py) and the filters of the lists it links to (``?due=overdue`` ...).

Each function takes a queryset (all rows when None) and the day it is judged on, and returns
the rows in the order they are most urgent. The deadlines are the domain's own
(CertificationQuerySet's vocabulary, the policy settings the reminder scans of
certificates/reminders.py use), computed live from the data: the Reminder rows are written
only by the 06:00 scan. Every filter is on indexed columns (state with the date it is about:
certification_state_surveil, certification_state_expiry, certification_state_susp), so the
page asks for the first rows and a bounded count, whatever the table size.
"""

import datetime

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)

from audits.models import Audit, AuditKind, AuditState
from clients.models import Application
from clients.selectors.worklist import (
    conditions_failing,
    documents_missing,
    documents_missing_count,
)
from core.dates import add_months
from core.policy import policy

from ..models import Certification, State

REVIEW_STATES = (State.APPLIED, State.UNDER_REVIEW)


def _rows(qs: QuerySet | None) -> QuerySet:
    qs = Certification.objects.all() if qs is None else qs
    return qs.select_related("client", "standard")


def first_day_with(months: int, on: datetime.date) -> datetime.date:
    """The first day ``d`` with ``add_months(d, months) >= on`` (add_months never decreases
    as ``d`` grows, so every later day qualifies too): turns "within N months of a date
    column" into a plain comparison of the column, which an index serves."""
    day = add_months(on, -months) - datetime.timedelta(days=4)
    while add_months(day, months) < on:
        day += datetime.timedelta(days=1)
    return day


def last_day_with(months: int, on: datetime.date) -> datetime.date:
    """The last day ``d`` with ``add_months(d, months) <= on``."""
    day = add_months(on, -months) + datetime.timedelta(days=4)
    while add_months(day, months) > on:
        day -= datetime.timedelta(days=1)
    return day


# -- Staff ---------------------------------------------------------------------------------------


def to_review(qs: QuerySet | None = None) -> QuerySet:
    """Applications received and not yet accepted or rejected (one row per certification
    applied for: application_submit opens them with their application), the longest waiting
    first. "Longest waiting" is the order the applications were recorded in (their id, whose
    index the query walks), not their received date: sorting tens of thousands of rows in
    review by a column of another table costs more than the whole page may."""
    return (
        _rows(qs)
        .filter(state__in=REVIEW_STATES)
        .select_related("application")
        .order_by("application_id", "pk")
    )


def intake_incomplete(qs: QuerySet | None = None) -> QuerySet:
    """Of ``to_review``: a document of the standard not received or an intake condition
    failing (clients.selectors.worklist; Application.intake_problems in words)."""
    return to_review(qs).filter(
        conditions_failing("application__")
        | Q(documents_missing(application="application_id", standard="standard_id"))
    )


def with_intake_facts(qs: QuerySet) -> QuerySet:
    """``qs`` (from ``to_review``) with ``missing_count`` (documents of the standard not
    received) and ``conditions_fail`` (an intake condition fails), for the page to say why."""
    return qs.annotate(
        missing_count=documents_missing_count(application="application_id", standard="standard_id"),
        conditions_fail=Case(
            When(conditions_failing("application__"), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )


def applications_to_review(applications: QuerySet | None = None) -> QuerySet:
    """The applications (an Application queryset) with a certification still in review."""
    applications = Application.objects.all() if applications is None else applications
    reviewing = Certification.objects.filter(application=OuterRef("pk"), state__in=REVIEW_STATES)
    return applications.filter(Exists(reviewing))


def surveillance_grace() -> datetime.timedelta:
    return datetime.timedelta(days=policy("SURVEILLANCE_OVERDUE_GRACE_DAYS"))


def surveillance_lead_days() -> int:
    """How far ahead a surveillance is "coming due": the longest reminder lead time."""
    return max((int(d) for d in policy("REMINDER_SURVEILLANCE_DUE_DAYS")), default=90)


def surveillance_overdue(qs: QuerySet | None = None, *, on: datetime.date) -> QuerySet:
    """Active certifications whose surveillance was due more than the grace days ago and is not
    being held (CertificationQuerySet.surveillance_not_held, as the daily scan reads it), the
    most overdue first."""
    return (
        _rows(qs)
        .surveillance_not_held(on=on - surveillance_grace())
        .order_by("next_surveillance_due", "pk")
    )


def surveillance_due_soon(qs: QuerySet | None = None, *, on: datetime.date) -> QuerySet:
    """Active certifications whose next surveillance is due within the longest reminder lead
    time (REMINDER_SURVEILLANCE_DUE_DAYS) and not yet overdue, soonest first
    (``mark_surveillance_planned`` says of the rows read whether it is planned)."""
    return (
        _rows(qs)
        .active()
        .filter(
            next_surveillance_due__gte=on - surveillance_grace(),
            next_surveillance_due__lte=on + datetime.timedelta(days=surveillance_lead_days()),
        )
        .order_by("next_surveillance_due", "pk")
    )


def mark_surveillance_planned(rows: list[Certification]) -> list[Certification]:
    """Sets ``planned`` on each certification of ``rows``: a surveillance audit of its current
    cycle is planned or under way. One query for the rows read (an index probe each): as an
    annotation of the list, PostgreSQL costs the subquery for every row the list could hold
    and hashes every open surveillance audit for the 10 rows shown (90 ms at 200 k
    certifications, perf.md)."""
    keys = set(
        Audit.objects.filter(
            certification_id__in=[c.pk for c in rows],
            kind=AuditKind.SURVEILLANCE,
            state__in=[AuditState.PLANNED, AuditState.IN_PROGRESS, AuditState.REPORT_SUBMITTED],
        ).values_list("certification_id", "cycle")
    )
    for c in rows:
        c.planned = (c.pk, c.cycle) in keys
    return rows


def recertification_to_plan(qs: QuerySet | None = None, *, on: datetime.date) -> QuerySet:
    """Active certifications inside the recertification planning period
    (RECERTIFICATION_PLANNING_MONTHS before expiry, as the daily scan) with no recertification
    audit of the current cycle planned or held, soonest expiry first."""
    months = policy("RECERTIFICATION_PLANNING_MONTHS")
    recertification = Audit.objects.live().filter(
        certification=OuterRef("pk"), cycle=OuterRef("cycle"), kind=AuditKind.RECERTIFICATION
    )
    return (
        _rows(qs)
        .active()
        .filter(expiry_date__gte=on, expiry_date__lte=last_day_with(-months, on))
        .exclude(Exists(recertification))
        .order_by("expiry_date", "pk")
    )


# -- Suspensions, restorations, decisions (decision makers; staff follow them up) ----------------


def suspension_passed(qs: QuerySet | None = None, *, on: datetime.date) -> QuerySet:
    """Suspended past the suspension deadline: withdraw or reduce the scope, the oldest
    deadline first."""
    return _rows(qs).suspension_deadline_passed(on=on).order_by("suspension_deadline", "pk")


def suspension_due(qs: QuerySet | None = None, *, on: datetime.date) -> QuerySet:
    """Suspended with the deadline passed or within REMINDER_SUSPENSION_DEADLINE_DAYS (what
    staff follow the client up on), the oldest deadline first."""
    days = policy("REMINDER_SUSPENSION_DEADLINE_DAYS")
    return (
        _rows(qs)
        .filter(
            state=State.SUSPENDED,
            suspension_deadline__lte=on + datetime.timedelta(days=days),
        )
        .order_by("suspension_deadline", "pk")
    )


def suspension_near(qs: QuerySet | None = None, *, on: datetime.date) -> QuerySet:
    """Suspended, with the deadline within REMINDER_SUSPENSION_DEADLINE_DAYS, soonest first."""
    days = policy("REMINDER_SUSPENSION_DEADLINE_DAYS")
    return (
        _rows(qs).suspension_deadline_within(days=days, on=on).order_by("suspension_deadline", "pk")
    )


def restorable(qs: QuerySet | None = None, *, on: datetime.date) -> QuerySet:
    """Expired by the dates (recorded or not: CertificationQuerySet.expired_as_of) and still
    restorable: the restoration window (RESTORATION_WINDOW_MONTHS after expiry,
    Certification.restoration_window_end) has not closed. The window closing soonest first."""
    window = policy("RESTORATION_WINDOW_MONTHS")
    return (
        _rows(qs)
        .expired_as_of(on=on)
        .filter(expiry_date__gte=first_day_with(window, on))
        .order_by("expiry_date", "pk")
    )


def restoration_closing_days() -> int:
    """Within this many days of its end a restoration window is "closing" (as its reminder)."""
    return policy("REMINDER_RESTORATION_WINDOW_DAYS")


def assigned_to(qs: QuerySet, user) -> QuerySet:
    """Of ``qs``, the certifications whose designated decision maker is ``user`` (the files
    assigned to them: a decision maker sees these first)."""
    return qs.filter(decision_maker_id=getattr(user, "pk", None) or 0)
