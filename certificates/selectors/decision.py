"""What a decision maker decides on (ISO/IEC 17021-1 9.5): the audits of the decision, their
team and recommendation, every finding and its closure, the audit time planned against
delivered, the conflicts of interest checked; and the list of certifications awaiting a
decision.

Reads only: the decision is taken through certificates.services (core/actions.py ``take``).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, F, OuterRef, Value

from audits.impartiality import decision_conflicts
from audits.models import Audit, AuditKind, AuditRole, AuditState, RelationshipDeclaration
from core.need_to_know import visible
from infra.paging import MergedRows

from ..models import Certification, Decision, State
from ..rules import DECIDED_AUDIT_KINDS
from .timeline import team_of

# The decisions that rest on audits, in the order a page offers them.
DECISIONS_ON_AUDITS = ("grant", "refuse", "recertify", "restore_after_expiry")
# The decisions that rest on audits, by the state the certification is in.
_BY_STATE = {
    State.DECISION_PENDING: ("grant", "refuse"),
    State.ACTIVE: ("recertify",),
    State.EXPIRED: ("restore_after_expiry",),
}


@dataclass
class AuditSummary:
    audit: Audit
    team: list[tuple[str, str]]
    findings: list
    needed_days: Decimal | None  # the calculated audit time (auditor-days)
    planned_days: int | None  # auditors x calendar days planned
    delivered_days: int | None  # auditors x calendar days held
    team_ids: set[int] = field(default_factory=set)

    @property
    def short(self) -> bool:
        """Delivered (or, not held yet, planned) less than the calculated audit time."""
        held = self.delivered_days if self.delivered_days is not None else self.planned_days
        return bool(self.needed_days and held is not None and held < self.needed_days)


@dataclass
class DecisionSummary:
    certification: Certification
    pending: bool  # a decision is awaited (else: the summary of the last decision taken)
    decision: Decision | None  # the last decision on audits, when none is awaited
    audits: list[AuditSummary]
    decider: object | None  # who the conflicts are checked for
    decider_on_team: bool
    conflicts: list[str]
    relationships: list  # every relationship declared with this client (barring or not)

    @property
    def findings(self):
        return [f for a in self.audits for f in a.findings]


def _days(start, end) -> int | None:
    if not start or not end:
        return None
    return (end - start).days + 1


def summarise_audit(audit) -> AuditSummary:
    bookings = [
        b for b in audit.bookings.all() if b.role in (AuditRole.TEAM_LEADER, AuditRole.AUDITOR)
    ]
    auditors = len(bookings) or (1 if audit.team_leader_id else 0)
    planned = _days(audit.planned_start, audit.planned_end)
    held = _days(audit.actual_start, audit.actual_end)
    return AuditSummary(
        audit=audit,
        team=team_of(audit),
        findings=sorted(audit.findings.all(), key=lambda f: (f.grade, f.raised_on, f.pk)),
        needed_days=audit.audit_days,
        planned_days=auditors * planned if planned is not None else None,
        delivered_days=auditors * held if held is not None else None,
        team_ids=audit.team_user_ids(),
    )


def awaited_decisions(cert) -> tuple[str, ...]:
    """The decisions on audits the certification's state allows (grant/refuse when pending;
    recertify when active; restore after expiry when expired)."""
    return _BY_STATE.get(cert.state, ())


def _audits_qs(cert, user):
    return (
        visible(Audit.objects.filter(certification=cert), user)
        .select_related("team_leader")
        .prefetch_related("bookings__auditor", "findings", "members")
        .order_by("planned_start", "pk")
    )


def decision_summary(cert, user, *, on: datetime.date) -> DecisionSummary:
    """The summary of the decision awaited on ``cert`` (or of its last decision on audits)."""
    names = awaited_decisions(cert)
    kinds = DECIDED_AUDIT_KINDS[names[0]] if names else ()
    undecided = cert.audits_under_decision(*kinds)
    audits = list(_audits_qs(cert, user).filter(pk__in=undecided.values("pk")))
    pending = bool(names) and (cert.state == State.DECISION_PENDING or bool(audits))
    decision = None
    if not pending:
        decision = (
            visible(Decision.objects.filter(certification=cert, audits__isnull=False), user)
            .select_related("decided_by")
            .order_by("-decided_on", "-pk")
            .first()
        )
        audits = list(_audits_qs(cert, user).filter(decision=decision)) if decision else []
    summaries = [summarise_audit(a) for a in audits]
    if decision is not None:
        decider = decision.decided_by
    elif user.has_perm("certificates.decide_certification"):
        decider = user
    else:
        decider = cert.decision_maker
    relationships = list(
        RelationshipDeclaration.objects.filter(client_id=cert.client_id)
        .select_related("profile__user")
        .order_by("-started_on", "pk")[:50]
    )
    return DecisionSummary(
        certification=cert,
        pending=pending,
        decision=decision,
        audits=summaries,
        decider=decider,
        decider_on_team=decider is not None and any(decider.pk in a.team_ids for a in summaries),
        conflicts=decision_conflicts(decider, client=cert.client, on=on) if decider else [],
        relationships=relationships,
    )


def awaiting_decision_parts(rows) -> tuple:
    """The two kinds of file awaiting a decision among ``rows``: submitted for decision, and
    active / expired with a closed recertification audit of this cycle no decision covers yet.
    Each is served by an index (certifications by state and since when; the few closed,
    undecided recertification audits); together, in one OR, by none."""
    waiting = Audit.objects.filter(
        kind=AuditKind.RECERTIFICATION, state=AuditState.CLOSED, decision__isnull=True
    )
    of_this_cycle = waiting.filter(certification=OuterRef("pk"), cycle=OuterRef("cycle"))
    submitted = rows.filter(state=State.DECISION_PENDING)
    recertified = rows.filter(
        Exists(of_this_cycle),
        state__in=[State.ACTIVE, State.EXPIRED],
        pk__in=waiting.values("certification_id"),
    )
    return submitted, recertified


def awaiting_decision_of(rows):
    """The certifications of ``rows`` awaiting a decision (the one definition: the decisions
    list and the home page's count): the union of ``awaiting_decision_parts``. Unordered."""
    submitted, recertified = awaiting_decision_parts(rows)
    return rows.filter(
        pk__in=submitted.order_by().values("pk").union(recertified.order_by().values("pk"))
    )


def _longest_waiting_first(row):
    # The querysets' own order: no date (a file from before state_since was recorded) last.
    return (row.state_since or datetime.date.max, row.pk)


def awaiting_decision(user) -> MergedRows:
    """Certifications awaiting a decision, as ``user`` may see them: the ones ``user`` is the
    designated decision maker of first, then the others; each longest waiting first. Rows for
    ``infra.paging.window`` and exports, read set by set (``MergedRows``): no sort of every
    file pending. ``row.mine`` is 0 for mine, 1 for the others'."""
    rows = visible(Certification.objects.all(), user).select_related(
        "client", "standard", "decision_maker"
    )
    groups = []
    for flag, narrow in (
        (0, lambda qs: qs.filter(decision_maker_id=user.pk)),
        (1, lambda qs: qs.exclude(decision_maker_id=user.pk)),
    ):
        groups.append(
            [
                narrow(part)
                .annotate(mine=Value(flag))
                .order_by(F("state_since").asc(nulls_last=True), "pk")
                for part in awaiting_decision_parts(rows)
            ]
        )
    return MergedRows(groups, key=_longest_waiting_first)
