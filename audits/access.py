"""Who may see and act on which audit, finding, certification and client: the object-level
rules, in one place (ISO/IEC 17021-1 8.4 confidentiality; shared/domain.md, People).

Model permissions (the roles' groups) say *what* a role may do: ``audits.conduct_audit`` for
auditors, ``audits.manage_audit`` for CB staff, ``certificates.decide_certification`` for
decision makers. These rules say *on which objects*:

- **The office** (CB staff, decision makers, administrators: anyone holding one of
  ``OFFICE_PERMISSIONS``) sees every client, certification, audit and finding.
- **Everyone else** (auditors) sees only the audits whose team they are on, and the findings,
  certifications, applications, decisions, certificates and clients of those audits: nothing
  of a client they do not audit.
- **Conducting an audit** is done by its team, in each member's role there, whoever else the
  person is (an administrator who is not on the team does not start someone else's audit):
  starting it, submitting the report and raising findings belong to the team leader
  (``LEADER_STEPS``); accepting a plan, recording a correction and verifying it to the
  team leader and the auditors of the team, not to its technical experts (``AUDITOR_STEPS``).

The transitions use these as their django-fsm ``permission=`` (see ``team_permission``), so
the admin, the auditor pages, the shell and any future API obey them; the services check the
non-transition steps (raising a finding) with ``may_conduct``; the admin (through
core.need_to_know, where this app registers ``visible`` as the policy of
``NEED_TO_KNOW_MODELS``) and the auditor pages read through ``visible``.
"""

from django.apps import apps
from django.utils.translation import gettext_lazy as _

# Holding any of these makes a user part of the office, who sees every record.
OFFICE_PERMISSIONS = (
    "audits.manage_audit",
    "certificates.manage_certification",
    "certificates.review_application",
    "certificates.decide_certification",
)
CONDUCT = "audits.conduct_audit"

LEADER_STEPS = frozenset({"start", "submit_report", "raise_finding"})
AUDITOR_STEPS = frozenset({"accept_plan", "mark_corrected", "verify"})

MSG_NOT_ON_TEAM = _("You are not on the team of this audit.")
MSG_LEADER_ONLY = _("Only the team leader of this audit can do this.")
MSG_NOT_AS_EXPERT = _("A technical expert of the team cannot do this: only its auditors can.")
MSG_NO_PERMISSION = _("You do not have permission to do this.")

# A technical expert's booking role (audits.models.AuditRole.TECHNICAL_EXPERT; the value, so that
# the models can import this module).
_TECHNICAL_EXPERT = "technical_expert"
# AuditState.IN_PROGRESS and REPORT_SUBMITTED (finding_raise_problems says the same in words).
_OPEN_FOR_FINDINGS = ("in_progress", "report_submitted")


def is_office(user) -> bool:
    """CB staff, decision makers and administrators: they see every record."""
    return bool(user is not None and user.is_active) and any(
        user.has_perm(p) for p in OFFICE_PERMISSIONS
    )


# -- Reads ---------------------------------------------------------------------------------------


def audits_on(user):
    """The audits ``user`` is on (team leader or member, technical experts included)."""
    Audit = apps.get_model("audits", "Audit")
    if user is None or user.pk is None:
        return Audit.objects.none()
    # One UNION of two indexed lookups (team_leader_id; the members' user_id), not "leader = me
    # OR id IN (members)": PostgreSQL serves no such OR from an index and scanned every audit
    # on every auditor page (498 ms at 59 k audits, seconds at 3.5 M; 1.5 ms like this:
    # bench/workspace.py, docs/decisions/009-workspace-speed.md).
    led = Audit.objects.filter(team_leader_id=user.pk).order_by().values("pk")
    member_of = Audit.members.through.objects.filter(user_id=user.pk).values("audit_id")
    return Audit.objects.filter(pk__in=led.union(member_of))


# For each model an auditor may see part of: (its field, the path from Audit to the same
# value). ``visible`` keeps the rows whose field is among the values of the user's audits: one
# subquery, no join that would repeat rows (no DISTINCT over a million certifications).
_THROUGH_AUDITS = {
    ("audits", "audit"): ("pk", "pk"),
    ("audits", "finding"): ("audit_id", "pk"),
    ("audits", "audittimecalculation"): ("application_id", "certification__application_id"),
    ("certificates", "certification"): ("pk", "certification_id"),
    ("certificates", "decision"): ("certification_id", "certification_id"),
    ("certificates", "certificate"): ("certification_id", "certification_id"),
    ("certificates", "scopeextension"): ("certification_id", "certification_id"),
    ("clients", "client"): ("pk", "certification__client_id"),
    ("clients", "site"): ("client_id", "certification__client_id"),
    ("clients", "contact"): ("client_id", "certification__client_id"),
    ("clients", "application"): ("pk", "certification__application_id"),
    ("clients", "applicationdocument"): ("application_id", "certification__application_id"),
}


# The models whose admin shows each user only what they may see: ``visible`` is their policy in
# core.need_to_know (registered by AuditsConfig.ready), whichever app their admin lives in.
NEED_TO_KNOW_MODELS = tuple(f"{app}.{model}" for app, model in _THROUGH_AUDITS)


def visible(queryset, user):
    """The rows of ``queryset`` that ``user`` may see: all for the office, for anyone else
    those of the audits they are on (a model not listed in ``_THROUGH_AUDITS``: none)."""
    if is_office(user):
        return queryset
    meta = queryset.model._meta
    key = (meta.app_label, meta.model_name)
    if key not in _THROUGH_AUDITS or user is None or not user.is_active:
        return queryset.none()
    field, path = _THROUGH_AUDITS[key]
    values = audits_on(user).exclude(**{f"{path}__isnull": True}).values(path)
    return queryset.filter(**{f"{field}__in": values})


# -- Acting on an audit --------------------------------------------------------------------------


def team_role(audit, user) -> str | None:
    """``"team_leader"``, ``"auditor"``, ``"technical_expert"`` or None (not on the team)."""
    if user is None or user.pk is None or audit is None or audit.pk is None:
        return None
    if audit.team_leader_id == user.pk:
        return "team_leader"
    if not audit.members.filter(pk=user.pk).exists():
        return None
    expert = audit.bookings.filter(auditor_id=user.pk, role=_TECHNICAL_EXPERT).exists()
    return _TECHNICAL_EXPERT if expert else "auditor"


def conduct_refusal(audit, step: str, user) -> str | None:
    """Why ``user`` may not take ``step`` (``LEADER_STEPS``, ``AUDITOR_STEPS``) on ``audit``,
    or None when they may. ``user=None`` is the system, which may."""
    if user is None:
        return None
    if not user.has_perm(CONDUCT):
        return str(MSG_NO_PERMISSION)
    role = team_role(audit, user)
    if role is None:
        return str(MSG_NOT_ON_TEAM)
    if step in LEADER_STEPS and role != "team_leader":
        return str(MSG_LEADER_ONLY)
    if step in AUDITOR_STEPS and role == _TECHNICAL_EXPERT:
        return str(MSG_NOT_AS_EXPERT)
    return None


def may_conduct(audit, step: str, user) -> bool:
    return conduct_refusal(audit, step, user) is None


def may_edit_finding(finding, user) -> bool:
    """Rewording a finding is raising it again: its audit's team leader, while the audit is
    open for findings (in progress or reported). Once the audit is closed or cancelled its
    findings are records, read-only for everyone."""
    audit = finding.audit
    return audit.state in _OPEN_FOR_FINDINGS and may_conduct(audit, "raise_finding", user)


class TeamPermission:
    """A django-fsm ``permission=`` for a step of the audit team: the user holds
    ``audits.conduct_audit`` and is on the team of the audit in the step's role.
    ``refusal(instance, user)`` says why not, for the message a user sees."""

    def __init__(self, step: str, audit_of=lambda obj: obj):
        self.step = step
        self.audit_of = audit_of

    def __call__(self, instance, user) -> bool:
        return conduct_refusal(self.audit_of(instance), self.step, user) is None

    def refusal(self, instance, user) -> str | None:
        """None when the user lacks the model permission itself: the caller then says
        "You do not have permission to <the action>"."""
        if user is not None and not user.has_perm(CONDUCT):
            return None
        return conduct_refusal(self.audit_of(instance), self.step, user)


def team_permission(step: str) -> TeamPermission:
    """The permission of an audit's transition ``step``."""
    return TeamPermission(step)


def finding_team_permission(step: str) -> TeamPermission:
    """The permission of a finding's transition ``step`` (judged on the finding's audit)."""
    return TeamPermission(step, audit_of=lambda finding: finding.audit)


def audits_user_may_raise_findings_on(user):
    """The audits ``user`` leads that are open for findings (the admin's audit choices)."""
    Audit = apps.get_model("audits", "Audit")
    if user is None or user.pk is None or not user.has_perm(CONDUCT):
        return Audit.objects.none()
    return Audit.objects.filter(team_leader_id=user.pk, state__in=_OPEN_FOR_FINDINGS)
