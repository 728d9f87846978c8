"""Reads of the staff audit page and its team page (workspace:audit, workspace:audit_team,
and the admin's team page): the audit with what the page shows, its team in their roles, its
findings, and who may be offered for a team. A constant number of queries per page."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django_fsm_log.models import StateLog

from core.names import person_name

from ..models import Audit, AuditRole, Finding

CONDUCT = ("audits", "conduct_audit")


def auditor_users() -> QuerySet:
    """The people who audit: active users with an auditor profile available for assignments
    who hold ``audits.conduct_audit`` (through a group, directly, or as superuser). Staff,
    decision makers and administrators without it are not offered for a team: they could not
    take the team's steps (start, report, findings)."""
    User = get_user_model()
    perm = Permission.objects.filter(
        content_type__app_label=CONDUCT[0], codename=CONDUCT[1]
    ).values("pk")
    holders = Q(is_superuser=True) | Q(
        pk__in=User.objects.filter(
            Q(groups__permissions__in=perm) | Q(user_permissions__in=perm)
        ).values("pk")
    )
    return User.objects.filter(
        holders, is_active=True, auditor_profile__isnull=False, auditor_profile__is_active=True
    )


def by_name(users) -> list:
    """``users`` sorted as people read a list of names (family name, given name, user name)."""
    return sorted(users, key=lambda u: (u.last_name, u.first_name, u.get_username()))


def team_candidates(audit: Audit | None = None) -> list:
    """Whom a team picker offers: the auditors (``auditor_users``), and whoever is on
    ``audit``'s team already (so a team set earlier still shows), by name."""
    users = list(auditor_users())
    if audit is not None and audit.pk:
        ids = {u.pk for u in users}
        current = [audit.team_leader] if audit.team_leader_id else []
        current += list(audit.members.all())
        users += [u for u in current if u is not None and u.pk not in ids]
        users = list({u.pk: u for u in users}.values())
    return by_name(users)


def person_choices(users) -> list[tuple[int, str]]:
    """(pk, 王建华) pairs for a select."""
    return [(u.pk, person_name(u)) for u in users]


def audit_for_page(queryset: QuerySet) -> QuerySet:
    """``queryset`` (already narrowed by need-to-know) with what the audit page shows."""
    return queryset.select_related(
        "certification__client",
        "certification__standard",
        "team_leader",
        "decision",
    ).prefetch_related("sites", "members", "bookings")


def team_roles(audit: Audit) -> dict[int, str]:
    """Each team member's role from their booking (auditor when none: a team set by hand)."""
    return {b.auditor_id: b.role for b in audit.bookings.all()}


def team_of(audit: Audit) -> list[tuple]:
    """(user, AuditRole) for the team of ``audit``, leader first, then by name (``members``
    and ``bookings`` prefetched)."""
    roles = team_roles(audit)
    team = [(audit.team_leader, AuditRole.TEAM_LEADER)] if audit.team_leader_id else []
    for user in by_name(m for m in audit.members.all() if m.pk != audit.team_leader_id):
        role = roles.get(user.pk) or AuditRole.AUDITOR
        team.append((user, AuditRole(role)))
    return team


def findings_of(audit: Audit) -> QuerySet:
    """The audit's findings in the order they were raised."""
    return Finding.objects.filter(audit=audit).order_by("raised_on", "pk")


def history_of(audit: Audit, findings=()) -> list:
    """Every state change of the audit and its findings (django-fsm-log), latest first."""
    audit_type = ContentType.objects.get_for_model(Audit)
    finding_type = ContentType.objects.get_for_model(Finding)
    finding_ids = [f.pk for f in findings]
    q = Q(content_type=audit_type, object_id=audit.pk)
    if finding_ids:
        q |= Q(content_type=finding_type, object_id__in=finding_ids)
    return list(StateLog.objects.filter(q).select_related("by").order_by("-timestamp", "-pk"))


__all__ = [
    "audit_for_page",
    "auditor_users",
    "by_name",
    "findings_of",
    "history_of",
    "person_choices",
    "team_candidates",
    "team_of",
    "team_roles",
]
