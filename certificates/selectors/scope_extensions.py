"""Scope extensions in the workspace: the list (open ones first), one extension's page (its
facts, the client's sites it may add, its history) and the extensions of one certification.

Every read goes through core.need_to_know.visible (an auditor sees the extensions of the
certifications of their audits only). Queries are bounded: the page reads one extension and
its few relations, the certification's block at most ``LIMIT`` rows, the list a window.
"""

from dataclasses import dataclass

from django.db.models import Case, F, IntegerField, Value, When
from django_fsm_log.models import StateLog

from core.names import person_name
from core.need_to_know import visible
from core.notes import note_text
from core.transitions import transition_label

from ..models import ExtensionState, ScopeExtension

LIMIT = 50
OPEN_STATES = (ExtensionState.APPLIED, ExtensionState.REVIEWED, ExtensionState.AUDIT_PLANNED)
DECIDED_STATES = (ExtensionState.GRANTED, ExtensionState.REFUSED)

_RELATED = (
    "certification__client",
    "certification__standard",
    "audit",
    "reviewed_by",
    "decided_by",
)


def extension_for_page(user, pk) -> ScopeExtension:
    """The extension ``user`` may see, with what its page shows (ScopeExtension.DoesNotExist
    otherwise: the page answers 404, never confirming it exists)."""
    rows = visible(ScopeExtension.objects.all(), user)
    return rows.select_related(*_RELATED).prefetch_related("sites").get(pk=pk)


def extensions_list(user, *, states=(), certification=None, client=None):
    """The extensions ``user`` may see, filtered; open ones first (the oldest application
    first: it has waited longest), then the decided ones, newest first."""
    rows = visible(ScopeExtension.objects.all(), user).select_related(
        "certification__client", "certification__standard", "audit", "decided_by"
    )
    if states:
        rows = rows.filter(state__in=states)
    if certification:
        rows = rows.filter(certification_id=certification)
    if client:
        rows = rows.filter(certification__client_id=client)
    decided = Case(
        When(state__in=OPEN_STATES, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    waiting_since = Case(When(state__in=OPEN_STATES, then=F("received_on")))
    return rows.order_by(
        decided, waiting_since.asc(nulls_last=True), F("received_on").desc(), F("pk").desc()
    )


def extensions_of(certification, user) -> list[ScopeExtension]:
    """The extensions of one certification (visible to ``user``), newest first."""
    rows = visible(certification.scope_extensions.all(), user)
    return list(rows.order_by("-received_on", "-pk")[:LIMIT])


@dataclass
class HistoryRow:
    when: object
    label: str
    who: str
    note: str


def extension_history(extension) -> list[HistoryRow]:
    """The extension's transitions (django-fsm-log), newest first, in the reader's language."""
    logs = StateLog.objects.for_(extension).select_related("by").order_by("-timestamp", "-pk")
    return [
        HistoryRow(
            when=log.timestamp,
            label=transition_label(extension, log.transition),
            who=person_name(log.by) if log.by_id else "",
            note=note_text(log.description or ""),
        )
        for log in logs[:LIMIT]
    ]
