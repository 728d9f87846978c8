"""The workspace's audit list: filters, the most urgent first, what each row shows, in a
number of queries that does not grow with the data (the caller pages it with
infra.paging.window, no count)."""

import datetime

from django.db.models import F, Q, QuerySet

from ..models import Audit, AuditState

OPEN_STATES = (AuditState.PLANNED, AuditState.IN_PROGRESS, AuditState.REPORT_SUBMITTED)
DONE_STATES = (AuditState.CLOSED, AuditState.CANCELLED)

# Which date ``between`` is about (``date=``).
START, DUE_BY = "start", "due_by"
DATE_COLUMNS = {START: "planned_start", DUE_BY: "due_by"}


def audit_list(
    queryset: QuerySet,
    *,
    states=OPEN_STATES,
    kinds=(),
    team: bool | None = None,
    confirmed: bool | None = None,
    late: bool = False,
    member=None,
    date: str = START,
    between: tuple[datetime.date | None, datetime.date | None] | None = None,
    standard=None,
    client=None,
    certifications: QuerySet | None = None,
    findings: QuerySet | None = None,
    leader=None,
) -> QuerySet:
    """The audits of ``queryset`` (already narrowed by ``visible``) in ``states`` (all when
    empty), of ``kinds``, with a team leader or not (``team``), with dates confirmed or only
    proposed (``confirmed``), planned to end after their deadline (``late``), with
    ``member`` on the team, whose ``date`` falls in ``between`` (from, to; either None), of
    ``standard``, ``client`` and ``certifications`` (a subquery: the text filter), with one
    of ``findings`` (a worklist of audits.selectors.worklist: the home page's finding lines),
    led by ``leader``.

    Order: open audits soonest first (an audit whose planned start has passed leads: it is
    late to start); a list of only closed or cancelled audits latest first."""
    rows = queryset
    if states:
        rows = rows.filter(state__in=states)
    if kinds:
        rows = rows.filter(kind__in=kinds)
    if team is not None:
        rows = rows.filter(team_leader__isnull=not team)
    if confirmed is not None:
        rows = rows.filter(dates_confirmed=confirmed)
    if late:
        rows = rows.filter(due_by__isnull=False, planned_end__gt=F("due_by"))
    if member is not None:
        member_of = Audit.members.through.objects.filter(user_id=member.pk).values("audit_id")
        rows = rows.filter(Q(team_leader_id=member.pk) | Q(pk__in=member_of))
    if between is not None:
        column = DATE_COLUMNS.get(date, DATE_COLUMNS[START])
        lo, hi = between
        if lo is not None:
            rows = rows.filter(**{f"{column}__gte": lo})
        if hi is not None:
            rows = rows.filter(**{f"{column}__lte": hi})
        if lo is None and hi is None:
            rows = rows.filter(**{f"{column}__isnull": False})
    if standard is not None:
        rows = rows.filter(certification__standard=standard)
    if client is not None:
        rows = rows.filter(certification__client=client)
    if certifications is not None:
        rows = rows.filter(certification__in=certifications)
    if findings is not None:
        rows = rows.filter(pk__in=findings.order_by().values("audit_id"))
    if leader is not None:
        rows = rows.filter(team_leader_id=leader.pk)
    if states and set(states) <= set(DONE_STATES):
        order = ["-planned_start", "-pk"]
    else:
        order = ["planned_start", "pk"]
    return (
        rows.select_related("certification__client", "certification__standard", "team_leader")
        .prefetch_related("members")
        .order_by(*order)
    )


def is_overdue(audit: Audit, *, today: datetime.date) -> bool:
    """Not done and its deadline has passed (or, with none, still planned past its start)."""
    if audit.state in DONE_STATES:
        return False
    if audit.due_by is not None:
        return audit.due_by < today
    return audit.state == AuditState.PLANNED and audit.planned_start < today
