"""The certification page: its facts and its timeline (applications, audits, findings,
decisions, certificate versions, state changes, reminders) merged and ordered by date.

Every query is bounded by the one certification (its client and standard, its audits): the
number of queries does not grow with the data, and each list is capped at ``LIMIT`` rows
(a certification has a handful of each in a cycle; the cap only guards against a runaway).
"""

import datetime
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm_log.models import StateLog

from audits.access import is_office
from audits.models import Audit, AuditRole
from clients.models import Application
from core.dates import local_today
from core.names import person_name
from core.need_to_know import visible
from core.notes import note_text
from core.transitions import transition_label
from reminders.models import Reminder

from ..bulk import OPENED, UPDATED
from ..models import Certificate, Certification, Decision, DecisionOutcome
from ..services.certificates import RECORD_SOA_VERSION
from ..services.decisions import DESIGNATE_DECISION_MAKER
from ..services.stages import RECORD_SURVEILLANCE

LIMIT = 200

# History rows that are not transitions of the model (the services write them).
OTHER_CHANGES = {
    RECORD_SURVEILLANCE: _("Surveillance counted"),
    DESIGNATE_DECISION_MAKER: _("Decision maker designated"),
    RECORD_SOA_VERSION: _("Statement of Applicability version recorded"),
    # The history rows of the bulk writes (certificates/bulk.py): opening from an application
    # or a client list, and a client list's re-scoping.
    OPENED: _("Certification opened"),
    UPDATED: _("Certification updated from a client list"),
}


@dataclass
class Entry:
    """One line of the timeline. ``when`` is a date (an event dated by the person who
    recorded it) or an aware datetime (a moment the system recorded); ``kind`` names the
    source ("application", "audit", "finding", "decision", "certificate", "state",
    "reminder") for the page's styling; ``tag`` a short state word, ``tone`` ok/warn/bad."""

    when: datetime.date | datetime.datetime
    kind: str
    title: str
    detail: str = ""
    who: str = ""
    tag: str = ""
    tone: str = ""
    obj: object = None
    links: list = field(default_factory=list)

    @property
    def day(self) -> datetime.date:
        if isinstance(self.when, datetime.datetime):
            return (
                timezone.localtime(self.when).date()
                if timezone.is_aware(self.when)
                else (self.when.date())
            )
        return self.when

    @property
    def sort_key(self):
        moment = self.when if isinstance(self.when, datetime.datetime) else None
        # Within a day: recorded moments after the dated events of that day.
        return (self.day, moment is not None, moment.timestamp() if moment else 0)


def certification_for_page(user, pk) -> Certification:
    """The certification with what its page reads in one query; Certification.DoesNotExist
    when ``user`` may not see it."""
    return (
        visible(Certification.objects.all(), user)
        .select_related("client", "standard", "application", "decision_maker")
        .get(pk=pk)
    )


def certification_audits(cert, user) -> list[Audit]:
    """The certification's audits ``user`` may see, with their team and findings."""
    return list(
        visible(Audit.objects.filter(certification=cert), user)
        .select_related("team_leader", "decision")
        .prefetch_related("bookings__auditor", "findings", "members")
        .order_by("planned_start", "pk")[:LIMIT]
    )


def team_of(audit) -> list[tuple[str, str]]:
    """(name, role) of the audit's team, the team leader first (from its bookings)."""
    order = {AuditRole.TEAM_LEADER: 0, AuditRole.AUDITOR: 1, AuditRole.TECHNICAL_EXPERT: 2}
    bookings = sorted(
        (b for b in audit.bookings.all() if b.auditor_id),
        key=lambda b: (order.get(b.role, 3), person_name(b.auditor)),
    )
    team = [(person_name(b.auditor), b.get_role_display()) for b in bookings]
    if not team and audit.team_leader_id:
        team = [(person_name(audit.team_leader), str(AuditRole.TEAM_LEADER.label))]
    return team


def _application_entries(cert, user) -> list[Entry]:
    applications = (
        visible(Application.objects.all(), user)
        .filter(client_id=cert.client_id, standards=cert.standard_id)
        .order_by("received_on", "pk")[:LIMIT]
    )
    return [
        Entry(
            when=a.received_on,
            kind="application",
            title=str(_("Application received")),
            detail=a.scope,
            obj=a,
        )
        for a in applications
    ]


def _audit_entries(audits) -> list[Entry]:
    entries = []
    for audit in audits:
        team = ", ".join(name for name, _role in team_of(audit))
        days = f"{audit.planned_start.isoformat()} - {audit.planned_end.isoformat()}"
        entries.append(
            Entry(
                when=audit.actual_start or audit.planned_start,
                kind="audit",
                title=str(audit.get_kind_display()),
                detail=days + (f" · {team}" if team else ""),
                tag=audit.get_state_display(),
                tone={"closed": "ok", "cancelled": "bad"}.get(audit.state, ""),
                obj=audit,
            )
        )
        if audit.recommendation:
            entries.append(
                Entry(
                    when=audit.actual_end or audit.planned_end,
                    kind="audit",
                    title=str(_("Audit report: %(recommendation)s"))
                    % {"recommendation": audit.get_recommendation_display()},
                    detail=str(audit.get_kind_display()),
                    obj=audit,
                )
            )
        for finding in audit.findings.all():
            entries.append(
                Entry(
                    when=finding.raised_on,
                    kind="finding",
                    title=str(finding.get_grade_display()),
                    detail=" ".join(x for x in (finding.clause, finding.description) if x),
                    tag=finding.get_state_display(),
                    tone="ok" if finding.state in ("verified", "noted") else "warn",
                    obj=finding,
                )
            )
    return entries


def _decision_entries(cert, user) -> list[Entry]:
    decisions = (
        visible(Decision.objects.filter(certification=cert), user)
        .select_related("decided_by")
        .order_by("decided_on", "pk")[:LIMIT]
    )
    bad = {DecisionOutcome.REFUSE, DecisionOutcome.SUSPEND, DecisionOutcome.WITHDRAW}
    return [
        Entry(
            when=d.decided_on,
            kind="decision",
            # A withdrawal says its kind of ending (withdrawn 撤销 or cancelled 注销).
            title=str(_("Decision: %(outcome)s"))
            % {"outcome": d.get_ending_display() if d.ending else d.get_outcome_display()},
            detail=note_text(d.reason),
            who=person_name(d.decided_by) if d.decided_by_id else str(_("the system")),
            tone="bad" if d.outcome in bad else "ok",
            obj=d,
        )
        for d in decisions
    ]


def _certificate_entries(versions) -> list[Entry]:
    return [
        Entry(
            when=c.effective_date,
            kind="certificate",
            title=str(_("Certificate %(number)s issued")) % {"number": c.full_number},
            detail=str(_("valid until %(day)s")) % {"day": c.expiry_date.isoformat()},
            tag=c.get_status_display(),
            tone="ok" if c.status == "current" else "",
            obj=c,
        )
        for c in versions
    ]


def _state_entries(cert) -> list[Entry]:
    kind = ContentType.objects.get_for_model(Certification)
    logs = (
        StateLog.objects.filter(content_type=kind, object_id=cert.pk)
        .select_related("by")
        .order_by("timestamp", "pk")[:LIMIT]
    )
    states = dict(Certification._meta.get_field("state").flatchoices)
    entries = []
    for log in logs:
        if hasattr(Certification, log.transition):
            title = transition_label(Certification, log.transition)
        else:
            title = str(OTHER_CHANGES.get(log.transition, log.transition))
        moved = ""
        if log.source_state and log.source_state != log.state:
            moved = f"{states.get(log.source_state, log.source_state)} → "
            moved += str(states.get(log.state, log.state))
        entries.append(
            Entry(
                when=log.timestamp,
                kind="state",
                title=str(title),
                detail=" · ".join(x for x in (moved, note_text(log.description or "")) if x),
                who=person_name(log.by) if log.by_id else str(_("the system")),
                obj=log,
            )
        )
    return entries


def _reminder_entries(cert, audits) -> list[Entry]:
    """The reminders about the certification and its audits, one line per kind and due
    date (a reminder goes to several people and at several lead times)."""
    types = ContentType.objects.get_for_models(Certification, Audit)

    def lines(reminders):
        # One row per (kind, due date), acknowledged when any of its reminders is; the most
        # recent deadlines first, so the limit drops the oldest (never an arbitrary few).
        return list(
            reminders.values_list("kind", "due_date")
            .annotate(done=Max("acknowledged_at"))
            .order_by("-due_date", "kind")[:LIMIT]
        )

    rows = lines(Reminder.objects.filter(content_type=types[Certification], object_id=cert.pk))
    audit_ids = [a.pk for a in audits]
    if audit_ids:
        rows += lines(Reminder.objects.filter(content_type=types[Audit], object_id__in=audit_ids))
    kinds = dict(Reminder._meta.get_field("kind").flatchoices)
    seen: dict[tuple, bool] = {}
    for kind, due, acknowledged in rows:
        seen[(kind, due)] = seen.get((kind, due), False) or acknowledged is not None
    today = local_today()
    return [
        Entry(
            when=due,
            kind="reminder",
            title=str(_("Reminder: %(kind)s")) % {"kind": kinds.get(kind, kind)},
            tag=str(_("acknowledged")) if done else "",
            tone="ok" if done else ("bad" if due < today else "warn"),
        )
        for (kind, due), done in seen.items()
    ]


def timeline(cert, user, *, audits, versions) -> list[Entry]:
    """Everything that happened to ``cert`` (and what is due: reminders, for the office),
    newest first. ``audits``: the audits ``user`` may see (``certification_audits``);
    ``versions``: its certificate versions (``certificate_versions``)."""
    entries = [
        *_application_entries(cert, user),
        *_audit_entries(audits),
        *_decision_entries(cert, user),
        *_certificate_entries(versions),
        *_state_entries(cert),
    ]
    if is_office(user):
        entries += _reminder_entries(cert, audits)
    entries.sort(key=lambda e: e.sort_key, reverse=True)
    return entries


def certificate_versions(cert, user) -> list[Certificate]:
    """The certification's certificate versions, newest first."""
    rows = visible(Certificate.objects.filter(certification=cert), user)
    return list(rows.order_by("-version")[:LIMIT])
