"""FIND: the one search box (workspace:search): certificate numbers as tolerant as the public
lookup, client names (Chinese, Latin, part of them, full-width), credit codes and cities;
results grouped, need-to-know for auditors, htmx partial, a fixed number of queries."""

import pytest
from django.db import connection
from django.test import Client as WebClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certificates.selectors.search import number_keys, search
from clients.models import Client
from clients.selectors.search import _city_variants, _query_grams, client_search
from tests.factories import ClientFactory
from tests.lifecycle import build

from .conftest import signed_in

pytestmark = pytest.mark.django_db

URL = reverse("workspace:search")


@pytest.fixture
def granted(people):
    """An active certification (with its certificate number) of 华为示例技术有限公司 in
    深圳, audited by ``auditor`` (the lifecycle's team leader) and ``auditor2`` (member)."""
    cert = build(people, "active")
    client = cert.client
    client.legal_name = "深圳华为示例技术有限公司"
    client.english_name = "Shenzhen Huawei Example Technology Co., Ltd."
    client.city = "深圳"
    client.save()
    cert.refresh_from_db()
    return cert


@pytest.fixture
def other(db):
    """A client no auditor works for, with a similar name, in the same city."""
    return ClientFactory(
        legal_name="深圳华为另一家公司", english_name="Shenzhen Huawei Other Ltd.", city="深圳"
    )


def _text(response) -> str:
    return response.content.decode()


# -- Who may search -------------------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_log_in():
    response = WebClient().get(URL, {"q": "华为"})
    assert response.status_code == 302
    assert reverse("workspace:login") in response["Location"]


def test_a_user_without_a_role_is_refused(db):
    from tests.factories import UserFactory

    response = signed_in(UserFactory(username="nobody")).get(URL, {"q": "华为"})
    assert response.status_code == 403


# -- Names, codes, cities ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "华为",
        "华为示例",
        "huawei",
        "HUAWEI example",
        "\uff28\uff35\uff21\uff37\uff25\uff29",  # full-width HUAWEI
        "Huawei  Example",
    ],
)
def test_staff_find_a_client_by_part_of_its_name(as_staff, granted, text):
    response = as_staff.get(URL, {"q": text})
    assert response.status_code == 200
    body = _text(response)
    assert "深圳华为示例技术有限公司" in body
    assert reverse("workspace:client", args=[granted.client_id]) in body
    # ... with its certification and its audits grouped below.
    assert reverse("workspace:certification", args=[granted.pk]) in body
    assert "Certifications" in body and "Audits" in body


def test_staff_find_a_client_by_credit_code_and_city(as_staff, granted, other):
    code = granted.client.registration_id
    body = _text(as_staff.get(URL, {"q": code.lower()}))
    assert "深圳华为示例技术有限公司" in body
    assert "深圳华为另一家公司" not in body
    for city in ("深圳", "深圳市"):
        body = _text(as_staff.get(URL, {"q": city}))
        assert "深圳华为示例技术有限公司" in body and "深圳华为另一家公司" in body


def test_a_latin_city_is_found_whatever_its_case(as_staff, db):
    ClientFactory(legal_name="Berlin Example GmbH", city="Berlin", country="DE")
    assert "Berlin Example GmbH" in _text(as_staff.get(URL, {"q": "berlin"}))


def test_nothing_found_says_so(as_staff, granted):
    body = _text(as_staff.get(URL, {"q": "不存在的公司"}))
    assert "Nothing found" in body


# -- Certificate numbers -------------------------------------------------------------------------


def _typed_variants(number: str) -> list[str]:
    """How people type a number: lower case, spaces for hyphens, full-width, with -V1."""
    full_width = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in number)
    return [number, number.lower(), number.replace("-", " "), full_width, f"{number}-V1"]


def test_a_certificate_number_goes_straight_to_the_certification(as_staff, granted):
    assert granted.certificate_number
    target = reverse("workspace:certification", args=[granted.pk])
    for typed in _typed_variants(granted.certificate_number):
        response = as_staff.get(URL, {"q": typed})
        assert response.status_code == 302, typed
        assert response["Location"] == target


def test_as_you_type_a_number_shows_the_result_instead_of_leaving_the_page(as_staff, granted):
    response = as_staff.get(
        URL,
        {"q": granted.certificate_number.lower()},
        headers={"HX-Request": "true", "HX-Target": "search-results"},
    )
    assert response.status_code == 200
    body = _text(response)
    assert "<html" not in body  # the partial only
    assert granted.certificate_number in body
    assert "number matches" in body


def test_number_keys_are_those_of_the_public_lookup():
    assert number_keys("cb itsm 000042 v2") == ["CBITSM000042V2", "CBITSM000042"]
    assert number_keys("\uff43\uff42-\uff49\uff54\uff53\uff4d-\uff10\uff10\uff10\uff11") == [
        "CBITSM0001"
    ]
    assert number_keys("华为") == []  # no digit: not a number


# -- Need to know ----------------------------------------------------------------------------------


def test_an_auditor_finds_only_the_clients_of_their_audits(auditor, granted, other):
    body = _text(signed_in(auditor).get(URL, {"q": "华为"}))
    assert "深圳华为示例技术有限公司" in body
    assert "深圳华为另一家公司" not in body
    body = _text(signed_in(auditor).get(URL, {"q": other.registration_id}))
    assert "深圳华为另一家公司" not in body and "Nothing found" in body


def test_an_auditor_not_on_the_audits_finds_nothing(granted, other):
    from tests.audits.factories import all_standards_auditor

    stranger = all_standards_auditor("stranger")
    client = signed_in(stranger)
    for text in ("华为", granted.client.registration_id, "深圳", granted.certificate_number):
        response = client.get(URL, {"q": text})
        assert response.status_code == 200, text
        body = _text(response)
        assert "深圳华为" not in body, text
        assert "Nothing found" in body


def test_decision_makers_find_every_client(as_decider, granted, other):
    body = _text(as_decider.get(URL, {"q": "华为"}))
    assert "深圳华为示例技术有限公司" in body and "深圳华为另一家公司" in body


# -- Groups, limits, bad input -------------------------------------------------------------------


def test_each_group_is_limited_with_a_link_to_the_filtered_list(as_staff, db):
    for n in range(5):
        ClientFactory(legal_name=f"宁波样本公司{n}", city="宁波")
    response = as_staff.get(URL, {"q": "宁波样本"})
    assert response.status_code == 200
    results = search("宁波样本", user=response.wsgi_request.user, limit=3)
    assert len(results.clients) == 3 and results.more_clients
    body = _text(response)
    assert body.count("宁波样本公司") == 5  # within the default limit, all shown


def test_more_link_leads_to_the_clients_list(as_staff, db, monkeypatch):
    from certificates.selectors import search as search_module

    monkeypatch.setattr(search_module, "GROUP_LIMIT", 2)
    from workspace.views import find

    monkeypatch.setattr(find, "GROUP_LIMIT", 2)
    for n in range(3):
        ClientFactory(legal_name=f"温州样本公司{n}")
    body = _text(as_staff.get(URL, {"q": "温州样本"}))
    assert f"{reverse('workspace:clients')}?q=" in body


@pytest.mark.parametrize(
    "text", ["", "   ", "%", "_", "\\", "'; drop table x; --", "a" * 5000, "\x00", "1", "V2"]
)
def test_odd_input_gives_a_page(as_staff, granted, text):
    response = as_staff.get(URL, {"q": text})
    assert response.status_code in (200, 302)


def test_the_top_search_box_keeps_the_text(as_staff, granted):
    body = _text(as_staff.get(URL, {"q": "华为"}))
    assert 'name="q" value="华为"' in body


def test_a_fixed_number_of_queries_and_no_count(as_staff, granted, other):
    for n in range(30):
        ClientFactory(legal_name=f"深圳华为供应商{n}", city="深圳")
    with CaptureQueriesContext(connection) as few:
        as_staff.get(URL, {"q": "华为"})
    for n in range(30, 60):
        ClientFactory(legal_name=f"深圳华为供应商{n}", city="深圳")
    with CaptureQueriesContext(connection) as many:
        as_staff.get(URL, {"q": "华为"})
    assert len(many) == len(few)
    assert len(few) <= 12
    assert not any("COUNT(" in q["sql"].upper() for q in many.captured_queries)


# -- The selector's parts ------------------------------------------------------------------------


def test_city_variants():
    assert set(_city_variants("上海")) == {"上海", "上海市"}
    assert set(_city_variants("上海市")) == {"上海", "上海市"}
    assert "Shanghai" in _city_variants("shanghai")


def test_query_grams_skip_one_character_ends():
    assert _query_grams("华为") == ["华为"]
    assert _query_grams("a bc d") == ["bc"]
    assert len(_query_grams("abcdefghijklmnopqrstuvwxyz")) <= 6


def test_client_search_puts_code_and_city_matches_first(db):
    a = ClientFactory(legal_name="杭州东方公司", city="杭州")
    b = ClientFactory(legal_name="东方杭州公司", city="上海")
    found, more = client_search(Client.objects.all(), "杭州", limit=10)
    assert found == [a, b] and not more
    assert client_search(Client.objects.all(), "", limit=10) == ([], False)
