"""The admin's certification list searched through indexes (CertificationAdmin.get_search_results,
measured by bench/workspace.py): a certificate number typed as people type it, a credit code, a
Chinese city, part of a Chinese or Latin name find the certification; other clients' do not;
an auditor still finds only the certifications of their audits. The city filter lists every
city once (infra.distinct) for the office, only their clients' cities for an auditor."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import lifecycle as lc
from tests.factories import ClientFactory

D = datetime.date
pytestmark = pytest.mark.django_db
URL = "admin:certificates_certification_changelist"


@pytest.fixture
def two(people):
    mine = lc.certified(
        people,
        client=ClientFactory(
            legal_name="上海星河数据服务有限公司", english_name="Galaxy Data", city="上海"
        ),
    )
    other = lc.certified(
        people,
        decided_on=D(2025, 6, 16),
        client=ClientFactory(
            legal_name="深圳蓝海软件有限公司", english_name="Blue Sea Soft", city="深圳"
        ),
    )
    return mine, other


def found(client, text):
    page = client.get(reverse(URL), {"q": text}).content.decode()
    return page


@pytest.mark.parametrize(
    "kind",
    ["number", "number_typed", "code", "city", "city_shi", "name_zh", "name_zh_2", "name_latin"],
)
def test_search_finds_the_certification_and_not_the_other(client, admin_user, two, kind):
    mine, other = two
    number = mine.certificate_number
    text = {
        "number": number,
        "number_typed": number.lower().replace("-", " "),
        "code": mine.client.registration_id,
        "city": "上海",
        "city_shi": "上海市",
        "name_zh": "星河数据",
        "name_zh_2": "星河",
        "name_latin": "galaxy",
    }[kind]
    client.force_login(admin_user)
    page = found(client, text)
    assert mine.client.legal_name in page
    assert other.client.legal_name not in page


def test_nothing_found_for_text_nobody_has(client, admin_user, two):
    client.force_login(admin_user)
    page = found(client, "不存在的公司名")
    assert two[0].client.legal_name not in page
    assert two[1].client.legal_name not in page


def test_empty_search_lists_everything(client, admin_user, two):
    client.force_login(admin_user)
    page = found(client, "  ")
    assert two[0].client.legal_name in page and two[1].client.legal_name in page


def test_an_auditor_finds_only_their_audits_certifications(client, people, two):
    mine = two[0]
    # An application in Shanghai: no audit yet, so no auditor is on it.
    lc.apply(people, client=ClientFactory(legal_name="上海外人科技有限公司", city="上海"))
    client.force_login(people.auditor)
    page = found(client, "上海")
    assert mine.client.legal_name in page
    assert "上海外人科技有限公司" not in page
    client.force_login(people.staff)
    assert "上海外人科技有限公司" in found(client, "上海")


def test_the_number_is_not_searched_with_a_scan(client, admin_user, two):
    """No LIKE over the certifications: the number goes through number_key (equality)."""
    client.force_login(admin_user)
    with CaptureQueriesContext(connection) as ctx:
        found(client, two[0].certificate_number)
    assert not [q["sql"] for q in ctx.captured_queries if 'certificate_number" LIKE' in q["sql"]]


def test_city_filter_lists_each_city_once(client, admin_user, two):
    ClientFactory(city="上海")
    client.force_login(admin_user)
    page = client.get(reverse(URL)).content.decode()
    assert page.count("?client__city=%E4%B8%8A%E6%B5%B7") == 1  # 上海
    assert "client__city=%E6%B7%B1%E5%9C%B3" in page  # 深圳
