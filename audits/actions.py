"""The actions on an audit and on a finding, for every interface (the staff admin, the
workspace): each transition's small form and the use-case service it calls
(core/actions.py takes them: offers with blockers, the form, the service's refusal as form
errors). The audit's team steps (start, report) and the findings' follow-up belong to the
team in their role there (audits/access.py); closing and cancelling to staff.

Setting the team is not a transition but the same kind of step: ``TeamPickForm`` is the form
of both team pages, ``team_with`` what one click on a suggestion proposes."""

from core.actions import (
    ActionTable,
    ReasonForm,
    TransitionAction,
    TransitionForm,
    preview_inputs,
)
from core.names import person_name

from . import services as svc
from .forms import PlanForm, ReportTransitionForm, TeamForm
from .models import RECOMMENDATIONS_BY_KIND, AuditKind, AuditRole, Recommendation
from .selectors.audit_page import person_choices, team_candidates, team_roles

# The recommendation the report form proposes for each kind of audit: the outcome when the audit
# found nothing to stop it (the team leader changes it otherwise; never a set's arbitrary first).
PROPOSED_RECOMMENDATION = {
    AuditKind.STAGE1: Recommendation.READY_FOR_STAGE2,
    AuditKind.STAGE2: Recommendation.RECOMMEND,
    AuditKind.RECERTIFICATION: Recommendation.RECOMMEND,
    AuditKind.SURVEILLANCE: Recommendation.CONTINUE,
    AuditKind.SPECIAL: Recommendation.CONTINUE,
    AuditKind.TRANSFER_REVIEW: Recommendation.RECOMMEND,
}


def report_initial(audit) -> dict:
    """The report form's proposal: the recommendation of ``PROPOSED_RECOMMENDATION``."""
    proposed = PROPOSED_RECOMMENDATION.get(audit.kind)
    return {"recommendation": proposed.value} if proposed else {}


AUDIT_ACTIONS: ActionTable = {
    "start": TransitionAction(
        TransitionForm, lambda obj, d, user, on: svc.audit_start(audit=obj, by=user, on=on)
    ),
    "submit_report": TransitionAction(
        ReportTransitionForm,
        lambda obj, d, user, on: svc.audit_submit_report(
            audit=obj, recommendation=d["recommendation"], by=user, on=on
        ),
        initial=report_initial,
    ),
    "close": TransitionAction(
        TransitionForm, lambda obj, d, user, on: svc.audit_close(audit=obj, by=user, on=on)
    ),
    "cancel": TransitionAction(
        ReasonForm,
        lambda obj, d, user, on: svc.audit_cancel(audit=obj, reason=d["reason"], by=user, on=on),
    ),
}


def audit_preview_inputs(audit) -> dict:
    """What the audit's forms will supply, assumed given when previewing the blockers beside
    the buttons: a reason, and a recommendation of the audit's kind (the report form asks
    for it), so "submit report" is not shown blocked for want of one."""
    proposed = report_initial(audit).get("recommendation")
    allowed = sorted(RECOMMENDATIONS_BY_KIND.get(audit.kind, ()))
    return {**preview_inputs(audit), "recommendation": proposed or (allowed[0] if allowed else "")}


FINDING_ACTIONS: ActionTable = {
    "accept_plan": TransitionAction(
        PlanForm,
        lambda obj, d, user, on: svc.finding_accept_plan(
            finding=obj, plan=d["plan"], by=user, on=on
        ),
        initial=lambda obj: {"plan": obj.plan},
    ),
    "mark_corrected": TransitionAction(
        TransitionForm,
        lambda obj, d, user, on: svc.finding_mark_corrected(finding=obj, by=user, on=on),
    ),
    "verify": TransitionAction(
        TransitionForm,
        lambda obj, d, user, on: svc.finding_verify(finding=obj, by=user, on=on),
    ),
}


class TeamPickForm(TeamForm):
    """The team form of the admin's and the workspace's team pages. It offers the auditors
    only (``selectors.audit_page.team_candidates``: not staff, decision makers or
    administrators without the auditor's permission), named as people write them (王建华),
    by name. It still accepts any active user posted, so that the service says in words why
    someone may not be on the team (no auditor profile, not qualified, ...)."""

    def __init__(self, *args, audit=None, **kwargs):
        super().__init__(*args, **kwargs)
        offered = person_choices(team_candidates(audit))
        for name in ("team_leader", "members", "technical_experts"):
            field = self.fields[name]
            field.label_from_instance = person_name
            field.widget.choices = (
                [("", "---------"), *offered] if name == "team_leader" else offered
            )


def current_team(audit) -> dict:
    """The audit's team as the team form's values (``members``, ``bookings`` prefetched or
    not): {"team_leader": pk or None, "members": [pk], "technical_experts": [pk]}."""
    roles = team_roles(audit)
    members, experts = [], []
    for user in audit.members.all():
        if user.pk == audit.team_leader_id:
            continue
        (experts if roles.get(user.pk) == AuditRole.TECHNICAL_EXPERT else members).append(user.pk)
    return {"team_leader": audit.team_leader_id, "members": members, "technical_experts": experts}


def team_with(team: dict, user_pk: int, role: str) -> dict:
    """``team`` (``current_team``'s shape) with ``user_pk`` in ``role``: a new team leader
    replaces the current one; the person leaves any other place they held."""
    new = {
        "team_leader": None if team["team_leader"] == user_pk else team["team_leader"],
        "members": [pk for pk in team["members"] if pk != user_pk],
        "technical_experts": [pk for pk in team["technical_experts"] if pk != user_pk],
    }
    if role == AuditRole.TEAM_LEADER:
        new["team_leader"] = user_pk
    elif role == AuditRole.TECHNICAL_EXPERT:
        new["technical_experts"].append(user_pk)
    else:
        new["members"].append(user_pk)
    return new


def team_without(team: dict, user_pk: int) -> dict:
    """``team`` without ``user_pk`` (the leader's place left empty)."""
    return {
        "team_leader": None if team["team_leader"] == user_pk else team["team_leader"],
        "members": [pk for pk in team["members"] if pk != user_pk],
        "technical_experts": [pk for pk in team["technical_experts"] if pk != user_pk],
    }


def team_in_form(team: dict) -> list[tuple[str, object]]:
    """(field name, value) pairs posting ``team`` through ``TeamPickForm`` (hidden inputs of a
    one-click button)."""
    pairs: list[tuple[str, object]] = []
    if team["team_leader"]:
        pairs.append(("team_leader", team["team_leader"]))
    pairs += [("members", pk) for pk in team["members"]]
    pairs += [("technical_experts", pk) for pk in team["technical_experts"]]
    return pairs


SUGGESTED_ROLES = (AuditRole.TEAM_LEADER, AuditRole.AUDITOR, AuditRole.TECHNICAL_EXPERT)


def team_suggestions(audit, team: dict) -> list[dict]:
    """For each place (team leader, auditor, technical expert): the suggestions
    (``services.auditor_suggestions``: qualified, impartial, free, nearest first), each with
    the form values of the team with that person added (one click) and whether they are on
    the team already."""
    on_team = {team["team_leader"], *team["members"], *team["technical_experts"]}
    places = []
    for role in SUGGESTED_ROLES:
        rows = [
            {
                "suggestion": s,
                "on_team": s.user.pk in on_team,
                "add": team_in_form(team_with(team, s.user.pk, role)),
            }
            for s in svc.auditor_suggestions(audit=audit, role=role)
        ]
        places.append({"role": role, "label": AuditRole(role).label, "rows": rows})
    return places


__all__ = [
    "AUDIT_ACTIONS",
    "FINDING_ACTIONS",
    "PROPOSED_RECOMMENDATION",
    "SUGGESTED_ROLES",
    "TeamPickForm",
    "audit_preview_inputs",
    "current_team",
    "report_initial",
    "team_in_form",
    "team_suggestions",
    "team_with",
    "team_without",
]
