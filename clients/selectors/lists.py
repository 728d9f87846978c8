"""The workspace's client list: filters and order on indexed columns, each row with its
certifications, in a number of queries that does not grow with the data (the caller pages it
with infra.paging.window, no count)."""

from django.db import connection
from django.db.models import Prefetch, QuerySet

from core.need_to_know import visible

from ..models import Client
from .search import _city_variants, matching_client_ids

BY_NAME, NEWEST = "name", "newest"
# What a row shows: a city's clients are sorted by name in memory when they must be, and
# narrow rows sort faster than whole ones (search text, notes, address).
ROW_FIELDS = ("legal_name", "english_name", "registration_id", "city", "country")


def cities_present(cities: list[str]) -> list[str]:
    """Of the spellings ``cities`` (上海 / 上海市), those some client has: one query, one
    index probe per spelling (client_city_name), whatever the number of clients."""
    probes = [
        Client.objects.filter(city=city).order_by().values_list("city")[:1] for city in cities
    ]
    if len(probes) > 1 and connection.features.supports_slicing_ordering_in_compound:
        return sorted(city for (city,) in probes[0].union(*probes[1:], all=True))
    return [city for city in cities if Client.objects.filter(city=city).exists()]


def client_list(
    queryset: QuerySet, *, user, text: str = "", city: str = "", sort: str = BY_NAME
) -> QuerySet:
    """The clients of ``queryset`` (narrowed by ``visible``) that ``text`` means (name,
    credit code or city: clients/selectors/search.py; the first MAX_MATCHING found), in
    ``city``, by name (the ``client_legal_name`` index; in a city the ``client_city_name``
    index) or newest first. Each row carries its certifications with their standard
    (prefetched), those ``user`` may see.

    A city is filtered on the spellings clients have (usually one): ``city = X ORDER BY
    legal_name, id`` is an ordered walk of (city, legal_name, id), 51 rows for a page. An IN
    list of several would make PostgreSQL sort every client of the city (1.1-3 s for 北京 at
    1.35 M); when several spellings exist, each is read in order and merged (UNION ALL:
    a merge of ordered index scans)."""
    rows = queryset
    if text:
        rows = rows.filter(pk__in=matching_client_ids(queryset, text))
    rows = rows.only(*ROW_FIELDS)
    # The certifications app sits above this one: its model is reached through the relation.
    certification = queryset.model._meta.get_field("certifications").related_model
    certifications = visible(certification.objects.all(), user)
    rows = rows.prefetch_related(
        Prefetch(
            "certifications",
            queryset=certifications.select_related("standard").order_by("standard__code", "pk"),
        )
    )
    order = ["-pk"] if sort == NEWEST else ["legal_name", "pk"]
    variants = _city_variants(city) if city else []
    cities = cities_present(variants) if variants else []
    if variants and not cities:
        return rows.none().order_by(*order)
    if len(cities) > 1:
        first, *others = (rows.filter(city=c).order_by() for c in cities)
        return first.union(*others, all=True).order_by(*order)
    if cities:
        rows = rows.filter(city=cities[0])
    return rows.order_by(*order)
