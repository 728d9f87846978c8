"""The workspace's certification and application lists: filters, their most useful order and
what each row shows, read in a number of queries that does not grow with the data.

Filters and orders follow the indexes of 1,350,000 certifications: the state with a date
(``certification_state_surveil``, ``_state_expiry``, ``_state_susp``: state, date, id), or the
date alone (``next_surveillance_due``, ``expiry_date``). A date without a state narrows to the
state where that date means something (a suspension deadline only on suspended
certifications, a restoration window only on expired ones), so the index always serves it.
The caller pages the result with infra.paging.window (no count).
"""

import datetime
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from clients.models import Application
from clients.selectors.worklist import (
    conditions_failing,
    documents_missing,
    intake_may_be_complete,
)
from core.dates import add_months
from core.need_to_know import visible
from core.policy import policy

from ..models import Certification, State
from . import worklist

# Which date a certification list is about (``date=``), and the column holding it.
SURVEILLANCE, EXPIRY, SUSPENSION, RESTORATION = (
    "surveillance",
    "expiry",
    "suspension",
    "restoration",
)
DATE_COLUMNS = {
    SURVEILLANCE: "next_surveillance_due",
    EXPIRY: "expiry_date",
    SUSPENSION: "suspension_deadline",
    RESTORATION: "expiry_date",  # the window ends RESTORATION_WINDOW_MONTHS after expiry
}
# The states a date implies when the list names none: a suspension deadline and a restoration
# window exist only in one state; a surveillance or an expiry is "due" only while the
# certificate is valid (a suspended certificate keeps its surveillance date, but it is not due).
DATE_STATES = {SUSPENSION: (State.SUSPENDED,), RESTORATION: (State.EXPIRED,)}
DUE_STATES = {SURVEILLANCE: (State.ACTIVE,), EXPIRY: (State.ACTIVE, State.SUSPENDED)}

# The home page's worklists a certification list can be narrowed to (``worklist.py``: the same
# definitions as the counts on the home page, so the count and the list agree).
WORKLISTS = {
    "surveillance_overdue": worklist.surveillance_overdue,
    "surveillance_soon": worklist.surveillance_due_soon,
    "recertification_to_plan": worklist.recertification_to_plan,
    "suspension_passed": worklist.suspension_passed,
    "suspension_near": worklist.suspension_near,
    "suspension_due": worklist.suspension_due,
    "restorable": worklist.restorable,
}

# Orders of the certification list (``sort=``).
BY_DATE, NEWEST, BY_NUMBER = "date", "newest", "number"

OPEN_APPLICATION_STATES = (State.APPLIED, State.UNDER_REVIEW)
# An application accepted once: whatever became of its certification afterwards.
ACCEPTED_STATES = tuple(s for s in State if s not in (*OPEN_APPLICATION_STATES, State.REJECTED))

# Application status (``status=``).
OPEN, ACCEPTED, REJECTED, ALL = "open", "accepted", "rejected", "all"
COMPLETE, INCOMPLETE = "complete", "incomplete"


def _shift(day, months):
    return None if day is None else add_months(day, months)


def certification_list(
    queryset: QuerySet,
    *,
    states=(),
    standard=None,
    client=None,
    decision_maker=None,
    date: str = SURVEILLANCE,
    between: tuple[datetime.date | None, datetime.date | None] | None = None,
    clients: QuerySet | None = None,
    number_hit: Certification | None = None,
    worklists=(),
    today: datetime.date | None = None,
    sort: str = BY_DATE,
) -> QuerySet:
    """The certifications of ``queryset`` (already narrowed by ``visible``) in ``states``, of
    ``standard`` and ``client``, designated to ``decision_maker``, whose ``date`` falls in
    ``between`` (from, to; either may be None), of ``clients`` (a subquery of client ids, the
    text filter) or the ``number_hit``, ordered by ``sort``: the date soonest first (the most
    urgent: overdue ones lead), newest first, or by certificate number."""
    date = date if date in DATE_COLUMNS else SURVEILLANCE
    column = DATE_COLUMNS[date]
    states = tuple(states) or DATE_STATES.get(date, ())
    if not states and between is not None:
        states = DUE_STATES.get(date, ())
    rows = queryset
    if states:
        rows = rows.filter(state__in=states)
    if standard is not None:
        rows = rows.filter(standard=standard)
    if client is not None:
        rows = rows.filter(client=client)
    if decision_maker is not None:
        rows = rows.filter(decision_maker=decision_maker)
    if between is not None:
        lo, hi = between
        if date == RESTORATION:
            months = -policy("RESTORATION_WINDOW_MONTHS")
            lo, hi = _shift(lo, months), _shift(hi, months)
        if lo is not None:
            rows = rows.filter(**{f"{column}__gte": lo})
        if hi is not None:
            rows = rows.filter(**{f"{column}__lte": hi})
        if lo is None and hi is None:
            rows = rows.filter(**{f"{column}__isnull": False})
    if clients is not None:
        text = Q(client__in=clients)
        if number_hit is not None:
            text |= Q(pk=number_hit.pk)
        rows = rows.filter(text)
    for name in worklists:
        if name in WORKLISTS and today is not None:
            rows = WORKLISTS[name](rows, on=today)
    if sort == NEWEST:
        order = ["-pk"]
    elif sort == BY_NUMBER:
        # Those without a number yet (applications, stages) have nothing to sort by. The
        # number alone (numbers are unique in practice): its index gives the order. "> ''"
        # rather than "<> ''": a range the index starts after the empty numbers, instead of
        # walking past every certification without one (611 ms -> 1 ms at 740 k, perf.md).
        rows = rows.filter(certificate_number__gt="")
        order = ["certificate_number"]
    elif clients is not None:
        # A few clients' certifications (the text filter): read through the client index and
        # sorted, never by walking the date index of a million rows hoping to meet them (the
        # planner would, for LIMIT 51). Coalesce hides the column from the date index.
        order = [Coalesce(F(column), Value(datetime.date.max)), "pk"]
    else:
        order = [F(column).asc(nulls_last=True), "pk"]
    return rows.select_related("client", "standard", "decision_maker").order_by(*order)


@dataclass(frozen=True)
class NextDate:
    """What comes next for a certification: a label, the day and how urgent it is."""

    label: str
    day: datetime.date
    tone: str  # "bad" (passed), "warn" (within 30 days) or ""


def next_date(certification: Certification, *, today: datetime.date) -> NextDate | None:
    """The next date that matters in the certification's state: the next surveillance (or
    the expiry when no surveillance is left) while active, the suspension deadline while
    suspended, the end of the restoration window once expired; None otherwise."""
    c = certification
    if c.state == State.ACTIVE:
        if c.next_surveillance_due and (
            not c.expiry_date or c.next_surveillance_due <= c.expiry_date
        ):
            label, day = _("Surveillance due"), c.next_surveillance_due
        elif c.expiry_date:
            label, day = _("Expires"), c.expiry_date
        else:
            return None
    elif c.state == State.SUSPENDED and c.suspension_deadline:
        label, day = _("Suspension deadline"), c.suspension_deadline
    elif c.state == State.EXPIRED and c.expiry_date:
        label = _("Restoration possible until")
        day = add_months(c.expiry_date, policy("RESTORATION_WINDOW_MONTHS"))
    else:
        return None
    if day < today:
        tone = "bad"
    elif day <= today + datetime.timedelta(days=30):
        tone = "warn"
    else:
        tone = ""
    return NextDate(str(label), day, tone)


# -- Applications ----------------------------------------------------------------------------


def _certifications_in(*states):
    return Certification.objects.filter(application=OuterRef("pk"), state__in=states)


def application_list(
    queryset: QuerySet,
    *,
    status: str = OPEN,
    intake: str | None = None,
    standard=None,
    client=None,
    clients: QuerySet | None = None,
    user=None,
) -> QuerySet:
    """The applications of ``queryset`` (narrowed by ``visible``) by ``status`` (open: a
    certification of it applied or under review; accepted: accepted once, whatever followed;
    rejected: rejected and nothing else open or accepted), ``intake`` (complete/incomplete:
    every intake condition but the credit code's check characters, and every document),
    ``standard``, ``client`` and ``clients`` (the text filter). Open ones the longest waiting
    first, the others the latest first, both by the order they were recorded in (the primary
    key: walked in order, the page stops after its rows; no index on the received date
    orders a million applications, and the intake filter is judged only on the rows read). Each row
    carries its certifications (prefetched, with their standard) and what its intake needs
    (documents, checklists, penalties: prefetched). With ``user``, only the certifications
    that user may see are prefetched (the status tag is read from them: an auditor's tag
    never tells the state of a certification of an audit they are not on)."""
    rows = queryset
    certifications = Certification.objects.all()
    if user is not None:
        certifications = visible(certifications, user)
    if status == OPEN:
        # From the few certifications in review (the state-led indexes), not from every
        # application: a semi-join on their application ids.
        in_review = Certification.objects.filter(state__in=OPEN_APPLICATION_STATES)
        rows = rows.filter(pk__in=in_review.values("application_id"))
    elif status == ACCEPTED:
        rows = rows.filter(Exists(_certifications_in(*ACCEPTED_STATES)))
    elif status == REJECTED:
        rows = rows.filter(Exists(_certifications_in(State.REJECTED))).exclude(
            Exists(_certifications_in(*OPEN_APPLICATION_STATES, *ACCEPTED_STATES))
        )
    if intake in (COMPLETE, INCOMPLETE):
        # The home page's definition (clients.selectors.worklist), so its count and this list
        # agree: a condition failing or a document of one of its standards missing.
        incomplete = conditions_failing() | Q(documents_missing())
        if intake == COMPLETE:
            rows = rows.filter(intake_may_be_complete()).exclude(incomplete)
        else:
            rows = rows.filter(incomplete)
    if standard is not None:
        rows = rows.filter(standards=standard)
    if client is not None:
        rows = rows.filter(client=client)
    if clients is not None:
        rows = rows.filter(client__in=clients)
    return (
        rows.select_related("client")
        .prefetch_related(
            "standards__required_documents",
            "documents",
            "client__penalties",
            Prefetch(
                "certifications",
                queryset=certifications.select_related("standard").order_by("pk"),
            ),
        )
        .order_by("pk" if status == OPEN else "-pk")
    )


@dataclass(frozen=True)
class ApplicationStatus:
    """An application row's status and intake: ``status`` (open/accepted/rejected/""),
    ``missing`` per standard (the intake problems' count, for open applications only)."""

    status: str
    label: str
    tone: str
    missing: list[tuple[object, int]]

    @property
    def intake_complete(self) -> bool | None:
        if not self.missing:
            return None
        return all(count == 0 for _standard, count in self.missing)

    @property
    def missing_total(self) -> int:
        return sum(count for _standard, count in self.missing)


STATUS_LABELS = {
    OPEN: (_("Open"), "warn"),
    ACCEPTED: (_("Accepted"), "ok"),
    REJECTED: (_("Rejected"), "bad"),
}


def application_status(application: Application) -> ApplicationStatus:
    """The status of a row of ``application_list`` and, while open, how many intake problems
    stand between each of its standards and acceptance (Application.intake_problems)."""
    states = {c.state for c in application.certifications.all()}
    if states & set(OPEN_APPLICATION_STATES):
        status = OPEN
    elif states & set(ACCEPTED_STATES):
        status = ACCEPTED
    elif State.REJECTED in states:
        status = REJECTED
    else:
        status = ""
    missing = []
    if status == OPEN:
        open_standards = {
            c.standard_id
            for c in application.certifications.all()
            if c.state in OPEN_APPLICATION_STATES
        }
        for standard in application.standards.all():
            if standard.pk in open_standards:
                missing.append((standard, len(application.intake_problems(standard=standard))))
    label, tone = STATUS_LABELS.get(status, ("", ""))
    return ApplicationStatus(status, str(label), tone, missing)
