"""Reads for the public verification pages and API (certificates/public.py).

Only what ISO/IEC 17021-1 lets anyone see is ever loaded (``.only(...)``): the client's names,
city and country; the standard and edition; the certificate's number, version, scope, dates and
status. Private fields (contacts, personnel, registration id, address, notes, findings,
decisions' reasons) are not even read from the database, so no template can leak them.

Every function issues a fixed number of queries whatever the data:

- ``certificate_lookup(text)``: one query on the ``number_key`` index;
- ``search_by_name(text)``: one query; on PostgreSQL the GIN index on the client's name grams
  narrows the rows before ``LIKE`` (clients/migrations/0006);
- ``search(text)``: both, for text that looks like a number (has a digit), else the name only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Exists, F, Func, OuterRef

from clients.models import normalise_search, token_grams

from .models import Certificate, number_key

MAX_RESULTS = 50

# The columns the public pages read (the pk and foreign keys come with select_related).
PUBLIC_FIELDS = (
    "number",
    "number_key",
    "version",
    "scope",
    "effective_date",
    "expiry_date",
    "original_certification_date",
    "status",
    "gap_from",
    "gap_to",
    "decision",
    "standard__code",
    "standard__edition",
    "certification__state",
    "certification__expired_on",
    "certification__client__legal_name",
    "certification__client__english_name",
    "certification__client__city",
    "certification__client__country",
)

_VERSION_SUFFIX = re.compile(r"^(?P<base>.*[0-9A-Z])V(?P<version>[0-9]{1,4})$")


def public_certificates():
    """Certificates with only their public fields, joined to what the pages show."""
    return Certificate.objects.select_related(
        "standard", "certification", "certification__client"
    ).only(*PUBLIC_FIELDS)


@dataclass
class Lookup:
    """A certificate number looked up: the version asked for (the newest when the number had
    no version suffix) and every version of that certificate, newest first."""

    certificate: Certificate
    versions: list[Certificate]

    @property
    def newest(self) -> Certificate:
        return self.versions[0]

    @property
    def superseded(self) -> bool:
        return self.certificate.version != self.newest.version


def _number_keys(text: str) -> tuple[str, str | None, int | None]:
    """(whole key, key without a version suffix, that version) of a typed number."""
    key = number_key(text)
    match = _VERSION_SUFFIX.match(key)
    if not match:
        return key, None, None
    return key, match["base"], int(match["version"])


def certificate_lookup(text: str) -> Lookup | None:
    """The certificate a person means by ``text`` ("cb itsm 000042 v2", full-width too):
    the whole key first (a number without version: its newest version), then the key without
    a trailing V<digits> and that version. One query; None when nothing matches."""
    key, base, version = _number_keys(text)
    if not key or len(key) > Certificate._meta.get_field("number_key").max_length:
        return None
    keys = [key] if base is None else [key, base]
    rows = list(public_certificates().filter(number_key__in=keys).order_by("-version"))
    whole = [c for c in rows if c.number_key == key]
    if whole:
        return Lookup(certificate=whole[0], versions=whole)
    versions = [c for c in rows if c.number_key == base]
    for candidate in versions:
        if candidate.version == version:
            return Lookup(certificate=candidate, versions=versions)
    return None


class GramsContain(Func):
    """PostgreSQL: ``string_to_array(<field>, ' ') @> <grams>::text[]``, the expression of the
    GIN index of clients/migrations/0006 (the planner uses the index only for this exact
    expression)."""

    output_field = BooleanField()

    def __init__(self, field, grams):
        super().__init__(F(field))
        self.grams = list(grams)

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"string_to_array({sql}, ' ') @> %s::text[]", (*params, self.grams)


MAX_QUERY_GRAMS = 6


def query_grams(search_text: str) -> list[str]:
    """Grams every matching client's search_grams must hold (a subset is enough: LIKE decides).

    The first and last tokens of the query may be parts of longer words, so only their bigrams
    count (a one-character token at either end gives none); tokens in between are whole words.
    Of each token only non-overlapping bigrams are kept (positions 0, 2, 4, ... and the last),
    at most MAX_QUERY_GRAMS in all: each gram is one GIN posting list to intersect, and for a
    common word ("technology") the full set made the index scan cost 50 ms on 200k clients
    while the planner's estimate of its rows went far too low."""
    tokens = search_text.split()
    grams = {}
    for i, token in enumerate(tokens):
        if len(token) < 2 and i in (0, len(tokens) - 1):
            continue
        every = token_grams(token) if len(token) < 2 else None
        if every is None:
            last = len(token) - 2
            every = [token[j : j + 2] for j in [*range(0, last, 2), last]]
        grams.update(dict.fromkeys(every))
    return list(grams)[:MAX_QUERY_GRAMS]


@dataclass
class SearchResult:
    certificates: list[Certificate]  # one per certification: its newest version
    more: bool  # more than MAX_RESULTS matched: the person should refine the search


def search_by_name(text: str, *, limit: int = MAX_RESULTS) -> SearchResult:
    """Certifications of listed clients whose legal or English name contains ``text``
    (normalised like Client.search_text), each with its newest certificate version. A
    certificate row exists only once a certification was granted, so applications and drafts
    never appear. At most ``limit`` (+1 to know there are more), in no particular order from
    the database (an ORDER BY over a huge match set would sort it all), then by name here."""
    needle = normalise_search(text)
    if not needle:
        return SearchResult([], False)
    newer = Certificate.objects.filter(
        certification_id=OuterRef("certification_id"), version__gt=OuterRef("version")
    )
    qs = public_certificates().filter(
        certification__client__restricted_listing=False,
        certification__client__search_text__contains=needle,
    )
    grams = query_grams(needle)
    if connection.vendor == "postgresql" and grams:
        qs = qs.filter(GramsContain("certification__client__search_grams", grams))
    # order_by(): no ORDER BY (Certificate's default -version would sort the whole match set).
    rows = list(qs.filter(~Exists(newer)).order_by()[: limit + 1])
    more = len(rows) > limit
    rows = sorted(rows[:limit], key=_display_order)
    return SearchResult(rows, more)


def _display_order(certificate):
    client = certificate.certification.client
    return (client.legal_name, certificate.standard.code, certificate.number)


def looks_like_number(text: str) -> bool:
    """Whether ``text`` may be a certificate number (numbers always have digits)."""
    return any(ch.isdigit() for ch in number_key(text))


def search(text: str) -> SearchResult:
    """The search box: a certificate number (any certification, restricted listing or not)
    and company names, one result per certification with its newest version; the number's
    certification first."""
    found = []
    if looks_like_number(text):
        lookup = certificate_lookup(text)
        if lookup is not None:
            found.append(lookup.newest)
    by_name = search_by_name(text)
    seen = {c.certification_id for c in found}
    found.extend(c for c in by_name.certificates if c.certification_id not in seen)
    return SearchResult(found[:MAX_RESULTS], by_name.more or len(found) > MAX_RESULTS)
