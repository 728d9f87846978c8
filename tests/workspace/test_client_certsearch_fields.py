"""The client form's address fields for IAF CertSearch and the certificate: the client's
trading name, province and postcode; each site's own country, province, postcode and its
activities (its scope on a multi-site certificate)."""

import pytest
from django.urls import reverse

from clients.models import Client

from .test_client_pages import new_client_data

pytestmark = pytest.mark.django_db


def test_new_client_with_trading_name_province_postcode_and_a_site_abroad(as_staff):
    data = new_client_data(
        **{
            "trading_name": "新客户科技",
            "province": "浙江省",
            "postcode": "310012",
            "sites-TOTAL_FORMS": "2",
            "sites-0-name": "总部",
            "sites-0-is_central": "on",
            "sites-0-city": "杭州",
            "sites-0-address": "文三路1号",
            "sites-0-personnel": "60",
            "sites-1-name": "香港分部",
            "sites-1-country": "HK",
            "sites-1-city": "Hong Kong",
            "sites-1-address": "1 Queen's Road",
            "sites-1-postcode": "",
            "sites-1-personnel": "20",
            "sites-1-activities": "数据中心运维",
        }
    )
    response = as_staff.post(reverse("workspace:client_new"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    client = Client.objects.get(legal_name="杭州新客户科技有限公司")
    assert (client.trading_name, client.province, client.postcode) == (
        "新客户科技",
        "浙江省",
        "310012",
    )
    central = client.sites.get(is_central=True)
    abroad = client.sites.get(is_central=False)
    assert (central.country_code, central.activities) == ("CN", "")  # the client's country
    assert (abroad.country_code, abroad.activities) == ("HK", "数据中心运维")


def test_central_site_made_from_the_address_keeps_province_and_postcode(as_staff):
    data = new_client_data(province="浙江省", postcode="310012")
    as_staff.post(reverse("workspace:client_new"), data)
    central = Client.objects.get(legal_name="杭州新客户科技有限公司").sites.get()
    assert (central.province, central.postcode, central.country_code) == (
        "浙江省",
        "310012",
        "CN",
    )


def test_the_form_shows_the_new_fields(as_staff):
    page = as_staff.get(reverse("workspace:client_new")).content.decode()
    for name in ("trading_name", "province", "postcode", "sites-0-country", "sites-0-activities"):
        assert f'name="{name}"' in page, name
    assert "Activities at this site" in page
