"""Use cases for audits and findings: atomic, locked, permission-checked, recorded."""

import datetime

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.notes import Note
from core.transitions import run_transition

from .. import access
from ..errors import AuditConflict, AuditError
from ..models import (
    Audit,
    AuditKind,
    AuditState,
    Finding,
    FindingState,
    Grade,
    Recommendation,
)
from ..signals import audit_closed, audit_planning
from .bookings import free_bookings
from .programme import _visited, apply_audit_time, apply_sample, move_audit
from .teams import assign_team

# The permission planning an audit needs (checked by the certification's owner, which locks
# the certification for it: see _certification_for_planning).
PLAN_PERMISSION = "audits.manage_audit"

# The history row of a submitted report, shown in the reader's language (core.notes).
NOTE_RECOMMENDATION = Note(_("Recommendation: %(r)s"), r=Recommendation)

MSG_CONFLICT = _(
    "Someone else changed this %(object)s while you were working on it (it is now "
    "“%(state)s”). Nothing was changed: reload the page and try again."
)
MSG_DATES = _("The planned end is before the planned start.")
MSG_NO_LEADER = _("An audit needs a team leader.")
MSG_STAGE_FROM_CERTIFICATION = _(
    "Stage 1 and stage 2 are planned from the certification (Actions)."
)
# The late reason the system gives a recertification audit planned after expiry: stored in
# English, shown in the reader's language (core.notes).
MSG_RESTORATION_LATE = Note(
    _("The certificate expired on %(day)s: this audit is for its restoration within the window.")
)
MSG_FINDING_BEFORE_START = _(
    "A finding cannot be raised on %(on)s, before the audit started (%(start)s)."
)
MSG_FINDING_PERMISSION = _("You do not have permission to raise findings.")
MSG_FINDING_STATE = _("Findings can be raised only while the audit is in progress or reported.")
MSG_AUDIT_KIND_STATE = _(
    "An audit of the kind “%(kind)s” cannot be planned while the certification is “%(state)s”."
)


def _locked(obj, model):
    locked = model.objects.select_for_update().get(pk=obj.pk)
    if locked.state != obj.state:
        raise AuditConflict(
            MSG_CONFLICT % {"object": model._meta.verbose_name, "state": locked.get_state_display()}
        )
    return locked


def audit_create(
    *,
    certification,
    kind: str,
    planned_start: datetime.date,
    planned_end: datetime.date,
    team_leader,
    members=(),
    technical_experts=(),
    justification: str = "",
    acknowledge_warnings: bool = True,
) -> Audit:
    """Create a planned audit with its team, audit time and (multi-site) sample. Called
    inside the caller's transaction. The team goes through the same rules as
    ``audit_set_team`` (refusals raise; warnings are acknowledged unless
    ``acknowledge_warnings=False``, and left on ``audit.team_warnings``)."""
    if team_leader is None:
        raise AuditError(MSG_NO_LEADER)
    if planned_end < planned_start:
        raise AuditError(MSG_DATES)
    audit = Audit.objects.create(
        certification=certification,
        kind=kind,
        cycle=certification.cycle,
        planned_start=planned_start,
        planned_end=planned_end,
        justification=justification.strip(),
    )
    apply_audit_time(audit)
    apply_sample(audit, visited=_visited(certification, audit.cycle, exclude=audit))
    result = assign_team(
        audit,
        team_leader=team_leader,
        members=members,
        technical_experts=technical_experts,
        acknowledge_warnings=acknowledge_warnings,
    )
    audit.team_warnings = result.warnings
    return audit


def audit_plan_problems(certification, kind) -> list[str]:
    """Why an audit of ``kind`` cannot be planned for ``certification`` now (empty: it can)."""
    # Which states allow which kinds is the certification's to say (Certification.
    # AUDIT_KIND_STATES): this app sits below certificates and asks the object it holds.
    allowed = certification.AUDIT_KIND_STATES.get(kind)
    if allowed is None:
        return [str(MSG_STAGE_FROM_CERTIFICATION)]
    if certification.state not in allowed:
        return [
            str(
                MSG_AUDIT_KIND_STATE
                % {"kind": AuditKind(kind).label, "state": certification.get_state_display()}
            )
        ]
    return []


def _certification_for_planning(certification, *, by):
    """``certification`` locked for planning an audit on it, by the app that owns it (the
    ``audit_planning`` receiver, certificates' ``certification_touch``: it checks ``by``'s
    permission, refuses a stale copy and bumps the revision). Without exactly one answer
    nothing would check the permission: refused as a configuration error."""
    answers = [
        locked
        for _receiver, locked in audit_planning.send(
            sender=Audit, certification=certification, by=by, permission=PLAN_PERMISSION
        )
        if locked is not None
    ]
    if len(answers) != 1:
        raise ImproperlyConfigured(
            "audits.signals.audit_planning needs exactly one receiver that returns the locked "
            f"certification (got {len(answers)}): is the certificates app installed?"
        )
    return answers[0]


def _programme_slot(cert, kind):
    """The next programme audit of ``kind`` in the current cycle nobody has staffed yet."""
    if kind not in (AuditKind.SURVEILLANCE, AuditKind.RECERTIFICATION):
        return None
    return (
        Audit.objects.select_for_update(of=("self",))
        .filter(
            certification=cert,
            cycle=cert.cycle,
            kind=kind,
            state=AuditState.PLANNED,
            programme_year__isnull=False,
            team_leader__isnull=True,
        )
        .order_by("programme_year", "pk")
        .first()
    )


def audit_plan(
    *,
    certification,
    kind,
    planned_start,
    planned_end,
    team_leader,
    members=(),
    technical_experts=(),
    late_reason: str = "",
    acknowledge_warnings: bool = True,
    by,
) -> Audit:
    """Plan a surveillance, recertification, special or transfer-review audit.

    A surveillance or recertification fills the cycle's next unstaffed programme audit of that
    kind (moved to these dates by the programme's rules, e.g. a late one needs
    ``late_reason``; dates confirmed) instead of adding a second one; without such an audit a
    new one is created. Either way the team goes through the team rules."""
    with transaction.atomic():
        cert = _certification_for_planning(certification, by=by)
        problems = audit_plan_problems(cert, kind)
        if problems:
            raise AuditError(*problems)
        if team_leader is None:
            raise AuditError(MSG_NO_LEADER)
        slot = _programme_slot(cert, kind)
        if slot is None:
            return audit_create(
                certification=cert,
                kind=kind,
                planned_start=planned_start,
                planned_end=planned_end,
                team_leader=team_leader,
                members=members,
                technical_experts=technical_experts,
                acknowledge_warnings=acknowledge_warnings,
            )
        if kind == AuditKind.RECERTIFICATION and cert.is_expired and not late_reason:
            # After expiry the audit can only serve restoration: that is why it is late.
            late_reason = MSG_RESTORATION_LATE.text(
                day=(cert.expired_on or cert.expiry_date).isoformat()
            )
        move_audit(slot, planned_start=planned_start, planned_end=planned_end, reason=late_reason)
        result = assign_team(
            slot,
            team_leader=team_leader,
            members=members,
            technical_experts=technical_experts,
            acknowledge_warnings=acknowledge_warnings,
        )
        slot.dates_confirmed = True
        slot.save(update_fields=["dates_confirmed"])
        slot.team_warnings = result.warnings
        return slot


def _take(obj, name, *, by, on, **extra):
    """Lock ``obj``, take transition ``name`` on ``on`` and save, in one transaction."""
    with transaction.atomic():
        locked = _locked(obj, type(obj))
        run_transition(locked, name, by=by, on=on, error=AuditError, **extra)
        locked.save()
    return locked


def audit_start(*, audit: Audit, by, on: datetime.date) -> Audit:
    return _take(audit, "start", by=by, on=on)


def audit_submit_report(*, audit: Audit, recommendation: str, by, on: datetime.date) -> Audit:
    """The team leader submits the report on the audit's last day (``on``)."""
    return _take(
        audit,
        "submit_report",
        by=by,
        on=on,
        recommendation=recommendation,
        description=NOTE_RECOMMENDATION.text(r=recommendation),
    )


def audit_close(*, audit: Audit, by, on: datetime.date) -> Audit:
    """Staff close the reviewed report. A surveillance counts towards the cycle's programme
    (the certificates app counts it, in this transaction: ``audit_closed``)."""
    with transaction.atomic():
        locked = _take(audit, "close", by=by, on=on)
        audit_closed.send(sender=Audit, audit=locked, by=by, on=on)
    return locked


def audit_cancel(*, audit: Audit, reason: str, by, on: datetime.date) -> Audit:
    """Cancel a planned or running audit; its team's bookings are freed."""
    with transaction.atomic():
        locked = _take(audit, "cancel", by=by, on=on, reason=reason, description=reason)
        free_bookings(locked)
    return locked


def finding_raise_problems(audit, by=None) -> list[str]:
    """Why ``by`` cannot raise a finding on ``audit`` now (empty: they can). Only the team
    leader raises findings (audits.access.LEADER_STEPS); ``by=None`` is the system."""
    if by is not None and not by.has_perm("audits.conduct_audit"):
        return [str(MSG_FINDING_PERMISSION)]
    refusal = access.conduct_refusal(audit, "raise_finding", by)
    if refusal:
        return [refusal]
    if audit.state not in (AuditState.IN_PROGRESS, AuditState.REPORT_SUBMITTED):
        return [str(MSG_FINDING_STATE)]
    return []


def finding_raise(
    *, audit: Audit, grade: str, description: str, clause: str = "", by, on: datetime.date
) -> Finding:
    problems = finding_raise_problems(audit, by)
    if problems:
        raise AuditError(*problems)
    if audit.actual_start and on < audit.actual_start:
        raise AuditError(
            MSG_FINDING_BEFORE_START
            % {"on": on.isoformat(), "start": audit.actual_start.isoformat()}
        )
    if grade not in Grade.values:
        raise AuditError(_("Unknown grade: %(g)s.") % {"g": grade})
    if not description.strip():
        raise AuditError(_("Describe the finding."))
    finding = Finding(
        audit=audit,
        grade=grade,
        clause=clause,
        description=description.strip(),
        raised_on=on,
        state=Finding.initial_state(grade),
        state_since=on,
    )
    finding.set_deadlines()
    finding.save()
    return finding


def finding_accept_plan(*, finding: Finding, plan: str, by, on: datetime.date) -> Finding:
    return _take(finding, "accept_plan", by=by, on=on, plan=plan)


def finding_mark_corrected(*, finding: Finding, by, on: datetime.date) -> Finding:
    return _take(finding, "mark_corrected", by=by, on=on)


def finding_verify(*, finding: Finding, by, on: datetime.date) -> Finding:
    return _take(finding, "verify", by=by, on=on)


__all__ = [
    "AuditConflict",
    "AuditError",
    "FindingState",
    "audit_cancel",
    "audit_close",
    "audit_create",
    "audit_plan",
    "audit_plan_problems",
    "audit_start",
    "audit_submit_report",
    "finding_accept_plan",
    "finding_mark_corrected",
    "finding_raise",
    "finding_raise_problems",
    "finding_verify",
]
