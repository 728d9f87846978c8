"""The decisions list (workspace:decisions): certifications awaiting a decision, the ones I
am the designated decision maker of first, then the longest waiting; exports; who may see it."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from certificates import services as svc
from certificates.models import State
from tests.lifecycle import build, certified, pending, recert_audit

from .conftest import signed_in

pytestmark = pytest.mark.django_db

D = datetime.date
URL = reverse("workspace:decisions")


def names(response) -> list[str]:
    return [row.client.legal_name for row in response.context["page"].rows]


def test_mine_first_then_oldest_first(people):
    older, _, _ = pending(people)  # submitted 2024-12-19
    newer, _, _ = pending(people, stage1_start=D(2024, 11, 1), stage2_start=D(2025, 1, 6))
    mine, _, _ = pending(people, stage1_start=D(2024, 11, 11), stage2_start=D(2025, 2, 3))
    svc.certification_designate_decision_maker(
        certification=mine, decision_maker=people.decider, by=None
    )
    build(people, State.ACCEPTED)  # not awaiting a decision
    response = signed_in(people.decider).get(URL)
    assert response.status_code == 200
    assert names(response) == [c.client.legal_name for c in (mine, older, newer)]
    html = response.content.decode()
    assert reverse("workspace:decision", args=[mine.pk]) in html
    # Staff see the same rows; nobody is "mine" for them.
    assert names(signed_in(people.staff).get(URL)) == [
        c.client.legal_name for c in (older, newer, mine)
    ]


def test_a_recertification_audited_and_undecided_is_listed(people):
    cert = certified(people, decided_on=D(2025, 1, 15))
    recert_audit(cert, people, start=D(2027, 10, 4))
    response = signed_in(people.decider).get(URL)
    assert cert.client.legal_name in names(response)


def test_exports(people):
    cert, _, _ = pending(people)
    for fmt in ("csv", "xlsx"):
        response = signed_in(people.decider).get(URL, {"format": fmt})
        assert response.status_code == 200
        assert "attachment" in response["Content-Disposition"]
    body = b"".join(signed_in(people.decider).get(URL, {"format": "csv"}).streaming_content)
    assert cert.client.legal_name in body.decode("utf-8-sig")


def test_paging_without_count(people, django_assert_max_num_queries):
    for k in range(3):
        pending(
            people,
            stage1_start=D(2024, 10, 1) + datetime.timedelta(days=7 * k),
            stage2_start=D(2024, 12, 2) + datetime.timedelta(days=7 * k),
        )
    client = signed_in(people.decider)
    client.get(URL)
    with django_assert_max_num_queries(10):
        response = client.get(URL, {"page": 1})
    assert response.status_code == 200
    assert signed_in(people.decider).get(URL, {"page": 99}).context["page"].rows == []


def test_auditors_and_anonymous_kept_out(people):
    pending(people)
    assert signed_in(people.auditor).get(URL).status_code == 403
    response = Client().get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]
