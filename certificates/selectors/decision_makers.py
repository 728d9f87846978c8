"""Who may be designated the decision maker of a certification, and in words why someone may
not (the workspace's designation form; the service, certification_designate_decision_maker,
records whom staff chose).

A decision maker holds ``certificates.decide_certification`` and is active; took no part in an
audit of the cycle that no decision covers yet (ISO/IEC 17021-1 9.5.2: the rules refuse them the
decision, certificates/rules.py ``decision_maker_not_on_audit_team``); and is free of
consultancy or employment for the client (audits.impartiality, what Certification.clean checks
for the admin's form). A fixed number of queries, whatever the number of decision makers.
"""

import datetime
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from audits.impartiality import barring_relationships, decision_conflicts
from audits.models import Audit
from core.names import person_name

DECIDE_PERMISSION = "certificates.decide_certification"

MSG_NOT_A_DECIDER = _("%(person)s is not an active decision maker.")
MSG_ON_TEAM = _(
    "%(person)s is on the team of an audit of this cycle that is not decided yet: another "
    "decision maker must decide (ISO/IEC 17021-1 9.5.2)."
)


def deciders():
    """Active users holding the decision permission (through a group, directly, or as
    superusers), family name first."""
    app_label, codename = DECIDE_PERMISSION.split(".")
    perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    holders = Q(is_superuser=True) | Q(groups__permissions__in=perm) | Q(user_permissions__in=perm)
    ids = get_user_model().objects.filter(holders, is_active=True).values("pk")
    return get_user_model().objects.filter(pk__in=ids).order_by("last_name", "first_name", "pk")


def undecided_team_ids(cert) -> set[int]:
    """Everyone on the team of an audit of ``cert``'s cycle, not cancelled, that no decision
    covers yet: the audits its next decision rests on."""
    audits = (
        Audit.objects.live()
        .filter(certification_id=cert.pk, cycle=cert.cycle, decision__isnull=True)
        .prefetch_related("members")
    )
    ids: set[int] = set()
    for audit in audits:
        ids |= audit.team_user_ids()
    return ids


def designation_problems(cert, user, *, on: datetime.date) -> list[str]:
    """Why ``user`` may not be designated the decision maker of ``cert`` on ``on`` (empty: they
    may)."""
    if user is None:
        return []
    who = person_name(user)
    problems = []
    if not user.is_active or not user.has_perm(DECIDE_PERMISSION):
        problems.append(str(MSG_NOT_A_DECIDER % {"person": who}))
    if user.pk in undecided_team_ids(cert):
        problems.append(str(MSG_ON_TEAM % {"person": who}))
    problems += decision_conflicts(user, client=cert.client, on=on)
    return problems


def decision_maker_choices(cert, *, on: datetime.date) -> tuple[list, dict]:
    """(the decision makers who may be designated for ``cert`` on ``on``, {user: [why not]}
    for the others), each family name first."""
    people = list(deciders())
    team = undecided_team_ids(cert)
    conflicted = defaultdict(list)
    for rel in barring_relationships(client=cert.client, on=on, users=people):
        conflicted[rel.profile.user_id].append(rel)
    free, barred = [], {}
    for user in people:
        reasons = []
        if user.pk in team:
            reasons.append(str(MSG_ON_TEAM % {"person": person_name(user)}))
        if user.pk in conflicted:
            reasons += decision_conflicts(user, client=cert.client, on=on)
        if reasons:
            barred[user] = reasons
        else:
            free.append(user)
    return free, barred


__all__ = [
    "deciders",
    "decision_maker_choices",
    "designation_problems",
    "undecided_team_ids",
]
