"""The workspace's client list: filters and order on indexed columns, each row with its
certifications, in a number of queries that does not grow with the data (the caller pages it
with infra.paging.window, no count)."""

from django.db.models import Prefetch, QuerySet

from core.need_to_know import visible

from .search import _city_variants, matching_client_ids

BY_NAME, NEWEST = "name", "newest"


def client_list(
    queryset: QuerySet, *, user, text: str = "", city: str = "", sort: str = BY_NAME
) -> QuerySet:
    """The clients of ``queryset`` (narrowed by ``visible``) that ``text`` means (name,
    credit code or city: clients/selectors/search.py; the first MAX_MATCHING found), in
    ``city``, by name (the ``client_legal_name`` index) or newest first. Each row carries its
    certifications with their standard (prefetched), those ``user`` may see."""
    rows = queryset
    if text:
        rows = rows.filter(pk__in=matching_client_ids(queryset, text))
    cities = _city_variants(city) if city else []
    if cities:
        rows = rows.filter(city__in=cities)
    order = ["-pk"] if sort == NEWEST else ["legal_name", "pk"]
    # Only what the rows show: a city's clients are sorted by name in memory, narrow rows sort
    # faster than whole ones (search text, notes, address).
    rows = rows.only("legal_name", "english_name", "registration_id", "city", "country")
    # The certifications app sits above this one: its model is reached through the relation.
    certification = queryset.model._meta.get_field("certifications").related_model
    certifications = visible(certification.objects.all(), user)
    return rows.prefetch_related(
        Prefetch(
            "certifications",
            queryset=certifications.select_related("standard").order_by("standard__code", "pk"),
        )
    ).order_by(*order)
