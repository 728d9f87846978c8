"""Reads that cross relations, for the auditor pages, the iCalendar feed, the staff scheduling
board and the auditor admin. Each takes the day it is judged on (``today``/``on``) as an
argument and runs a constant number of queries whatever the data."""

import calendar
import datetime
import enum
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _
from django_fsm_log.models import StateLog

from core.names import person_name

from ..models import Audit, AuditRole, AuditState, Booking, BookingKind, Qualification

# -- Dates of an audit --------------------------------------------------------------------------


def audit_span(audit: Audit) -> tuple[datetime.date, datetime.date]:
    """The first and last day an audit takes: the actual days once known, else the planned."""
    start = audit.actual_start or audit.planned_start
    end = audit.actual_end or audit.planned_end
    return start, max(start, end)


def _overlap(a: tuple, b: tuple) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def _overlapping(start: datetime.date, end: datetime.date) -> Q:
    """Audits whose planned or actual days may touch [start, end] (refined by audit_span)."""
    return (Q(planned_start__lte=end) | Q(actual_start__lte=end)) & (
        Q(planned_end__gte=start) | Q(actual_end__gte=start)
    )


# -- An auditor's own audits --------------------------------------------------------------------


def audits_of(user) -> QuerySet:
    """Audits ``user`` is on, as team leader or member, with what the auditor pages show."""
    if user is None or user.pk is None:
        return Audit.objects.none()
    member_of = Audit.members.through.objects.filter(user_id=user.pk).values("audit_id")
    return (
        Audit.objects.filter(Q(team_leader_id=user.pk) | Q(pk__in=member_of))
        .select_related("certification__client", "certification__standard", "team_leader")
        .prefetch_related("members", "sites", "certification__client__sites")
    )


def audits_of_split(user, *, today: datetime.date) -> tuple[list[Audit], list[Audit]]:
    """The user's audits as (upcoming, soonest first; past or cancelled, latest first)."""
    upcoming, past = [], []
    for audit in audits_of(user):
        live = audit.state != AuditState.CANCELLED
        (upcoming if live and audit_span(audit)[1] >= today else past).append(audit)
    upcoming.sort(key=lambda a: (audit_span(a), a.pk))
    past.sort(key=lambda a: (audit_span(a), a.pk), reverse=True)
    return upcoming, past


def audits_of_between(user, start: datetime.date, end: datetime.date) -> list[Audit]:
    """The user's audits, not cancelled, that take a day in [start, end]."""
    audits = audits_of(user).live().filter(_overlapping(start, end))
    return sorted(
        (a for a in audits if _overlap(audit_span(a), (start, end))),
        key=lambda a: (audit_span(a), a.pk),
    )


def month_grid(user, *, month: datetime.date) -> list[list[tuple[datetime.date, list[Audit]]]]:
    """The weeks (Monday first) of ``month``'s calendar, each day with the user's audits."""
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)
    audits = audits_of_between(user, weeks[0][0], weeks[-1][-1])
    return [
        [(day, [a for a in audits if _overlap(audit_span(a), (day, day))]) for day in week]
        for week in weeks
    ]


def audit_sites(audit: Audit) -> list:
    """The sites to visit: the sampled ones, or all of the client's sites if none sampled."""
    sites = list(audit.sites.all())
    return sites or list(audit.certification.client.sites.all())


def feed_audits(user) -> QuerySet:
    """The user's audits for the calendar feed (not cancelled), each annotated with
    ``last_change``: when its state last changed (django-fsm-log)."""
    last_log = StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Audit), object_id=OuterRef("pk")
    ).order_by("-timestamp")
    return (
        audits_of(user)
        .live()
        .annotate(last_change=Subquery(last_log.values("timestamp")[:1]))
        .order_by("planned_start", "pk")
    )


def overlapping_bookings(user_id, start: datetime.date, end: datetime.date, *, exclude_pk=None):
    """The user's bookings (audits, leave, other) that take a day in [start, end]."""
    qs = Booking.objects.filter(auditor_id=user_id, starts_on__lte=end, ends_on__gte=start)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.select_related(
        "audit__certification__client", "audit__certification__standard"
    ).order_by("starts_on")


def unavailability_of(user) -> QuerySet:
    """The user's leave and other bookings, latest first."""
    return Booking.objects.filter(
        auditor_id=user.pk, kind__in=[BookingKind.LEAVE, BookingKind.OTHER]
    ).order_by("-starts_on", "-pk")


# -- Auditor admin --------------------------------------------------------------------------------


def qualifications_expiring(*, today: datetime.date, days: int = 90) -> QuerySet:
    """Qualifications still valid on ``today`` that end within ``days`` days."""
    return Qualification.objects.filter(
        valid_until__gte=today, valid_until__lte=today + datetime.timedelta(days=days)
    )


# -- The staff scheduling board -----------------------------------------------------------------


def board_audits(*, today: datetime.date, weeks: int = 8) -> list[Audit]:
    """Audits not yet done that are due, or planned to start, within ``weeks`` weeks of
    ``today`` (planned ones already overdue included), soonest first."""
    horizon = today + datetime.timedelta(weeks=weeks)
    qs = (
        Audit.objects.filter(state__in=[AuditState.PLANNED, AuditState.IN_PROGRESS])
        .filter(Q(planned_start__lte=horizon) | Q(due_by__lte=horizon))
        .filter(Q(state=AuditState.PLANNED) | Q(planned_end__gte=today))
        .select_related("certification__client", "certification__standard", "team_leader")
        .prefetch_related("members", "certification__client__technical_areas")
        .order_by("planned_start", "pk")
    )
    return list(qs)


def audits_to_staff(audits: list[Audit]) -> list[Audit]:
    """Of ``audits``, those without a team leader or with dates only proposed."""
    return [a for a in audits if a.team_leader_id is None or not a.dates_confirmed]


class ConflictKind(enum.StrEnum):
    DOUBLE_BOOKED = "double_booked"
    UNAVAILABLE = "unavailable"
    UNQUALIFIED = "unqualified"
    AREA_NOT_COVERED = "area_not_covered"
    LATE = "late"


CONFLICT_LABELS = {
    ConflictKind.DOUBLE_BOOKED: _("Booked twice"),
    ConflictKind.UNAVAILABLE: _("Unavailable"),
    ConflictKind.UNQUALIFIED: _("Not qualified"),
    ConflictKind.AREA_NOT_COVERED: _("Technical area not covered"),
    ConflictKind.LATE: _("Planned past its deadline"),
}

MSG_DOUBLE_BOOKED = _("%(person)s is also on %(other)s from %(start)s to %(end)s.")
MSG_UNAVAILABLE = _("%(person)s is unavailable (%(kind)s) from %(start)s to %(end)s%(note)s.")
MSG_NO_QUALIFICATION = _("%(person)s holds no qualification for %(standard)s as %(role)s.")
MSG_QUALIFICATION_NOT_VALID = _(
    "%(person)s's qualification for %(standard)s is not valid on the audit dates "
    "%(start)s to %(end)s (valid %(from)s to %(until)s)."
)
MSG_AREA_NOT_COVERED = _("No one on the team is qualified for %(area)s on the audit dates.")
MSG_LATE = _("Planned to end on %(end)s, after its deadline %(due)s.")
MSG_LATE_NO_REASON = _("Planned to end on %(end)s, after its deadline %(due)s, with no reason.")


@dataclass(frozen=True)
class Conflict:
    kind: ConflictKind
    audit: Audit
    message: str
    person: object = None
    other_audit: Audit | None = None

    @property
    def label(self) -> str:
        return str(CONFLICT_LABELS[self.kind])


def _name(user) -> str:
    return person_name(user)


# Roles whose qualification lets one sit on a team as leader or as member.
_LEADER_ROLES = {AuditRole.TEAM_LEADER}
_MEMBER_ROLES = {AuditRole.TEAM_LEADER, AuditRole.AUDITOR, AuditRole.TECHNICAL_EXPERT}


def schedule_conflicts(audits: list[Audit]) -> list[Conflict]:
    """What is wrong with the teams of ``audits`` (from board_audits): someone booked on two
    audits on the same day, or unavailable, or not qualified for the standard on the audit
    dates; a client technical area nobody on the team covers; an audit planned past its
    deadline. Four queries whatever the number of audits."""
    conflicts: list[Conflict] = []
    if not audits:
        return conflicts
    spans = {a.pk: audit_span(a) for a in audits}
    teams = {a.pk: _team(a) for a in audits}
    people = {u.pk: u for team in teams.values() for u, _role in team}
    lo = min(s for s, _e in spans.values())
    hi = max(e for _s, e in spans.values())

    quals = defaultdict(list)
    for q in Qualification.objects.filter(
        profile__user_id__in=people,
        standard_id__in={a.certification.standard_id for a in audits},
    ).values(
        "profile__user_id", "standard_id", "technical_area_id", "role", "valid_from", "valid_until"
    ):
        quals[q["profile__user_id"], q["standard_id"]].append(q)

    # Every engagement of these people around the window: audits they are on (whoever booked
    # them) and bookings (audit bookings of audits they left, leave, other).
    engaged: dict[int, dict[int, tuple]] = defaultdict(dict)  # person -> audit pk -> (span, audit)
    member_of = Audit.members.through.objects.filter(user_id__in=people).values("audit_id")
    others = (
        Audit.objects.live()
        .filter(Q(team_leader_id__in=people) | Q(pk__in=member_of))
        .filter(_overlapping(lo, hi))
        .select_related("certification__client", "certification__standard", "team_leader")
        .prefetch_related("members")
    )
    for other in others:
        for user, _role in _team(other):
            if user.pk in people:
                engaged[user.pk][other.pk] = (audit_span(other), other)
    unavailable = defaultdict(list)
    for booking in Booking.objects.filter(
        auditor_id__in=people, starts_on__lte=hi, ends_on__gte=lo
    ).select_related("audit__certification__client", "audit__certification__standard"):
        span = (booking.starts_on, booking.ends_on)
        if booking.kind == BookingKind.AUDIT:
            if booking.audit.state != AuditState.CANCELLED:
                engaged[booking.auditor_id].setdefault(booking.audit_id, (span, booking.audit))
        else:
            unavailable[booking.auditor_id].append(booking)

    board_pks = set(spans)
    for audit in audits:
        span = spans[audit.pk]
        for person, role in teams[audit.pk]:
            for other_pk, (other_span, other) in engaged[person.pk].items():
                if other_pk == audit.pk or not _overlap(span, other_span):
                    continue
                if other_pk in board_pks and other_pk < audit.pk:
                    continue  # already listed from the other audit
                conflicts.append(
                    Conflict(
                        ConflictKind.DOUBLE_BOOKED,
                        audit,
                        MSG_DOUBLE_BOOKED
                        % {
                            "person": _name(person),
                            "other": str(other),
                            "start": other_span[0].isoformat(),
                            "end": other_span[1].isoformat(),
                        },
                        person=person,
                        other_audit=other,
                    )
                )
            for booking in unavailable[person.pk]:
                if _overlap(span, (booking.starts_on, booking.ends_on)):
                    conflicts.append(
                        Conflict(
                            ConflictKind.UNAVAILABLE,
                            audit,
                            MSG_UNAVAILABLE
                            % {
                                "person": _name(person),
                                "kind": booking.get_kind_display(),
                                "start": booking.starts_on.isoformat(),
                                "end": booking.ends_on.isoformat(),
                                "note": f": {booking.note}" if booking.note else "",
                            },
                            person=person,
                        )
                    )
            problem = _qualification_problem(person, role, audit, span, quals)
            if problem:
                conflicts.append(Conflict(ConflictKind.UNQUALIFIED, audit, problem, person=person))
        if audit.team_leader_id:
            for area in audit.certification.client.technical_areas.all():
                if not any(
                    _valid_over(q, span) and q["technical_area_id"] == area.pk
                    for person, _role in teams[audit.pk]
                    for q in quals[person.pk, audit.certification.standard_id]
                ):
                    conflicts.append(
                        Conflict(
                            ConflictKind.AREA_NOT_COVERED,
                            audit,
                            MSG_AREA_NOT_COVERED % {"area": str(area)},
                        )
                    )
        if audit.is_late:
            msg = MSG_LATE if audit.late_reason.strip() else MSG_LATE_NO_REASON
            conflicts.append(
                Conflict(
                    ConflictKind.LATE,
                    audit,
                    msg % {"end": audit.planned_end.isoformat(), "due": audit.due_by.isoformat()},
                )
            )
    return conflicts


def _team(audit: Audit) -> list[tuple]:
    """(user, role) for the leader and members of ``audit`` (members prefetched)."""
    team = [(audit.team_leader, AuditRole.TEAM_LEADER)] if audit.team_leader_id else []
    team += [(m, AuditRole.AUDITOR) for m in audit.members.all() if m.pk != audit.team_leader_id]
    return team


def _valid_over(q: dict, span: tuple) -> bool:
    return q["valid_from"] <= span[0] and q["valid_until"] >= span[1]


def _qualification_problem(person, role, audit, span, quals) -> str | None:
    roles = _LEADER_ROLES if role == AuditRole.TEAM_LEADER else _MEMBER_ROLES
    held = [q for q in quals[person.pk, audit.certification.standard_id] if q["role"] in roles]
    standard = str(audit.certification.standard)
    if not held:
        return str(
            MSG_NO_QUALIFICATION
            % {"person": _name(person), "standard": standard, "role": AuditRole(role).label}
        )
    if any(_valid_over(q, span) for q in held):
        return None
    latest = max(held, key=lambda q: q["valid_until"])
    return str(
        MSG_QUALIFICATION_NOT_VALID
        % {
            "person": _name(person),
            "standard": standard,
            "start": span[0].isoformat(),
            "end": span[1].isoformat(),
            "from": latest["valid_from"].isoformat(),
            "until": latest["valid_until"].isoformat(),
        }
    )
