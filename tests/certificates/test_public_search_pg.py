"""PostgreSQL: the name search's gram filter matches the GIN index of clients/migrations/0006
(so 1,000,000 clients are not scanned), and NUL bytes never reach psycopg."""

import pytest
from django.db import connection

from certificates.selectors_public import search_by_name

from .test_public_support import _fresh_rate_limit, granted  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

INDEX = "clients_client_search_grams_gin"


def explain(qs):
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        # A test table is tiny: forbid the scans that beat any index on it, so the plan shows
        # whether the gram filter can be answered by the GIN index at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_gin_index_exists():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [INDEX])
        (definition,) = cursor.fetchone()
    assert "gin (string_to_array(search_grams, ' '::text))" in definition


@pytest.mark.parametrize("q", ["华为", "Huawei Tech"])
def test_name_search_can_use_the_gin_index(q, monkeypatch):
    granted(legal_name="深圳华为技术有限公司", english_name="Huawei Technologies Co., Ltd.")
    captured = {}
    from django.db.models.query import QuerySet

    original = QuerySet.__getitem__

    def spy(self, k):
        captured["qs"] = self
        return original(self, k)

    monkeypatch.setattr(QuerySet, "__getitem__", spy)
    result = search_by_name(q)
    assert len(result.certificates) == 1
    plan = explain(captured["qs"])
    assert INDEX in plan, plan
    assert "Sort" not in plan, plan  # no ORDER BY over the match set


def test_nul_bytes_never_reach_postgres(client):
    granted(legal_name="深圳华为技术有限公司", english_name="Huawei")
    for q in ("\x00", "华为\x00", "a\x00b' OR 1=1"):
        assert client.get("/verify/", {"q": q}).status_code == 200
        assert client.get("/api/certificates/", {"q": q}).status_code in (200, 400)
        assert client.get(f"/verify/CB{q}/", {"on": q}).status_code in (200, 404)
