"""The staff search box's client half: which clients a typed text means.

A text may be part of a client's name (Chinese or Latin, full-width or not), its credit code
(registration id) or its city. Each is looked up through an index, never a scan of a million
clients:

- the name as the public name search does it (certificates/selectors_public.py): a LIKE on
  ``Client.search_text`` (normalised names), answered on PostgreSQL by the pg_trgm GIN index
  (clients/migrations/0007) for 3 characters or more, and by the bigram GIN index on
  ``search_grams`` (0006) for shorter text (a 2-character Chinese name such as 华为);
- the credit code exactly (the unique constraint's index), normalised like the client form;
- the city exactly (the ``client_city_name`` index), with and without a trailing 市 and in the
  usual Latin capitalisation ("shanghai" finds "Shanghai").

The admin's client search (``icontains`` on four columns) scans the table; this does not.
"""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.lookups import DataContains
from django.db import connection
from django.db.models import F, Func, Q, QuerySet, TextField, Value

from ..models import Client, normalise_search, token_grams
from ..validators import normalise_uscc

# Each GIN posting list is one more list to intersect: a few grams pin the candidates down,
# LIKE decides (see certificates.selectors_public.query_grams, the same reasoning).
MAX_QUERY_GRAMS = 6
# The lists' text filter keeps the records of at most this many matching clients.
MAX_MATCHING = 1000


def _query_grams(needle: str) -> list[str]:
    """Bigrams every client whose search_text contains ``needle`` holds in search_grams: the
    first and last tokens may be parts of longer words, so a one-character token at either
    end gives none; of the others every non-overlapping bigram."""
    tokens = needle.split()
    grams: dict[str, None] = {}
    for i, token in enumerate(tokens):
        if len(token) < 2:
            if i not in (0, len(tokens) - 1):
                grams.update(dict.fromkeys(token_grams(token)))
            continue
        last = len(token) - 2
        grams.update(dict.fromkeys(token[j : j + 2] for j in [*range(0, last, 2), last]))
    return list(grams)[:MAX_QUERY_GRAMS]


def _city_variants(text: str) -> list[str]:
    """The spellings of a typed city stored cities may have: 上海 / 上海市, shanghai / Shanghai."""
    text = " ".join(text.split())
    if not text:
        return []
    variants = {text, text.title(), text.upper()}
    if text.endswith("市") and len(text) > 1:
        variants.add(text[:-1])
    elif not text.isascii():
        variants.add(f"{text}市")
    return sorted(variants)


def _grams_contain(grams: list[str]):
    """``string_to_array(search_grams, ' ') @> grams``: the bigram GIN index's own expression
    (clients/migrations/0006; Django binds on the client, so the ' ' reaches the planner as a
    literal and the expression matches the index's)."""
    as_array = Func(
        F("search_grams"),
        Value(" "),
        function="string_to_array",
        output_field=ArrayField(TextField()),
    )
    return DataContains(as_array, Value(grams, output_field=ArrayField(TextField())))


def name_condition(text: str) -> Q | None:
    """Legal or English name contains ``text`` (normalised: full-width, case and spaces do not
    matter); None for text with nothing to look for."""
    needle = normalise_search(text)
    if not needle:
        return None
    condition = Q(search_text__contains=needle)
    if connection.vendor == "postgresql" and len(needle.replace(" ", "")) < 3:
        grams = _query_grams(needle)
        if grams:
            condition &= Q(_grams_contain(grams))
    return condition


def code_or_city_condition(text: str) -> Q | None:
    """Credit code (as typed or normalised like the client form) or city is ``text``."""
    cities = _city_variants(text)
    if not cities:
        return None
    condition = Q(city__in=cities)
    code = normalise_uscc(text)
    if code:
        condition |= Q(registration_id__in={code, text.strip()})
    return condition


def client_condition(text: str) -> Q | None:
    """Any of the above: what the lists' ``q`` filter keeps."""
    parts = [c for c in (code_or_city_condition(text), name_condition(text)) if c is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else parts[0] | parts[1]


def matching_clients(queryset: QuerySet, text: str, *, cap: int = MAX_MATCHING) -> QuerySet:
    """The ids of at most ``cap`` clients of ``queryset`` that ``text`` means, as a subquery
    for ``client__in`` (a common word matches a million clients: the lists filtered by it
    show those of the first ``cap`` found, and the person refines the text)."""
    condition = client_condition(text)
    if condition is None:
        return queryset.none().values("pk")
    return queryset.filter(condition).order_by().values("pk")[:cap]


def matching_client_ids(queryset: QuerySet, text: str, *, cap: int = MAX_MATCHING) -> list[int]:
    """``matching_clients`` read at once: the lists filter by this short list of ids (the
    planner sees the real number of clients, where a subquery's LIKE estimate can mislead it
    into walking a whole index in order)."""
    return list(matching_clients(queryset, text, cap=cap).values_list("pk", flat=True))


def client_search(queryset: QuerySet, text: str, *, limit: int) -> tuple[list[Client], bool]:
    """At most ``limit`` clients of ``queryset`` that ``text`` means (credit code and city
    matches first, then name matches, each sorted by name) and whether there were more. Two
    queries. Neither is ordered in SQL: "LIKE '%有限公司%' ORDER BY legal_name" over a
    million clients would sort every match; the first ``limit`` + 1 found are enough to show
    some and say "more" (the person refines the text)."""
    text = (text or "").strip()
    if not text:
        return [], False
    exact_q, name_q = code_or_city_condition(text), name_condition(text)
    exact = []
    if exact_q is not None:
        exact = sorted(queryset.filter(exact_q).order_by()[: limit + 1], key=_by_name)
    by_name = []
    if name_q is not None:
        names = queryset.filter(name_q).order_by()
        if exact:
            names = names.exclude(pk__in=[c.pk for c in exact])
        by_name = sorted(names[: limit + 1], key=_by_name)
    found = exact + by_name
    return found[:limit], len(found) > limit


def _by_name(client: Client):
    return (client.legal_name, client.pk)
