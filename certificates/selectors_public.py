"""Reads for the public verification pages and API (certificates/public.py).

Only what ISO/IEC 17021-1 lets anyone see is ever loaded (the columns of ``_LOOKUP_SQL``, into
plain ``PublicCertificate`` objects, never models): the client's names,
city and country; the standard and edition; the certificate's number, version, scope, dates and
status. Private fields (contacts, personnel, registration id, address, notes, findings,
decisions' reasons) are not even read from the database, so no template can leak them.

Every function issues a fixed number of queries whatever the data:

- ``certificate_lookup(text)``: one query on the ``number_key`` index;
- ``search_by_name(text)``: two queries (the matching clients, then their certificates); on
  PostgreSQL a trigram index (clients/migrations/0007) or, for 2-character text, the bigram
  index (0006) finds the clients;
- ``search(text)``: both, for text that looks like a number (has a digit), else the name only.
"""

from __future__ import annotations

import datetime
import re
import time
from dataclasses import dataclass

from django.db import connection

from clients.models import normalise_search, token_grams
from infra.db import server_bound_cursor

from .models import Certificate, number_key

# A verification search looks for one company: 20 results, then "refine your search".
MAX_RESULTS = 20

_VERSION_SUFFIX = re.compile(r"^(?P<base>.*[0-9A-Z])V(?P<version>[0-9]{1,4})$")


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


# The number lookup is the page behind every QR code and the one that must serve the most
# requests: one fixed SQL statement of the public columns only, so that
# PostgreSQL plans it once per connection (a prepared statement) and Python does not build an
# ORM query per request. Measured with 1 M certificates (docs/benchmarks.md): the ORM path cost
# about 7 ms a lookup (1.3 ms building SQL, 1.2 ms PostgreSQL planning), this one about 0.6 ms.
_LOOKUP_SQL = """
SELECT ce.id, ce.number, ce.number_key, ce.version, ce.scope, ce.effective_date,
       ce.expiry_date, ce.original_certification_date, ce.status, ce.gap_from, ce.gap_to,
       ce.decision_id, ce.certification_id, ce.standard_id,
       st.code, st.edition,
       cn.state, cn.expired_on, cn.client_id,
       cl.legal_name, cl.english_name, cl.city, cl.country
FROM certificates_certificate ce
JOIN certificates_certification cn ON cn.id = ce.certification_id
JOIN clients_client cl ON cl.id = cn.client_id
JOIN clients_standard st ON st.id = ce.standard_id
WHERE ce.number_key IN (%s, %s)
ORDER BY ce.version DESC
"""


def _fetchall(sql: str, params) -> list[tuple]:
    """Run a fixed read-only statement. On PostgreSQL as a prepared statement (planned once
    per connection, which persists with CONN_MAX_AGE: infra.db.server_bound_cursor);
    elsewhere through Django's cursor. Either way it shows in connection.queries (tests pin
    the number of queries)."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    start = time.monotonic()
    with server_bound_cursor() as cursor:
        cursor.execute(sql, params, prepare=True)
        rows = cursor.fetchall()
    if connection.queries_logged:
        connection.queries_log.append(
            {"sql": f"{sql.strip()} -- {params!r}", "time": f"{time.monotonic() - start:.3f}"}
        )
    return rows


@dataclass(slots=True)
class PublicClient:
    id: int
    legal_name: str
    english_name: str
    city: str
    country: str


@dataclass(slots=True)
class PublicCertification:
    id: int
    state: str
    expired_on: datetime.date | None
    client: PublicClient


@dataclass(slots=True)
class PublicStandard:
    id: int
    code: str
    edition: str

    def __str__(self):
        return f"{self.code}:{self.edition}"


@dataclass(slots=True)
class PublicCertificate:
    """One certificate version as the public may see it: the columns of ``_LOOKUP_SQL`` and
    nothing else. Plain objects, not models: nothing can lazily load a private field, and 50
    of them cost microseconds where model instances cost milliseconds."""

    id: int
    number: str
    number_key: str
    version: int
    scope: str
    effective_date: datetime.date
    expiry_date: datetime.date
    original_certification_date: datetime.date
    status: str
    gap_from: datetime.date | None
    gap_to: datetime.date | None
    decision_id: int
    certification_id: int
    standard_id: int
    standard: PublicStandard
    certification: PublicCertification

    @property
    def pk(self) -> int:
        return self.id

    full_number = Certificate.full_number


def _certificate_from_row(row) -> PublicCertificate:
    (pk, number, key, version, scope, effective, expiry, original, status, gap_from, gap_to,
     decision_id, certification_id, standard_id, code, edition, state, expired_on, client_id,
     legal_name, english_name, city, country) = row  # fmt: skip
    return PublicCertificate(
        pk, number, key, version, scope, effective, expiry, original, status, gap_from, gap_to,
        decision_id, certification_id, standard_id,
        PublicStandard(standard_id, code, edition),
        PublicCertification(
            certification_id, state, expired_on,
            PublicClient(client_id, legal_name, english_name, city, country),
        ),
    )  # fmt: skip


def certificate_lookup(text: str) -> Lookup | None:
    """The certificate a person means by ``text`` ("cb itsm 000042 v2", full-width too):
    the whole key first (a number without version: its newest version), then the key without
    a trailing V<digits> and that version. One query; None when nothing matches."""
    key, base, version = _number_keys(text)
    if not key or len(key) > Certificate._meta.get_field("number_key").max_length:
        return None
    rows = [_certificate_from_row(row) for row in _fetchall(_LOOKUP_SQL, [key, base or key])]
    whole = [c for c in rows if c.number_key == key]
    if whole:
        return Lookup(certificate=whole[0], versions=whole)
    versions = [c for c in rows if c.number_key == base]
    for candidate in versions:
        if candidate.version == version:
            return Lookup(certificate=candidate, versions=versions)
    return None


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


# Name search, in two steps, each a plain statement the planner gets right:
# 1. at most CANDIDATES listed clients whose normalised names contain the text. On PostgreSQL,
#    a pg_trgm GIN index on search_text answers LIKE for 3 characters or more, and the bigram
#    GIN index on search_grams for shorter text (2-character Chinese names) which trigrams
#    cannot look up; for common text the planner scans the table and stops after CANDIDATES.
#    (One joined statement made PostgreSQL intersect two index scans of 100 k rows each for a
#    common Latin substring: 160 ms with 1 M certificates. Apart, it takes under 15 ms.)
# 2. the newest certificate version of each of their certifications (a certificate exists
#    only once a certification was granted, so applications and drafts never appear).
CANDIDATES = 200

_CANDIDATES_SQL = """
SELECT id FROM clients_client
WHERE search_text LIKE %s {escape} AND NOT restricted_listing {grams}
LIMIT {limit}
"""

_NEWEST_SQL = (
    _LOOKUP_SQL.split("WHERE", 1)[0]
    + """WHERE cn.client_id IN ({ids})
AND NOT EXISTS (SELECT 1 FROM certificates_certificate nv
                WHERE nv.certification_id = ce.certification_id AND nv.version > ce.version)
LIMIT {limit}
"""
)


def _like_pattern(needle: str) -> str:
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_by_name(text: str, *, limit: int = MAX_RESULTS) -> SearchResult:
    """Certifications of listed clients whose legal or English name contains ``text``
    (normalised like Client.search_text), each with its newest certificate version, at most
    ``limit`` (sorted by name here) and whether there were more. Two queries whatever the
    data. Not prepared: PostgreSQL plans each with the text's own statistics."""
    needle = normalise_search(text)
    if not needle:
        return SearchResult([], False)
    postgres = connection.vendor == "postgresql"
    params = [_like_pattern(needle)]
    grams_sql = ""
    if postgres and len(needle.replace(" ", "")) < 3:
        grams = query_grams(needle)
        if grams:
            grams_sql = "AND string_to_array(search_grams, ' ') @> %s::text[]"
            params.append(grams)
    sql = _CANDIDATES_SQL.format(
        escape="" if postgres else "ESCAPE '\\'", grams=grams_sql, limit=CANDIDATES + 1
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    more_clients = len(ids) > CANDIDATES
    ids = ids[:CANDIDATES] or [0]  # "IN ()" is not SQL; no client has id 0
    sql = _NEWEST_SQL.format(ids=", ".join(["%s"] * len(ids)), limit=limit + 1)
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        rows = [_certificate_from_row(row) for row in cursor.fetchall()]
    more = more_clients or len(rows) > limit
    return SearchResult(sorted(rows[:limit], key=_display_order), more)


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
