"""infra.distinct.distinct_values: the distinct values of an indexed column (the admin's city
filter lists cities with it). The PostgreSQL path (a loose index scan) is measured by
bench/workspace.py; here both paths must give what SELECT DISTINCT gives."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.models import Client
from infra.distinct import distinct_values
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def test_every_city_once_in_order_without_empty_ones():
    for city in ("上海", "北京", "上海", "深圳", "Berlin", "北京"):
        ClientFactory(city=city)
    Client.objects.filter(pk=ClientFactory(city="x").pk).update(city="")
    expected = sorted({"上海", "北京", "深圳", "Berlin"})
    assert distinct_values(Client, "city") == expected


def test_at_most_limit_values():
    for city in ("a", "b", "c"):
        ClientFactory(city=city)
    assert distinct_values(Client, "city", limit=2) == ["a", "b"]


def test_no_rows_no_values():
    assert distinct_values(Client, "city") == []


def test_one_query():
    ClientFactory(city="上海")
    ClientFactory(city="北京")
    with CaptureQueriesContext(connection) as ctx:
        distinct_values(Client, "city")
    assert len(ctx.captured_queries) == 1
