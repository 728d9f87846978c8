"""Long module: every rule of the lifecycle beside the TABLE that decides each transition's
legality, so that one file answers "why is this refused?" (search it for the rule's words).

The rules of the certification lifecycle and of scope extensions: one function per check,
each returning the reasons a transition is refused today, registered in ``TABLE`` at the end
(core/rules.py explains the mechanism; CertificatesConfig.ready() registers the table).

Every function reads the instance's rule context (``obj.ctx``: ``on``, the date judged on;
``by``, who acts; ``extra``, the inputs of the transition). To find a rule, search this module
for its words (e.g. "stage 2", "decision maker", "expiry") or read ``TABLE``; its tests are in
tests/certificates (test_illegal_transitions.py, test_past_expiry.py, test_scope_extension.py).
The rules every transition obeys (time runs forwards) are RuleMixin._chronology_blockers.
"""

import datetime

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from audits.impartiality import decision_conflicts
from audits.models import AuditKind, AuditState, AuditTimeCalculation, Finding, FindingState, Grade
from audits.services import audit_plan_problems
from core.dates import add_months
from core.policy import policy

from .models import (
    MSG_EXPIRED_NO_SUSPEND,
    MSG_EXPIRED_NO_WITHDRAW,
    MSG_EXTENSION_NOT_GRANTED,
    MSG_SUSPENDED_RECENTLY,
    MSG_WITHDRAWN_RECENTLY,
    Certification,
    Decision,
    DecisionOutcome,
    ExtensionState,
    ScopeExtension,
    State,
)
from .models.scope_extensions import (
    MSG_AUDIT_NOT_CLOSED,
    MSG_AUDIT_OPEN_REFUSE,
    MSG_CHOOSE_AUDIT,
    MSG_NO_AUDIT_JUSTIFY,
    MSG_NO_AUDIT_PLANNED,
    MSG_NOT_ACTIVE,
    MSG_PLAN_AUDIT_FIRST,
    MSG_REASON,
)

MSG_SOA_VERSION_MISSING = _(
    "%(standard)s certificates give the version of the client's Statement of Applicability "
    "with the scope: record it on the certification (“Statement of Applicability version”, "
    "e.g. “V2.1”) before this decision."
)


def _not_blank(value) -> bool:
    return bool((value or "").strip())


# -- Shared by several transitions -----------------------------------------------------------
def reason_given(obj):
    """A reason is recorded for the action: every decision and state change records why
    (shared/domain.md, Records; ISO/IEC 17021-1 9.9 client records, 9.6.5 suspension and
    withdrawal)."""
    if not _not_blank(obj.ctx.extra.get("reason")):
        yield MSG_REASON


# The audits a decision rests on: closed audits of this cycle that no decision has covered
# yet, of these kinds (all kinds: empty).
DECIDED_AUDIT_KINDS = {
    "grant": (AuditKind.STAGE1, AuditKind.STAGE2, AuditKind.SPECIAL),
    "refuse": (),
    "recertify": (AuditKind.RECERTIFICATION, AuditKind.SPECIAL),
    "restore_after_expiry": (AuditKind.RECERTIFICATION, AuditKind.SPECIAL),
}


def decided_audits(cert) -> list:
    """The audits the decision being judged (``cert.ctx.transition``) rests on."""
    return list(cert.audits_under_decision(*DECIDED_AUDIT_KINDS[cert.ctx.transition]))


def findings_blockers(audits):
    """No decision while a major nonconformity is unverified or a minor has no accepted plan
    (ISO/IEC 17021-1 9.5.3, 9.4.9; shared/domain.md, Findings)."""
    findings = Finding.objects.filter(audit__in=audits)
    majors = findings.majors_unverified().count()
    minors = findings.filter(grade=Grade.MINOR, state=FindingState.OPEN).count()
    if majors:
        yield ngettext(
            "%(n)d major nonconformity is not verified.",
            "%(n)d major nonconformities are not verified.",
            majors,
        ) % {"n": majors}
    if minors:
        yield ngettext(
            "%(n)d minor nonconformity has no accepted plan.",
            "%(n)d minor nonconformities have no accepted plan.",
            minors,
        ) % {"n": minors}


def after_audits_blockers(cert, audits):
    """A decision is dated on or after the closure of every audit it decides on (ISO/IEC
    17021-1 9.5: the decision rests on the reviewed audit reports)."""
    closed = max((a.closed_on for a in audits if a.closed_on), default=None)
    if closed and cert.ctx.on < closed:
        yield _(
            "The audit decided on was closed on %(closed)s: the decision cannot be dated "
            "%(on)s, before that."
        ) % {"closed": closed.isoformat(), "on": cert.ctx.on.isoformat()}


def decision_maker_blockers(cert, audits):
    """The decision maker took no part in the audits decided (ISO/IEC 17021-1 9.5.2)."""
    by = cert.ctx.by
    if by is not None and any(by.pk in a.team_user_ids() for a in audits):
        yield _(
            "You were on the team of an audit being decided; another decision maker must decide."
        )


def conflict_of_interest_blockers(cert):
    """Nobody with consultancy or employment for the client in the last
    CONFLICT_OF_INTEREST_YEARS decides on it (ISO/IEC 17021-1 5.2, 9.5.2). The rule is the
    audit team's (audits.impartiality), asked on the decision date."""
    return decision_conflicts(cert.ctx.by, client=cert.client, on=cert.ctx.on)


def stage2_limit_passed(cert) -> datetime.date | None:
    """If majors were not verified by the limit after stage 2, the limit's date. A major
    verified only after the limit does not count: the new stage 2 is still required."""
    stage2 = cert.latest_stage2()
    if stage2 is None or stage2.actual_end is None:
        return None
    limit = add_months(stage2.actual_end, policy("MAJOR_VERIFICATION_LIMIT_MONTHS"))
    audits = list(cert.audits_under_decision())
    late = (
        Finding.objects.filter(audit__in=audits, grade=Grade.MAJOR)
        .exclude(state=FindingState.VERIFIED, verified_on__lte=limit)
        .exists()
    )
    if cert.ctx.on > limit and late:
        return limit
    return None


# -- Application: reject, accept, reapply ---------------------------------------------------
def application_meets_intake_conditions(cert):
    """Acceptance only with every intake condition met and every document received: legal
    registration and its unified social credit code, system operating >= 3 months, internal
    audit and management review within the operating period, no administrative penalty
    (ISO/IEC 17021-1 9.1.2; shared/domain.md, Intake). The checks themselves are the
    application's (clients.models.Application.intake_problems: the client form and the
    importer ask them too)."""
    if cert.application is None:
        yield _("There is no application to accept.")
        return
    yield from cert.application.intake_problems(standard=cert.standard)


def audit_time_calculated(cert):
    """No acceptance without the audit-time calculation for the whole cycle, recorded with the
    application review (IAF MD 5, ISO/IEC 20000-6 9.1.4; shared/domain.md, Intake)."""
    if cert.application is None:
        return  # application_meets_intake_conditions says so
    calculation = AuditTimeCalculation.objects.current_for(cert.application)
    if calculation is None or not calculation.covers(cert.standard):
        yield _(
            "No audit-time calculation is recorded with this application for %(standard)s: "
            "calculate it before accepting."
        ) % {"standard": cert.standard}


def no_recent_suspension_or_withdrawal(cert):
    """China, CNCA-QMS-01:2025 (policy REFUSE_AFTER_SUSPENSION_MONTHS, 0 turns it off): an
    applicant whose certificate for this standard (any edition) was suspended or withdrawn
    for its own failings in the months before the application is not accepted. A
    suspension or withdrawal at the client's own request does not count."""
    if cert.application is None:
        return  # application_meets_intake_conditions says so
    months = policy("REFUSE_AFTER_SUSPENSION_MONTHS")
    if not months:
        return
    received = cert.application.received_on
    start = add_months(received, -months)
    recent = Decision.objects.filter(
        certification__client_id=cert.client_id,
        certification__standard__code=cert.standard.code,
        outcome__in=[DecisionOutcome.SUSPEND, DecisionOutcome.WITHDRAW],
        at_client_request=False,
        decided_on__gte=start,
        decided_on__lte=max(received, cert.ctx.on),
    ).order_by("decided_on", "pk")
    for decision in recent:
        message = (
            MSG_SUSPENDED_RECENTLY
            if decision.outcome == DecisionOutcome.SUSPEND
            else MSG_WITHDRAWN_RECENTLY
        )
        yield message % {
            "standard": cert.standard.code,
            "day": decision.decided_on.isoformat(),
            "months": months,
            "received": received.isoformat(),
        }


def new_application_given(cert):
    """After a rejection, refusal or withdrawal, certification starts again only from a new
    application and its review (ISO/IEC 17021-1 9.1.1, 9.1.2)."""
    if cert.ctx.extra.get("application") is None:
        yield _("A new application is required.")


# -- Stage 1 and stage 2 ----------------------------------------------------------------------
def second_stage1_justified(cert):
    """A second stage 1 for the same application needs a recorded justification (impartiality
    risk), once the current one is closed (ISO/IEC 17021-1 9.3.1.2; shared/domain.md, Stage 1).
    Replacing a cancelled stage 1 that never took place is not a second stage 1."""
    previous = cert.latest_stage1()  # ignores cancelled audits
    if previous is None:
        return
    if previous.state != AuditState.CLOSED:
        yield _("The current stage 1 audit is not closed or cancelled yet.")
    if not _not_blank(cert.ctx.extra.get("justification")):
        yield _("A second stage 1 needs a recorded justification (impartiality risk).")


def stage2_after_stage1_ready(cert):
    """Stage 2 only after stage 1 closed as ready for stage 2; a stage 1 older than its
    validity (policy STAGE1_VALIDITY_MONTHS, 6) is justified or repeated (ISO/IEC 17021-1
    9.3.1.2; shared/domain.md, Stage 1)."""
    stage1 = cert.latest_stage1()
    if stage1 is None or not stage1.is_closed_ready:
        yield _("Stage 2 cannot start before stage 1 is closed as ready for stage 2.")
        return
    start = cert.ctx.extra.get("planned_start") or cert.ctx.on
    if stage1.is_stale_on(start) and not _not_blank(cert.ctx.extra.get("justification")):
        yield _(
            "Stage 1 ended on %(day)s, more than %(months)d months before stage 2: "
            "record a justification, or repeat stage 1."
        ) % {
            "day": (stage1.actual_end or stage1.planned_end).isoformat(),
            "months": policy("STAGE1_VALIDITY_MONTHS"),
        }


def stage2_closed_before_submission(cert):
    """The file goes to the decision maker only once the stage 2 audit is closed, and not
    dated before its closure (ISO/IEC 17021-1 9.4.8, 9.5.1)."""
    stage2 = cert.latest_stage2()
    if stage2 is None or stage2.state != AuditState.CLOSED:
        yield _("The stage 2 audit is not closed yet.")
    elif stage2.closed_on and cert.ctx.on < stage2.closed_on:
        yield _(
            "The stage 2 audit was closed on %(closed)s: the file cannot be submitted for "
            "decision before that."
        ) % {"closed": stage2.closed_on.isoformat()}


def new_stage2_justified(cert):
    """A new stage 2: after expiry (restoration window closed or not taken) always; in stage
    2, replacing a cancelled or unsuccessful one (none still open) with a reason; from decision
    pending, when majors were not verified within 6 months of the last day of stage 2, or with
    a reason (ISO/IEC 17021-1 9.5.3, 9.6.3.2.5; shared/domain.md, Findings, Recertification)."""
    if cert.state == State.EXPIRED:
        return
    if cert.state == State.STAGE2:
        open_stage2 = cert.audits.of_kind(AuditKind.STAGE2).filter(
            cycle=cert.cycle,
            state__in=[AuditState.PLANNED, AuditState.IN_PROGRESS, AuditState.REPORT_SUBMITTED],
        )
        if open_stage2.exists():
            yield _("A stage 2 audit is still planned or under way: cancel it first.")
        yield from reason_given(cert)
        return
    if not stage2_limit_passed(cert) and not _not_blank(cert.ctx.extra.get("reason")):
        yield MSG_REASON


# -- Decisions: grant, refuse, recertify, restore ----------------------------------------------
def stage2_audit_awaiting_decision(cert):
    """A grant rests on a closed stage 2 audit not decided yet (ISO/IEC 17021-1 9.5.1)."""
    if not any(a.kind == AuditKind.STAGE2 for a in decided_audits(cert)):
        yield _("There is no closed stage 2 audit awaiting a decision.")


def findings_cleared_within_stage2_limit(cert):
    """No grant while a major is unverified or a minor has no accepted plan; majors
    unverified 6 months (policy MAJOR_VERIFICATION_LIMIT_MONTHS) after the last day of stage 2
    leave only a new stage 2 (ISO/IEC 17021-1 9.4.9, 9.5.3; shared/domain.md, Findings)."""
    limit = stage2_limit_passed(cert)
    if limit:
        yield _(
            "Major nonconformities were not verified within %(months)d months of the last "
            "day of stage 2 (%(day)s): a new stage 2 is required."
        ) % {"months": policy("MAJOR_VERIFICATION_LIMIT_MONTHS"), "day": limit.isoformat()}
    else:
        yield from findings_blockers(decided_audits(cert))


def findings_cleared(cert):
    """No decision while a major nonconformity is unverified or a minor has no accepted plan
    (ISO/IEC 17021-1 9.5.3, 9.4.9; shared/domain.md, Findings)."""
    yield from findings_blockers(decided_audits(cert))


def decision_after_audits_closed(cert):
    """A decision is dated on or after the closure of every audit it decides on (ISO/IEC
    17021-1 9.5: the decision rests on the reviewed audit reports)."""
    yield from after_audits_blockers(cert, decided_audits(cert))


def decision_maker_not_on_audit_team(cert):
    """The decision maker took no part in the audits decided (ISO/IEC 17021-1 9.5.2;
    shared/domain.md, People: must not have taken part in the audit being decided)."""
    yield from decision_maker_blockers(cert, decided_audits(cert))


def no_conflict_of_interest(cert):
    """Nobody with consultancy or employment for the client in the last 2 years (policy
    CONFLICT_OF_INTEREST_YEARS) takes a decision on it (ISO/IEC 17021-1 5.2, 9.5.2;
    shared/domain.md, Auditors: conflict of interest). Every transition with permission
    decide_certification has this rule (tests/test_rules_table.py)."""
    yield from conflict_of_interest_blockers(cert)


def recertification_audit_awaiting_decision(cert):
    """Recertification (or restoration) rests on a closed recertification audit held in the
    cycle being renewed (ISO/IEC 17021-1 9.6.3). After an early recertification the new cycle
    is already set, but an audit before its start cannot renew it a second time."""
    if not any(
        a.kind == AuditKind.RECERTIFICATION
        and (cert.cycle_start is None or a.actual_end >= cert.cycle_start)
        for a in decided_audits(cert)
    ):
        yield _("There is no closed recertification audit awaiting a decision.")


def recertification_before_expiry(cert):
    """Recertification is decided before expiry; after it the certificate can only be
    restored (ISO/IEC 17021-1 9.6.3.2.5; shared/domain.md, Recertification)."""
    if cert.expiry_date and cert.ctx.on > cert.expiry_date:
        yield _("The certificate expired on %(day)s: it can only be restored now.") % {
            "day": cert.expiry_date.isoformat()
        }


def restoration_within_window(cert):
    """Restoration within 6 months after expiry (policy RESTORATION_WINDOW_MONTHS); later only
    a new stage 2 (ISO/IEC 17021-1 9.6.3.2.5; shared/domain.md, Recertification)."""
    end = cert.restoration_window_end()
    if end and cert.ctx.on > end:
        yield _("The restoration window closed on %(day)s: only a new stage 2 leads back.") % {
            "day": end.isoformat()
        }


def soa_version_recorded(cert):
    """ISO/IEC 27001 (Standard.requires_soa): the scope a certificate prints rests on the
    client's Statement of Applicability, whose version the certificate gives with the scope
    (ISO/IEC 27006-1 8.2.2 on ISO/IEC 17021-1 8.2.2; shared/domain.md, Certificates). Every
    decision that issues a certificate version needs it recorded on the certification."""
    if cert.standard.requires_soa and not _not_blank(cert.soa_version):
        yield MSG_SOA_VERSION_MISSING % {"standard": cert.standard}


# -- Expiry, suspension, withdrawal, scope ---------------------------------------------------
def expiry_date_passed(cert):
    """A certificate expires only after its expiry date (ISO/IEC 17021-1 9.6.3.2.5)."""
    if not cert.expiry_date or cert.ctx.on <= cert.expiry_date:
        yield _("The certificate is valid until %(day)s and cannot expire before.") % {
            "day": cert.expiry_date.isoformat() if cert.expiry_date else "-"
        }


def suspension_not_past_expiry(cert):
    """Dates rule, not jobs: past its expiry date a certification is expired for every
    transition and can no longer be suspended, whether or not the nightly job has recorded it
    (shared/domain.md, Dates rule, not jobs; ISO/IEC 17021-1 9.6.5)."""
    if cert.past_expiry_on(cert.ctx.on):
        yield MSG_EXPIRED_NO_SUSPEND % {"day": cert.expiry_date.isoformat()}


def withdrawal_not_past_expiry(cert):
    """Dates rule, not jobs: past its expiry date a certification is expired and can no longer
    be withdrawn (shared/domain.md, Dates rule, not jobs; ISO/IEC 17021-1 9.6.5)."""
    if cert.past_expiry_on(cert.ctx.on):
        yield MSG_EXPIRED_NO_WITHDRAW % {"day": cert.expiry_date.isoformat()}


def suspension_deadline_not_passed(cert):
    """After the suspension deadline (policy SUSPENSION_MAX_MONTHS, 6) a suspension ends only
    by withdrawal or scope reduction, not by lifting it (ISO/IEC 17021-1 9.6.5.2;
    shared/domain.md, Suspension)."""
    if cert.suspension_deadline and cert.ctx.on > cert.suspension_deadline:
        yield _(
            "The suspension deadline (%(day)s) has passed: withdraw the certification or "
            "reduce its scope."
        ) % {"day": cert.suspension_deadline.isoformat()}


def not_past_expiry(cert):
    """Dates rule, not jobs: past its expiry date (even if the nightly task has not recorded
    it) no suspension is lifted and no new certificate version is issued for a scope change
    (shared/domain.md, Dates rule, not jobs)."""
    if cert.expiry_date and cert.ctx.on > cert.expiry_date:
        yield _("The certificate expired on %(day)s.") % {"day": cert.expiry_date.isoformat()}


def new_scope_written(cert):
    """A scope change writes the new scope, different from the current one: it is printed on
    the new certificate version (ISO/IEC 17021-1 9.6.4; shared/domain.md, Scope reduction /
    extension)."""
    new_scope = (cert.ctx.extra.get("scope") or "").strip()
    if not new_scope:
        yield _("Write the new scope.")
    elif new_scope == cert.scope.strip():
        yield _("The new scope is the same as the current one.")


def extension_granted(cert):
    """A scope extension only through a reviewed, audited (or justified) and granted extension
    application (ISO/IEC 17021-1 9.6.4, 9.1.2; shared/domain.md, Scope reduction / extension;
    certificates/models/scope_extensions.py)."""
    extension = cert.ctx.extra.get("extension")
    if (
        extension is None
        or extension.certification_id != cert.pk
        or extension.state != ExtensionState.GRANTED
        or extension.decision_id is not None
    ):
        yield MSG_EXTENSION_NOT_GRANTED


def imported_certificate_consistent(cert):
    """A certificate brought in from elsewhere (the body's previous system, or a transfer
    under IAF MD 2: only valid, never suspended ones) carries a number, a scope and dates that
    keep the lifecycle's invariants: a cycle of at most 3 years (ISO/IEC 17021-1 9.1.3), a
    status that matches its dates (Certification.import_problems)."""
    x = cert.ctx.extra
    if not _not_blank(x.get("number")):
        yield _("A certificate number is required.")
    if not _not_blank(x.get("scope")):
        yield _("A scope is required.")
    if x.get("issued_on") is None or x.get("expiry_date") is None:
        yield _("The issue date and the expiry date are required.")
        return
    for _field, message in cert.import_problems(
        target=x.get("target"),
        issued_on=x["issued_on"],
        expiry_date=x["expiry_date"],
        original_on=x.get("original_on"),
        next_due=x.get("next_due"),
        transferred=bool(x.get("transferred")),
        on=cert.ctx.on,
    ):
        yield message


# -- Scope extension (ScopeExtension) ---------------------------------------------------------
def extension_review_decides_audit(ext):
    """The review of an extension application says whether a special audit is needed, and
    records why when none is (ISO/IEC 17021-1 9.6.4, 9.1.2; shared/domain.md, Scope reduction
    / extension)."""
    x = ext.ctx.extra
    audit_needed = x.get("audit_needed")
    if audit_needed is None:
        yield MSG_CHOOSE_AUDIT
    elif not audit_needed and not (x.get("justification") or "").strip():
        yield MSG_NO_AUDIT_JUSTIFY


def extension_audit_plannable(ext):
    """A special audit is planned only when the review asked for one, and like any audit
    (audits.services.audit_plan_problems; ISO/IEC 17021-1 9.6.4)."""
    if not ext.audit_needed:
        yield MSG_NO_AUDIT_PLANNED
        return
    yield from audit_plan_problems(ext.certification, AuditKind.SPECIAL)


def extension_audit_closed(ext):
    """Where the review asked for a special audit, the decision waits for its closure
    (ISO/IEC 17021-1 9.6.4, 9.5.1)."""
    if ext.audit_needed:
        if ext.audit is None:
            yield MSG_PLAN_AUDIT_FIRST
        elif ext.audit.state != AuditState.CLOSED:
            yield MSG_AUDIT_NOT_CLOSED % {"state": ext.audit.get_state_display()}


def extension_of_active_certification(ext):
    """Only the scope of an active certification is extended (shared/domain.md, Scope
    reduction / extension)."""
    cert = ext.certification
    if cert.state != State.ACTIVE:
        yield MSG_NOT_ACTIVE % {"state": cert.get_state_display()}


def extension_decision_independent(ext):
    """A decision on an extension (grant or refuse): dated after its audit closed, by someone
    who took no part in that audit and has no tie to the client (ISO/IEC 17021-1 9.5, 9.5.2,
    5.2)."""
    cert = ext.certification
    x = ext.ctx.extra
    cert.rule_context(on=ext.ctx.on, by=ext.ctx.by, reason=x.get("reason"), scope=ext.scope)
    audits = ext._decided_audits()
    yield from after_audits_blockers(cert, audits)
    yield from decision_maker_blockers(cert, audits)
    yield from conflict_of_interest_blockers(cert)


def extension_findings_cleared(ext):
    """No extension while a major of its special audit is unverified or a minor has no
    accepted plan (ISO/IEC 17021-1 9.5.3)."""
    yield from findings_blockers(ext._decided_audits())


def extension_scope_change_allowed(ext):
    """The certification's own rules for a scope change (reason, expiry, a new scope, its
    chronology, its decision maker) hold, but for the one that waits for this very transition
    (extension_granted): ISO/IEC 17021-1 9.6.4, a new certificate version."""
    cert = ext.certification
    for message in cert.blockers("extend_scope"):
        if message != str(MSG_EXTENSION_NOT_GRANTED):
            yield message


def extension_refusal_reasoned(ext):
    """A refusal records why, and waits for its special audit to be closed or cancelled
    (ISO/IEC 17021-1 9.5, 9.9)."""
    if not (ext.ctx.extra.get("reason") or "").strip():
        yield MSG_REASON
    if ext.audit is not None and ext.audit.state not in (AuditState.CLOSED, AuditState.CANCELLED):
        yield MSG_AUDIT_OPEN_REFUSE % {"state": ext.audit.get_state_display()}


# -- The table: the only place a transition's legality is decided ---------------------------
_C = Certification
_DECIDE = [
    decision_after_audits_closed,
    decision_maker_not_on_audit_team,
]

TABLE = {
    (_C, "start_review"): [],
    (_C, "reject"): [reason_given],
    (_C, "accept"): [
        application_meets_intake_conditions,
        audit_time_calculated,
        no_recent_suspension_or_withdrawal,
    ],
    (_C, "begin_stage1"): [],
    (_C, "repeat_stage1"): [second_stage1_justified],
    (_C, "begin_stage2"): [stage2_after_stage1_ready],
    (_C, "submit_for_decision"): [stage2_closed_before_submission],
    (_C, "new_stage2"): [new_stage2_justified],
    (_C, "grant"): [
        stage2_audit_awaiting_decision,
        findings_cleared_within_stage2_limit,
        *_DECIDE,
        no_conflict_of_interest,
        soa_version_recorded,
    ],
    (_C, "refuse"): [reason_given, *_DECIDE, no_conflict_of_interest],
    (_C, "recertify"): [
        recertification_before_expiry,
        recertification_audit_awaiting_decision,
        findings_cleared,
        *_DECIDE,
        no_conflict_of_interest,
        soa_version_recorded,
    ],
    (_C, "expire"): [expiry_date_passed],
    (_C, "restore_after_expiry"): [
        restoration_within_window,
        recertification_audit_awaiting_decision,
        findings_cleared,
        *_DECIDE,
        no_conflict_of_interest,
        soa_version_recorded,
    ],
    (_C, "suspend"): [reason_given, suspension_not_past_expiry, no_conflict_of_interest],
    (_C, "lift_suspension"): [
        reason_given,
        suspension_deadline_not_passed,
        not_past_expiry,
        no_conflict_of_interest,
    ],
    (_C, "withdraw"): [reason_given, withdrawal_not_past_expiry, no_conflict_of_interest],
    (_C, "reduce_scope"): [
        reason_given,
        not_past_expiry,
        new_scope_written,
        no_conflict_of_interest,
        soa_version_recorded,
    ],
    (_C, "extend_scope"): [
        reason_given,
        not_past_expiry,
        new_scope_written,
        extension_granted,
        no_conflict_of_interest,
        soa_version_recorded,
    ],
    (_C, "reapply"): [new_application_given],
    (_C, "import_existing"): [imported_certificate_consistent],
    (ScopeExtension, "review"): [extension_review_decides_audit],
    (ScopeExtension, "plan_audit"): [extension_audit_plannable],
    (ScopeExtension, "grant"): [
        extension_audit_closed,
        extension_of_active_certification,
        extension_decision_independent,
        extension_findings_cleared,
        extension_scope_change_allowed,
    ],
    (ScopeExtension, "refuse"): [extension_refusal_reasoned, extension_decision_independent],
}
