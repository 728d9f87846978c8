"""Audit teams: who may audit, refused with the reason; the team set and booked.

A team has exactly one team leader, any number of auditors and technical experts. Refused
(ISO/IEC 17021-1 7.1-7.2, 5.2, 9.5.2; shared/domain.md, Auditors):

- a person whose qualification (standard x IAF technical area x role) does not cover the
  audit's standard and at least one of the client's technical areas, or is not valid on every
  day of the audit; and a team that together does not cover all of the client's areas;
- anyone with a consultancy or employment relationship with the client that is ongoing or
  ended less than CONFLICT_OF_INTEREST_YEARS before the audit's first day;
- anyone on leave, booked elsewhere or on another audit on an overlapping day. The database
  enforces this too (``bookings``: a Booking row per team member, and on PostgreSQL the
  exclusion constraint ``booking_no_overlap``);
- the certification's designated decision maker, and anyone who took a decision on it in the
  current cycle (the decision must stay independent of the audit, 9.5.2).

Warnings, returned to the caller and shown to staff, who may go on after reading them:
rotation (the same team leader more than ROTATION_MAX_CONSECUTIVE audits of the client in a
row), no impartiality declaration for the audit's year, and declared relationships that do
not bar (internal audit, training).

Who could fill a place (the suggestions on the team page) is in ``suggestions``.
"""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from core.policy import policy

from ..errors import AuditError
from ..impartiality import bars, conflict_until, is_relevant
from ..models import (
    Audit,
    AuditorProfile,
    AuditRole,
    AuditState,
    ImpartialityDeclaration,
    Qualification,
    RelationshipDeclaration,
)
from .bookings import busy_message, overlapping_bookings, person_name, write_bookings

MSG_NO_PERMISSION = _("You do not have permission to plan audits.")
MSG_ONE_LEADER = _("A team has exactly one team leader: choose one.")
MSG_TWICE = _("%(person)s is listed more than once in the team.")
MSG_STATE = _("The team can be changed only while the audit is planned (it is “%(state)s”).")
MSG_NO_PROFILE = _("%(person)s has no auditor profile, so no recorded qualification.")
MSG_INACTIVE = _("%(person)s is marked as not available for assignments.")
MSG_NOT_QUALIFIED = _("%(person)s is not qualified as %(role)s for %(standard)s.")
MSG_NO_AREA = _(
    "%(person)s is qualified as %(role)s for %(standard)s, but in none of the client's "
    "technical areas (%(codes)s)."
)
MSG_EXPIRED = _(
    "%(person)s: the qualification as %(role)s for %(standard)s (%(codes)s) expired on "
    "%(day)s, before the audit's last day (%(end)s)."
)
MSG_NOT_YET = _(
    "%(person)s: the qualification as %(role)s for %(standard)s (%(codes)s) is valid only "
    "from %(day)s, after the audit's first day (%(start)s)."
)
MSG_UNCOVERED = _("Together the team does not cover the client's technical areas: %(codes)s.")
MSG_CONFLICT_ONGOING = _(
    "%(person)s has an ongoing %(kind)s relationship with %(client)s (since %(since)s) and "
    "may not audit it."
)
MSG_CONFLICT_RECENT = _(
    "%(person)s had a %(kind)s relationship with %(client)s that ended on %(ended)s, less "
    "than %(years)d years before the audit's first day (%(start)s): not before %(until)s."
)
MSG_DECISION_MAKER = _(
    "%(person)s is the designated decision maker of this certification and cannot be on its "
    "audit team."
)
MSG_DECIDED = _(
    "%(person)s took a decision on this certification in the current cycle (%(decision)s on "
    "%(day)s) and cannot be on its audit team."
)
WARN_ROTATION = _(
    "Rotation: %(person)s has led the last %(n)d audits of %(client)s in a row (policy: "
    "change the team leader after %(max)d)."
)
WARN_NO_DECLARATION = _("%(person)s has not signed the impartiality declaration for %(year)d.")
WARN_RELATIONSHIP = _("%(person)s declared a %(kind)s relationship with %(client)s (%(period)s).")
WARN_AUDIT_TIME_SHORT = _(
    "Audit time: %(auditors)d auditor(s) on the team x %(days)d planned day(s) = %(planned)d "
    "auditor-days, less than the calculated %(needed)s auditor-days (technical experts do not "
    "count): add auditors or days."
)
MSG_UNACKNOWLEDGED = _(
    "Read the warnings above and confirm that you have, to save this team anyway."
)

# Who may fill each place on a team: a team leader qualification also qualifies as auditor.
POSITIONS = {
    AuditRole.TEAM_LEADER: {AuditRole.TEAM_LEADER},
    AuditRole.AUDITOR: {AuditRole.AUDITOR, AuditRole.TEAM_LEADER},
    AuditRole.TECHNICAL_EXPERT: {AuditRole.TECHNICAL_EXPERT},
}


class TeamWarnings(AuditError):
    """The team is allowed but has warnings nobody acknowledged yet: nothing was saved."""

    def __init__(self, warnings):
        self.warnings = [str(w) for w in warnings]
        super().__init__(*self.warnings, MSG_UNACKNOWLEDGED)


@dataclass
class TeamCheck:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class TeamResult:
    audit: Audit
    warnings: list[str] = field(default_factory=list)


def _codes(codes) -> str:
    return ", ".join(f"IAF {c:02d}" for c in sorted(codes)) or "-"


def _team(team_leader, members, technical_experts) -> list[tuple[Any, str]]:
    """(user, role) for each place, leader first."""
    team: list[tuple[Any, str]] = []
    if team_leader is not None:
        team.append((team_leader, AuditRole.TEAM_LEADER))
    team += [(m, AuditRole.AUDITOR) for m in members or ()]
    team += [(e, AuditRole.TECHNICAL_EXPERT) for e in technical_experts or ()]
    return team


def _deciders(cert, user_ids) -> dict[int, Any]:
    """Decisions taken on ``cert`` in the current cycle by the users ``user_ids``. The
    certification says when its cycle opened (audits sits below certificates and asks the
    object it holds)."""
    qs = cert.decisions.filter(decided_by__in=user_ids)
    opened = cert.current_cycle_opened_on()
    if opened:
        qs = qs.filter(decided_on__gte=opened)
    return {d.decided_by_id: d for d in qs.order_by("decided_on", "pk")}


def _qualification_problems(user, role, quals, *, standard, codes, start, end):
    """(problems, covered codes) for ``user`` in the place ``role``."""
    name = person_name(user)
    fmt = {"person": name, "role": AuditRole(role).label, "standard": standard}
    matching = [q for q in quals if q.role in POSITIONS[role]]
    if not matching:
        return [str(MSG_NOT_QUALIFIED % fmt)], set()
    if codes:
        matching = [q for q in matching if q.technical_area.code in codes]
        if not matching:
            return [str(MSG_NO_AREA % dict(fmt, codes=_codes(codes)))], set()
    valid = [q for q in matching if q.valid_from <= start and q.valid_until >= end]
    if not valid:
        expired = [q for q in matching if q.valid_until < end]
        if expired:
            last = max(expired, key=lambda q: q.valid_until)
            return [
                str(
                    MSG_EXPIRED
                    % dict(
                        fmt,
                        codes=_codes({last.technical_area.code}),
                        day=last.valid_until.isoformat(),
                        end=end.isoformat(),
                    )
                )
            ], set()
        first = min(matching, key=lambda q: q.valid_from)
        return [
            str(
                MSG_NOT_YET
                % dict(
                    fmt,
                    codes=_codes({first.technical_area.code}),
                    day=first.valid_from.isoformat(),
                    start=start.isoformat(),
                )
            )
        ], set()
    return [], {q.technical_area.code for q in valid} & set(codes)


def _relationship_messages(rel, *, start, client):
    """(refusal or None, warning or None) for one declared relationship (the rule:
    audits.impartiality, shared with the certification decisions)."""
    years = policy("CONFLICT_OF_INTEREST_YEARS")
    name = person_name(rel.profile.user)
    kind = rel.get_kind_display()
    until = conflict_until(rel)  # None: ongoing
    if not is_relevant(rel, on=start):
        return None, None
    if bars(rel, on=start):
        if until is None:
            return str(
                MSG_CONFLICT_ONGOING
                % {
                    "person": name,
                    "kind": kind,
                    "client": client,
                    "since": rel.started_on.isoformat(),
                }
            ), None
        return str(
            MSG_CONFLICT_RECENT
            % {
                "person": name,
                "kind": kind,
                "client": client,
                "ended": rel.ended_on.isoformat(),
                "years": years,
                "start": start.isoformat(),
                "until": until.isoformat(),
            }
        ), None
    ended = rel.ended_on.isoformat() if rel.ended_on else "..."
    period = f"{rel.started_on.isoformat()} - {ended}"
    return None, str(
        WARN_RELATIONSHIP % {"person": name, "kind": kind, "client": client, "period": period}
    )


def _rotation_warning(audit, leader, *, start):
    limit = policy("ROTATION_MAX_CONSECUTIVE")
    client = audit.certification.client
    earlier = (
        Audit.objects.filter(certification__client=client, planned_start__lte=start)
        .exclude(state=AuditState.CANCELLED)
        .exclude(team_leader__isnull=True)
        .order_by("-planned_start", "-pk")
        .values_list("team_leader_id", flat=True)
    )
    if audit.pk:
        earlier = earlier.exclude(pk=audit.pk)
    run = 0
    for leader_id in earlier[: limit + 1]:
        if leader_id != leader.pk:
            break
        run += 1
    if run >= limit:
        return str(
            WARN_ROTATION
            % {"person": person_name(leader), "n": run, "client": client, "max": limit}
        )
    return None


def check_team(
    *,
    audit,
    team_leader,
    members=(),
    technical_experts=(),
    planned_start=None,
    planned_end=None,
) -> TeamCheck:
    """Every refusal and warning for this team on ``audit`` (dates default to the audit's),
    without writing anything. A constant number of queries for any team size."""
    start = planned_start or audit.planned_start
    end = planned_end or audit.planned_end
    cert = audit.certification
    client = cert.client
    standard = cert.standard
    check = TeamCheck()
    if team_leader is None:
        check.problems.append(str(MSG_ONE_LEADER))
    team = _team(team_leader, members, technical_experts)
    seen = set()
    for user, _role in team:
        if user.pk in seen:
            check.problems.append(str(MSG_TWICE % {"person": person_name(user)}))
        seen.add(user.pk)
    if not team:
        return check
    ids = list(seen)
    codes = set(client.technical_areas.values_list("code", flat=True))
    profiles = {
        p.user_id: p
        for p in AuditorProfile.objects.filter(user__in=ids).prefetch_related(
            Prefetch(
                "qualifications",
                queryset=Qualification.objects.filter(standard=standard).select_related(
                    "technical_area"
                ),
            )
        )
    }
    # -- competence
    covered = set()
    individual = len(check.problems)
    for user, role in team:
        profile = profiles.get(user.pk)
        if profile is None:
            check.problems.append(str(MSG_NO_PROFILE % {"person": person_name(user)}))
            continue
        if not profile.is_active:
            check.problems.append(str(MSG_INACTIVE % {"person": person_name(user)}))
        problems, codes_covered = _qualification_problems(
            user,
            role,
            list(profile.qualifications.all()),
            standard=standard,
            codes=codes,
            start=start,
            end=end,
        )
        check.problems += problems
        covered |= codes_covered
    # Said of the team only when each person is fine on their own (else it repeats them).
    if codes and len(check.problems) == individual and codes - covered:
        check.problems.append(str(MSG_UNCOVERED % {"codes": _codes(codes - covered)}))
    # -- impartiality
    for rel in RelationshipDeclaration.objects.filter(
        profile__user__in=ids, client=client
    ).select_related("profile__user"):
        refusal, warning = _relationship_messages(rel, start=start, client=client)
        if refusal:
            check.problems.append(refusal)
        if warning:
            check.warnings.append(warning)
    users = {user.pk: user for user, _ in team}
    if cert.decision_maker_id in users:
        check.problems.append(
            str(MSG_DECISION_MAKER % {"person": person_name(users[cert.decision_maker_id])})
        )
    for user_id, decision in _deciders(cert, ids).items():
        if user_id == cert.decision_maker_id:
            continue
        check.problems.append(
            str(
                MSG_DECIDED
                % {
                    "person": person_name(users[user_id]),
                    "decision": decision.get_outcome_display(),
                    "day": decision.decided_on.isoformat(),
                }
            )
        )
    # -- availability (the database enforces it too: see _write_bookings)
    for booking in overlapping_bookings(user_ids=ids, start=start, end=end, audit=audit):
        check.problems.append(busy_message(users[booking.auditor_id], booking, start, end))
    # -- warnings
    if team_leader is not None:
        rotation = _rotation_warning(audit, team_leader, start=start)
        if rotation:
            check.warnings.append(rotation)
    declared = set(
        ImpartialityDeclaration.objects.filter(profile__user__in=ids, year=start.year).values_list(
            "profile__user_id", flat=True
        )
    )
    for user_id in ids:
        if user_id in profiles and user_id not in declared:
            check.warnings.append(
                str(
                    WARN_NO_DECLARATION
                    % {"person": person_name(users[user_id]), "year": start.year}
                )
            )
    return check


def audit_team_problems(
    *, audit, team_leader, members=(), technical_experts=(), planned_start=None, planned_end=None
) -> list[str]:
    """Why this team may not be set on ``audit`` (empty: it may), without writing; for the UI.
    Warnings are in ``check_team(...).warnings``."""
    return check_team(
        audit=audit,
        team_leader=team_leader,
        members=members,
        technical_experts=technical_experts,
        planned_start=planned_start,
        planned_end=planned_end,
    ).problems


def audit_time_shortfall(audit, *, auditors=None, start=None, end=None) -> str | None:
    """A warning when the planned auditor-days (team leader and auditors x calendar days
    planned) fall short of ``audit``'s calculated audit time (IAF MD 5), else None. A warning,
    not a refusal: staff may still be settling the team or the dates."""
    needed = audit.audit_days
    start = start or audit.planned_start
    end = end or audit.planned_end
    if not needed or not start or not end:
        return None
    if auditors is None:
        auditors = audit.bookings.filter(
            role__in=[AuditRole.TEAM_LEADER, AuditRole.AUDITOR]
        ).count()
    days = (end - start).days + 1
    planned = auditors * days
    if planned >= needed:
        return None
    return str(
        WARN_AUDIT_TIME_SHORT
        % {"auditors": auditors, "days": days, "planned": planned, "needed": needed}
    )


def assign_team(
    audit,
    *,
    team_leader,
    members=(),
    technical_experts=(),
    acknowledge_warnings=False,
) -> TeamResult:
    """Check and set the team of ``audit`` (saved, locked by the caller, inside the caller's
    transaction): refusals raise AuditError, unacknowledged warnings TeamWarnings."""
    if audit.state != AuditState.PLANNED:
        raise AuditError(MSG_STATE % {"state": audit.get_state_display()})
    members = [m for m in members or () if team_leader is None or m.pk != team_leader.pk]
    technical_experts = list(technical_experts or ())
    check = check_team(
        audit=audit,
        team_leader=team_leader,
        members=members,
        technical_experts=technical_experts,
    )
    if check.problems:
        raise AuditError(*check.problems)
    if check.warnings and not acknowledge_warnings:
        raise TeamWarnings(check.warnings)
    audit.team_leader = team_leader
    audit.save(update_fields=["team_leader"])
    audit.members.set([*members, *technical_experts])
    write_bookings(audit, _team(team_leader, members, technical_experts))
    # Said after the team is accepted, never blocking it (the acknowledgement is for the
    # impartiality and rotation warnings above).
    short = audit_time_shortfall(audit, auditors=1 + len(members))
    return TeamResult(audit=audit, warnings=[*check.warnings, *([short] if short else [])])


def rebook_team(audit) -> None:
    """After ``audit``'s dates moved: the same team, rechecked and booked on the new days."""
    if audit.team_leader_id is None:
        audit.bookings.all().delete()
        return
    roles = dict(audit.bookings.values_list("auditor_id", "role"))
    members: list[Any] = []
    experts: list[Any] = []
    for user in audit.members.all():
        (experts if roles.get(user.pk) == AuditRole.TECHNICAL_EXPERT else members).append(user)
    check = check_team(
        audit=audit,
        team_leader=audit.team_leader,
        members=members,
        technical_experts=experts,
    )
    if check.problems:
        raise AuditError(*check.problems)
    write_bookings(audit, _team(audit.team_leader, members, experts))


def audit_set_team(
    *,
    audit,
    team_leader,
    members=(),
    technical_experts=(),
    by,
    on: datetime.date,
    acknowledge_warnings: bool = False,
) -> TeamResult:
    """Staff set the whole team of a planned audit (replacing the previous one and its
    bookings). Returns the warnings that were acknowledged; refuses with every reason, or
    with the warnings when they were not acknowledged, changing nothing.

    ``on`` is the day staff act; the rules look at the audit's own days."""
    if by is not None and not by.has_perm("audits.manage_audit"):
        raise AuditError(MSG_NO_PERMISSION)
    with transaction.atomic():
        locked = (
            Audit.objects.select_for_update(of=("self",))
            .select_related("certification__client", "certification__standard")
            .get(pk=audit.pk)
        )
        return assign_team(
            locked,
            team_leader=team_leader,
            members=members,
            technical_experts=technical_experts,
            acknowledge_warnings=acknowledge_warnings,
        )


__all__ = [
    "TeamCheck",
    "TeamResult",
    "TeamWarnings",
    "audit_set_team",
    "audit_team_problems",
    "audit_time_shortfall",
    "check_team",
]
