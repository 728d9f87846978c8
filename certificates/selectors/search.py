"""The staff search box: certifications and audits a typed text means.

A certificate number is as tolerant as the public lookup (certificates/selectors_public.py):
full-width, lower case, spaces and hyphens do not matter, and a version suffix (``-V2``) finds
its certification; it goes through the ``number_key`` index of the certificate versions, then
the certification's own ``certificate_number`` index for a number no version was issued under
yet. Clients come from clients/selectors/search.py (name, credit code, city); certifications
and audits of those clients follow. Every read is narrowed by ``visible`` (need-to-know: an
auditor finds only the records of the audits they are on), and the number of queries is fixed
whatever the data.
"""

from dataclasses import dataclass, field

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from audits.access import is_office
from audits.models import Audit, AuditState
from clients.models import Client
from clients.selectors.search import client_search
from core.need_to_know import visible

from ..models import Certificate, Certification, number_key
from ..selectors_public import _VERSION_SUFFIX

# Each group of the results shows this many rows, then "more" leads to the filtered list.
GROUP_LIMIT = 20
# A typed text longer than this is no number, name or code anyone types.
MAX_TEXT = 200


@dataclass
class SearchResults:
    text: str
    clients: list = field(default_factory=list)
    more_clients: bool = False
    certifications: list = field(default_factory=list)
    more_certifications: bool = False
    audits: list = field(default_factory=list)
    more_audits: bool = False
    # The certification a typed certificate number names exactly (None when it names none).
    number_hit: Certification | None = None

    @property
    def empty(self) -> bool:
        return not (self.clients or self.certifications or self.audits)


def number_keys(text: str) -> list[str]:
    """The ``number_key`` values a typed number may have: the whole key and, when it ends in a
    version suffix (V2), the key without it. Empty when the text has no digit."""
    key = number_key(text)
    if not any(ch.isdigit() for ch in key) or len(key) > 40:
        return []
    match = _VERSION_SUFFIX.match(key)
    return [key, match["base"]] if match else [key]


def certification_by_number(queryset: QuerySet, text: str) -> Certification | None:
    """The certification of ``queryset`` whose certificate number ``text`` is (tolerantly), or
    None. Two indexed queries at most."""
    keys = number_keys(text)
    if not keys:
        return None
    ids = (
        Certificate.objects.filter(number_key__in=keys)
        .order_by("-version")
        .values_list("certification_id", flat=True)[:1]
    )
    found = queryset.filter(pk__in=list(ids)).first() if ids else None
    if found is None:
        # Unordered: an ORDER BY the primary key may walk that index instead of this one.
        raw = {text.strip(), text.strip().upper()}
        rows = list(queryset.filter(certificate_number__in=raw).order_by()[:1])
        found = rows[0] if rows else None
    return found


def _certifications(user) -> QuerySet:
    return visible(Certification.objects.all(), user).select_related(
        "client", "standard", "decision_maker"
    )


def _audits(user) -> QuerySet:
    return visible(Audit.objects.all(), user).select_related(
        "certification__client", "certification__standard", "team_leader"
    )


# An auditor's clients are read first when they are at most this many: a common two-character
# name matches a hundred thousand clients through the name index, and intersecting them with
# the auditor's few took up to 400 ms; filtering the auditor's few by name takes a few.
FEW_CLIENTS = 2000


def _clients(user) -> QuerySet:
    """The clients ``user`` may see, as the name search reads them best."""
    clients = visible(Client.objects.all(), user)
    if is_office(user):
        return clients
    ids = list(clients.order_by().values_list("pk", flat=True)[: FEW_CLIENTS + 1])
    return clients if len(ids) > FEW_CLIENTS else Client.objects.filter(pk__in=ids)


def search(text: str, *, user, limit: int = GROUP_LIMIT) -> SearchResults:
    """What ``text`` means to ``user``: the clients (name, credit code, city), their
    certifications (the numbered one first) and their audits (open ones first, soonest
    first), each group at most ``limit`` rows with whether there were more."""
    text = " ".join((text or "").split())[:MAX_TEXT]
    results = SearchResults(text=text)
    if not text:
        return results
    results.number_hit = certification_by_number(_certifications(user), text)
    clients, results.more_clients = client_search(_clients(user), text, limit=limit)
    results.clients = clients
    client_ids = [c.pk for c in clients]

    condition = Q(client_id__in=client_ids)
    hit = results.number_hit
    if hit is not None:
        condition |= Q(pk=hit.pk)
    if client_ids or hit is not None:
        # At most one certification per client and standard (a unique constraint): a few
        # rows for a few clients, read whole and sorted here (an ORDER BY the client's name
        # lets the planner walk the name index of every client instead).
        # The clients are in hand: not joined again (a join the planner may hash over every
        # client).
        by_id = {c.pk: c for c in clients}
        rows = list(
            visible(Certification.objects.all(), user)
            .filter(condition)
            .select_related("standard", "decision_maker")
            .order_by()
        )
        for row in rows:
            if row.client_id in by_id:
                row.client = by_id[row.client_id]
            elif hit is not None and row.pk == hit.pk:
                row.client = hit.client
        rows.sort(key=lambda c: (c.client.legal_name, c.standard.code, c.pk))
        if hit is not None:
            rows = [hit] + [c for c in rows if c.pk != hit.pk]
        results.certifications = rows[:limit]
        results.more_certifications = len(rows) > limit

    certification_ids = [c.pk for c in results.certifications]
    if certification_ids:
        open_first = Case(
            When(state__in=[AuditState.CLOSED, AuditState.CANCELLED], then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
        rows = list(
            _audits(user)
            .filter(certification_id__in=certification_ids)
            .order_by(open_first, "planned_start", "pk")[: limit + 1]
        )
        results.audits = rows[:limit]
        results.more_audits = len(rows) > limit
    return results
