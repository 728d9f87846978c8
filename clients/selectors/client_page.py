"""Everything about one client on one page (the workspace's client page): its sites, contacts,
penalties, applications with their documents, certifications, audits, findings, decisions and
the state history of its certifications and audits.

A client has few rows of each, so each list is one query (a fixed number in all, whatever the
size of the database): the client's foreign key is indexed on every table read here. The
certificates and audits apps sit above this one, so their models are looked up by name
(django.apps, as audits/access.py does), not imported; each list goes through
core.need_to_know.visible, so an auditor sees only the certifications, audits and findings
of the audits they are on.
"""

from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch
from django_fsm_log.models import StateLog

from core.need_to_know import visible

from ..models import ApplicationDocument, Client

# How many history rows the page shows (newest first); the certification page has the rest.
HISTORY_LIMIT = 60


@dataclass
class ClientPage:
    client: Client
    sites: list = field(default_factory=list)
    contacts: list = field(default_factory=list)
    penalties: list = field(default_factory=list)
    applications: list = field(default_factory=list)
    certifications: list = field(default_factory=list)
    audits: list = field(default_factory=list)
    findings: list = field(default_factory=list)
    decisions: list = field(default_factory=list)
    documents: list = field(default_factory=list)
    history: list = field(default_factory=list)


def client_page(client: Client, user) -> ClientPage:
    """The client page's rows for ``user`` (``client`` is one ``user`` may see)."""
    page = ClientPage(client=client)
    page.sites = list(visible(client.sites.all(), user))
    page.contacts = list(visible(client.contacts.order_by("-is_primary", "name"), user))
    # Penalties follow the client (an auditor who sees the client sees its penalties).
    page.penalties = list(client.penalties.all())
    documents = ApplicationDocument.objects.select_related("required_document__standard")
    page.applications = list(
        visible(client.applications.all(), user)
        .prefetch_related(
            "standards",
            "sites",
            Prefetch("documents", queryset=documents),
            Prefetch("certifications", queryset=_certifications(client, user)),
        )
        .order_by("-received_on", "-pk")
    )
    page.documents = [
        (application, doc)
        for application in page.applications
        for doc in application.documents.all()
        if doc.file
    ]
    page.certifications = list(_certifications(client, user).select_related("application"))
    Audit = apps.get_model("audits", "Audit")
    Finding = apps.get_model("audits", "Finding")
    Decision = apps.get_model("certificates", "Decision")
    page.audits = list(
        visible(Audit.objects.filter(certification__client=client), user)
        .select_related("certification__standard", "team_leader")
        .prefetch_related("members")
        .order_by("-planned_start", "-pk")
    )
    page.findings = list(
        visible(Finding.objects.filter(audit__certification__client=client), user)
        .select_related("audit__certification__standard")
        .order_by("-raised_on", "-pk")
    )
    page.decisions = list(
        visible(Decision.objects.filter(certification__client=client), user)
        .select_related("certification__standard", "decided_by")
        .order_by("-decided_on", "-pk")
    )
    page.history = _history(page.certifications, page.audits)
    return page


def _certifications(client, user):
    return (
        visible(client.certifications.all(), user)
        .select_related("standard")
        .order_by("standard__code", "pk")
    )


def _history(certifications, audits) -> list:
    """The django-fsm-log rows of these certifications and audits, newest first; each with
    ``subject`` set to its certification or audit."""
    subjects = {}
    for rows in (certifications, audits):
        if rows:
            kind = ContentType.objects.get_for_model(type(rows[0]))
            for obj in rows:
                subjects[(kind.pk, obj.pk)] = obj
    if not subjects:
        return []
    kinds = {k for k, _pk in subjects}
    logs = []
    for kind in kinds:
        ids = [pk for k, pk in subjects if k == kind]
        logs += list(
            StateLog.objects.filter(content_type_id=kind, object_id__in=ids)
            .select_related("by")
            .order_by("-timestamp", "-pk")[:HISTORY_LIMIT]
        )
    logs.sort(key=lambda log: (log.timestamp, log.pk), reverse=True)
    for log in logs[:HISTORY_LIMIT]:
        log.subject = subjects[(log.content_type_id, log.object_id)]
    return logs[:HISTORY_LIMIT]
