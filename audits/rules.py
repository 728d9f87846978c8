"""The rules of audits and findings: one function per check, each returning the reasons a
transition is refused today, registered in ``TABLE`` at the end (core/rules.py explains the
mechanism; AuditsConfig.ready() registers the table). To find a rule, search this module for
its words; its tests are in tests/audits. The rule every transition obeys (time runs forwards:
an audit is not closed before its report, a correction not verified before it was reported) is
RuleMixin._chronology_blockers.

The audits app does not import the certificates app (it sits below it): where a rule reads a
certification it goes through the audit's relation, never certificates' choices.
"""

from django.utils.translation import gettext_lazy as _

from core.policy import policy

from .models import RECOMMENDATIONS_BY_KIND, Audit, AuditKind, Finding, Recommendation


def audit_has_team_leader(audit):
    """A team leader is named for every audit (ISO/IEC 17021-1 9.2.2.1; shared/domain.md,
    People: a team leader is named for every audit)."""
    if audit.team_leader_id is None:
        yield _("The audit has no team leader yet.")


def audit_dates_confirmed(audit):
    """An audit starts on dates agreed with the client, not merely proposed (ISO/IEC 17021-1
    9.2.3.3: the audit plan is communicated and the dates agreed in advance)."""
    if not audit.dates_confirmed:
        yield _("The audit dates are only proposed: confirm them first.")


def is_new_stage2(audit) -> bool:
    """A stage 2 planned again after a stage 2 that followed the latest stage 1 (majors
    unverified past their limit, or the restoration window closed): the certification's
    new_stage2 rule allows it without looking at stage 1 again, and so does starting it."""
    stage1 = audit.certification.latest_stage1()
    earlier = audit.certification.audits.closed().of_kind(AuditKind.STAGE2).exclude(pk=audit.pk)
    if stage1 is not None:
        earlier = earlier.filter(planned_start__gte=stage1.planned_start)
    return earlier.exists()


def stage2_starts_after_stage1_ready(audit):
    """Stage 2 only after stage 1 closed as ready for stage 2; a stage 1 older than its
    validity (policy STAGE1_VALIDITY_MONTHS, 6) is justified on the stage 2 audit or repeated
    (ISO/IEC 17021-1 9.3.1.2; shared/domain.md, Stage 1)."""
    if audit.kind != AuditKind.STAGE2 or is_new_stage2(audit):
        return
    stage1 = audit.certification.latest_stage1()
    if stage1 is None or not stage1.is_closed_ready:
        yield _("Stage 2 cannot start before stage 1 is closed as ready for stage 2.")
    elif stage1.is_stale_on(audit.ctx.on) and not audit.justification.strip():
        yield _(
            "Stage 1 ended on %(day)s, more than %(months)d months ago: record a "
            "justification on this stage 2 audit, or repeat stage 1."
        ) % {
            "day": stage1.actual_end.isoformat(),
            "months": policy("STAGE1_VALIDITY_MONTHS"),
        }


def recommendation_fits_audit_kind(audit):
    """An audit report ends with a recommendation of its kind: ready or not for stage 2,
    recommend certification or not, continue or suspend (ISO/IEC 17021-1 9.4.8.2, 9.4.8.3).
    A last day before the first is the chronology rule's (core/rules.py): the audit has
    been in progress since its first day."""
    allowed = RECOMMENDATIONS_BY_KIND[audit.kind]
    rec = audit.ctx.extra.get("recommendation")
    if rec not in allowed:
        yield _("Choose a recommendation: %(choices)s.") % {
            "choices": ", ".join(str(Recommendation(r).label) for r in sorted(allowed))
        }


def cancellation_reason_given(audit):
    """A cancelled audit records why (shared/domain.md, Records: every state change records
    why; ISO/IEC 17021-1 9.9)."""
    if not (audit.ctx.extra.get("reason") or "").strip():
        yield _("A reason is required.")


def accepted_plan_written_down(finding):
    """A minor (or major) needs an accepted correction and corrective action plan: the plan
    accepted is written down (ISO/IEC 17021-1 9.4.9, 9.5.3; shared/domain.md, Findings)."""
    if not (finding.ctx.extra.get("plan") or finding.plan).strip():
        yield _("Write down the plan that is accepted.")


# -- The table: the only place a transition's legality is decided ---------------------------
TABLE = {
    (Audit, "start"): [
        audit_has_team_leader,
        audit_dates_confirmed,
        stage2_starts_after_stage1_ready,
    ],
    (Audit, "submit_report"): [recommendation_fits_audit_kind],
    (Audit, "close"): [],
    (Audit, "cancel"): [cancellation_reason_given],
    (Finding, "accept_plan"): [accepted_plan_written_down],
    (Finding, "mark_corrected"): [],
    (Finding, "verify"): [],
}
