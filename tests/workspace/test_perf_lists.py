"""PERF: the lists' speed fixes keep what they show: the applications list reads penalties
from the prefetch (queries do not grow with its rows), a city with several spellings is merged
in name order, "intake complete" starts from the applications with documents, the number
order leaves out certifications without a number."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.models import Penalty, Standard
from clients.selectors.lists import cities_present, client_list
from core.need_to_know import visible
from tests.factories import ClientFactory
from tests.lifecycle import apply, certified

pytestmark = pytest.mark.django_db

D = datetime.date


def _rows(client, name, **params):
    response = client.get(reverse(f"workspace:{name}"), params)
    assert response.status_code == 200
    return response.context["page"].rows


def _with_penalty(people, n):
    app = apply(people, client=ClientFactory(legal_name=f"罚款客户{n}"), complete=False).application
    Penalty.objects.create(
        client=app.client, decided_on=D(2024, 3, 1), authority="市场监管局", decision="罚款"
    )
    return app


def test_applications_list_queries_do_not_grow_with_its_rows(people, as_staff):
    _with_penalty(people, 0)
    with CaptureQueriesContext(connection) as few:
        rows = _rows(as_staff, "applications")
    assert len(rows) == 1
    for n in range(1, 6):
        _with_penalty(people, n)
    with CaptureQueriesContext(connection) as many:
        rows = _rows(as_staff, "applications")
    assert len(rows) == 6
    assert len(many) == len(few)
    # The penalty still counts as an intake problem on every row.
    assert all(row.status.missing_total > 0 for row in rows)


def test_penalty_problems_read_from_a_prefetch_or_by_themselves(people, django_assert_num_queries):
    app = _with_penalty(people, 9)
    Penalty.objects.create(
        client=app.client, decided_on=D(2010, 1, 1), authority="old", decision="too old"
    )
    Penalty.objects.create(
        client=app.client, decided_on=D(2024, 1, 5), authority="早", decision="earlier"
    )
    problems = type(app).objects.get(pk=app.pk).penalty_problems()
    assert len(problems) == 2 and "早" in problems[0]  # in the window, oldest first
    prefetched = type(app).objects.prefetch_related("client__penalties").get(pk=app.pk)
    with django_assert_num_queries(0):
        assert prefetched.penalty_problems() == problems


def test_a_city_with_two_spellings_is_one_list_in_name_order(as_staff, staff):
    for name, city in [
        ("丙北京", "北京"),
        ("甲北京", "北京市"),
        ("乙北京", "北京"),
        ("丁上海", "上海"),
    ]:
        ClientFactory(legal_name=name, city=city)
    assert cities_present(["北京", "北京市", "Beijing"]) == ["北京", "北京市"]
    rows = _rows(as_staff, "clients", city="北京")
    assert [c.legal_name for c in rows] == ["丙北京", "乙北京", "甲北京"]
    # Each row keeps its prefetched certifications (none here) without a query per row.
    qs = client_list(visible(type(rows[0]).objects.all(), staff), user=staff, city="北京市")
    assert [c.legal_name for c in qs[1:3]] == ["乙北京", "甲北京"]
    newest = client_list(
        visible(type(rows[0]).objects.all(), staff), user=staff, city="北京", sort="newest"
    )
    assert [c.legal_name for c in newest] == ["乙北京", "甲北京", "丙北京"]
    assert [c.legal_name for c in _rows(as_staff, "clients", city="上海市")] == ["丁上海"]
    assert list(_rows(as_staff, "clients", city="广州")) == []


def test_intake_complete_includes_a_standard_without_a_checklist(people, as_staff):
    complete = apply(people, client=ClientFactory(legal_name="资料齐全")).application
    apply(people, client=ClientFactory(legal_name="资料不全"), complete=False)
    bare = Standard.objects.create(
        code="TEST-BARE", edition="2026", title="No checklist", certificate_code="TB"
    )
    assert not bare.required_documents.exists()
    no_checklist = apply(
        people,
        client=ClientFactory(legal_name="无清单"),
        std=bare,
        complete=False,
        audit_time=False,
    ).application
    shown = {a.pk for a in _rows(as_staff, "applications", intake="complete")}
    assert shown == {complete.pk, no_checklist.pk}
    incomplete = {a.client.legal_name for a in _rows(as_staff, "applications", intake="incomplete")}
    assert incomplete == {"资料不全"}


def test_number_order_leaves_out_certifications_without_a_number(people, as_staff):
    granted = [certified(people, decided_on=D(2025, 1 + 4 * n, 15)) for n in range(3)]
    apply(people, complete=False)  # applied: no number yet
    rows = _rows(as_staff, "certifications", state="all", sort="number")
    numbers = [c.certificate_number for c in rows]
    assert len(numbers) == len(granted) and all(numbers)
    assert numbers == sorted(numbers)
