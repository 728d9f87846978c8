"""PostgreSQL: the name search's client query can be answered by the GIN indexes (trigram for
3 characters or more, clients/migrations/0007; name bigrams for 2-character text, 0006), so
1,000,000 clients are not scanned for rare text; and NUL bytes never reach psycopg."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from certificates.selectors_public import search_by_name

from .test_public_support import _fresh_rate_limit, granted  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

GRAMS = "clients_client_search_grams_gin"
TRIGRAMS = "clients_client_search_text_trgm"


def explain(sql: str) -> str:
    with connection.cursor() as cursor:
        # A test table is tiny: forbid the scans that beat any index on it, so the plan shows
        # whether the filter can be answered by the GIN index at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    "index, definition",
    [
        (GRAMS, "gin (string_to_array(search_grams, ' '::text))"),
        (TRIGRAMS, "gin (search_text gin_trgm_ops)"),
    ],
)
def test_gin_indexes_exist(index, definition):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [index])
        (found,) = cursor.fetchone()
    assert definition in found


@pytest.mark.parametrize(
    "q, index", [("华为", GRAMS), ("Huawei Tech", TRIGRAMS), ("华为技术", TRIGRAMS)]
)
def test_name_search_can_use_a_gin_index(q, index):
    granted(legal_name="深圳华为技术有限公司", english_name="Huawei Technologies Co., Ltd.")
    with CaptureQueriesContext(connection) as queries:
        result = search_by_name(q)
    assert len(result.certificates) == 1
    clients_sql = queries.captured_queries[0]["sql"]  # the client query, values inlined
    assert "clients_client" in clients_sql and "certificates_certificate" not in clients_sql
    plan = explain(clients_sql)
    assert index in plan, plan
    assert "Sort" not in plan, plan  # no ORDER BY over the match set


def test_nul_bytes_never_reach_postgres(client):
    granted(legal_name="深圳华为技术有限公司", english_name="Huawei")
    for q in ("\x00", "华为\x00", "a\x00b' OR 1=1"):
        assert client.get("/verify/", {"q": q}).status_code == 200
        assert client.get("/api/certificates/", {"q": q}).status_code in (200, 400)
        assert client.get(f"/verify/CB{q}/", {"on": q}).status_code in (200, 404)


def test_the_number_lookup_is_prepared_once_per_connection():
    """The settings let psycopg prepare what asks for it (Django alone disables it, and
    prepare=True is then silently ignored): the lookup is planned once per connection, and
    Django's own queries stay unprepared."""
    from certificates.selectors_public import certificate_lookup

    number = granted().certificate_number

    def prepared():
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return [row[0] for row in cursor.fetchall()]

    assert certificate_lookup(number) is not None
    assert certificate_lookup(number) is not None
    lookups = [s for s in prepared() if "number_key IN" in s]
    assert len(lookups) == 1
    assert not [s for s in prepared() if "pg_prepared_statements" in s]
