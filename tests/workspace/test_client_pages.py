"""The client pages of the workspace: the client page as every role, new client with its
sites and contacts, editing."""

import datetime

import pytest
from django.urls import reverse

from clients.models import Client, Contact, Site
from tests.audits.factories import all_standards_auditor
from tests.factories import ClientFactory, make_uscc
from tests.lifecycle import certified

from .conftest import signed_in

pytestmark = pytest.mark.django_db

D = datetime.date


def client_url(client):
    return reverse("workspace:client", args=[client.pk])


# -- the client page ---------------------------------------------------------------------------
def test_client_page_as_staff_shows_everything(people, as_staff, django_assert_max_num_queries):
    cert = certified(people)
    client = cert.client
    Contact.objects.create(client=client, name="李娜", phone="010-1234", is_primary=True)
    with django_assert_max_num_queries(30):
        response = as_staff.get(client_url(client))
    assert response.status_code == 200
    text = response.content.decode()
    assert client.legal_name in text
    assert "李娜" in text
    page = response.context["page"]
    assert [c.pk for c in page.certifications] == [cert.pk]
    assert page.applications and page.audits and page.decisions
    assert "Active" in text  # the certification's state
    assert "surveillance due" in text and cert.next_surveillance_due.isoformat() in text
    # history in local time, without microseconds or "+00:00"
    assert page.history
    assert "+00:00" not in text
    assert reverse("workspace:application_new", args=[client.pk]) in text
    assert reverse("workspace:client_edit", args=[client.pk]) in text
    assert reverse("workspace:application", args=[page.applications[0].pk]) in text


def test_client_page_queries_do_not_grow(people, as_staff, django_assert_max_num_queries):
    small = certified(people).client
    big = certified(people, decided_on=D(2025, 9, 15)).client
    with django_assert_max_num_queries(30) as small_queries:
        as_staff.get(client_url(small))
    for n in range(5):
        Site.objects.create(client=big, name=f"site {n}", city="上海", address="x", personnel=3)
        Contact.objects.create(client=big, name=f"person {n}")
    with django_assert_max_num_queries(len(small_queries.captured_queries)):
        assert as_staff.get(client_url(big)).status_code == 200


def test_client_page_decider_reads_without_edit_links(people, as_decider):
    client = certified(people).client
    response = as_decider.get(client_url(client))
    assert response.status_code == 200
    assert response.context["may_edit"] is False
    assert reverse("workspace:client_edit", args=[client.pk]) not in response.content.decode()


def test_client_page_auditor_sees_own_audits_client_read_only(people, as_auditor):
    client = certified(people).client  # people.auditor led its audits
    response = as_auditor.get(client_url(client))
    assert response.status_code == 200
    text = response.content.decode()
    assert reverse("workspace:application_new", args=[client.pk]) not in text
    assert "Administrative penalties" not in text


def test_client_page_other_auditor_and_unrelated_client_404(people):
    other = ClientFactory()
    audited = certified(people).client
    stranger = signed_in(all_standards_auditor("stranger"))
    assert stranger.get(client_url(audited)).status_code == 404
    assert signed_in(people.auditor).get(client_url(other)).status_code == 404


def test_client_page_anonymous_redirects_to_login(client):
    c = ClientFactory()
    response = client.get(client_url(c))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


# -- new client ---------------------------------------------------------------------------------
def new_client_data(**changes):
    data = {
        "legal_name": "杭州新客户科技有限公司",
        "english_name": "Hangzhou New Client Tech",
        "registration_id": make_uscc(987654),
        "country": "CN",
        "city": "杭州",
        "address": "杭州市西湖区文三路1号",
        "effective_personnel": "80",
        "sites-TOTAL_FORMS": "1",
        "sites-INITIAL_FORMS": "0",
        "sites-0-name": "",
        "sites-0-city": "",
        "sites-0-address": "",
        "sites-0-personnel": "",
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "0",
        "contacts-0-name": "王芳",
        "contacts-0-role": "管理者代表",
        "contacts-0-phone": "0571-8888",
        "contacts-0-email": "wf@example.com",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_new_client_with_central_site_from_address_and_primary_contact(as_staff):
    response = as_staff.post(reverse("workspace:client_new"), new_client_data())
    client = Client.objects.get(legal_name="杭州新客户科技有限公司")
    assert response.status_code == 302
    assert response["Location"] == client_url(client)
    central = client.sites.get()
    assert central.is_central and central.city == "杭州" and central.personnel == 80
    contact = client.contacts.get()
    assert contact.name == "王芳" and contact.is_primary
    assert list(client.technical_areas.values_list("code", flat=True)) == []  # none posted


def test_new_client_form_prefills_iaf_33(as_staff):
    response = as_staff.get(reverse("workspace:client_new"))
    assert response.status_code == 200
    assert response.context["form"].initial.get("technical_areas")


def test_new_client_with_several_sites(as_staff):
    data = new_client_data(
        **{
            "sites-TOTAL_FORMS": "2",
            "sites-0-name": "总部",
            "sites-0-is_central": "on",
            "sites-0-city": "杭州",
            "sites-0-address": "文三路1号",
            "sites-0-personnel": "60",
            "sites-1-name": "数据中心",
            "sites-1-city": "宁波",
            "sites-1-address": "港口路2号",
            "sites-1-personnel": "20",
        }
    )
    assert as_staff.post(reverse("workspace:client_new"), data).status_code == 302
    client = Client.objects.get(legal_name="杭州新客户科技有限公司")
    assert sorted((s.name, s.is_central) for s in client.sites.all()) == [
        ("总部", True),
        ("数据中心", False),
    ]


def test_new_client_bad_credit_code_says_which_check_failed(as_staff):
    good = make_uscc(4242)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = as_staff.post(reverse("workspace:client_new"), new_client_data(registration_id=bad))
    assert response.status_code == 200
    assert not Client.objects.filter(legal_name="杭州新客户科技有限公司").exists()
    errors = response.context["form"].errors["registration_id"]
    assert any("check character" in e for e in errors)
    assert "Nothing was saved" in response.content.decode()


def test_new_client_duplicate_credit_code_refused(as_staff):
    existing = ClientFactory()
    response = as_staff.post(
        reverse("workspace:client_new"), new_client_data(registration_id=existing.registration_id)
    )
    assert response.status_code == 200
    assert "registration_id" in response.context["form"].errors
    assert Client.objects.count() == 1


def test_new_client_two_central_sites_refused(as_staff):
    data = new_client_data(
        **{
            "sites-TOTAL_FORMS": "2",
            "sites-0-name": "A",
            "sites-0-is_central": "on",
            "sites-0-city": "杭州",
            "sites-0-address": "1",
            "sites-1-name": "B",
            "sites-1-is_central": "on",
            "sites-1-city": "杭州",
            "sites-1-address": "2",
        }
    )
    response = as_staff.post(reverse("workspace:client_new"), data)
    assert response.status_code == 200
    assert "Only one site can be the central function." in response.content.decode()
    assert not Client.objects.exists()


def test_new_client_missing_fields_messages(as_staff):
    response = as_staff.post(
        reverse("workspace:client_new"), new_client_data(legal_name="", city="")
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {"legal_name", "city"}


@pytest.mark.parametrize("who", ["decider", "auditor"])
def test_new_client_refused_to_non_staff(request, who):
    user = request.getfixturevalue(who)
    c = signed_in(user)
    assert c.get(reverse("workspace:client_new")).status_code == 403
    assert c.post(reverse("workspace:client_new"), new_client_data()).status_code == 403
    assert not Client.objects.exists()


def test_new_client_anonymous_to_login(client):
    response = client.post(reverse("workspace:client_new"), new_client_data())
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not Client.objects.exists()


# -- edit ---------------------------------------------------------------------------------------
def edit_data(client, **changes):
    sites = list(client.sites.all())
    contacts = list(client.contacts.all())
    data = {
        "legal_name": client.legal_name,
        "english_name": client.english_name,
        "registration_id": client.registration_id,
        "country": client.country,
        "city": client.city,
        "address": client.address,
        "effective_personnel": str(client.effective_personnel),
        "sites-TOTAL_FORMS": str(len(sites) + 1),
        "sites-INITIAL_FORMS": str(len(sites)),
        "contacts-TOTAL_FORMS": str(len(contacts) + 1),
        "contacts-INITIAL_FORMS": str(len(contacts)),
    }
    for i, s in enumerate(sites):
        data.update(
            {
                f"sites-{i}-id": str(s.pk),
                f"sites-{i}-name": s.name,
                f"sites-{i}-city": s.city,
                f"sites-{i}-address": s.address,
                f"sites-{i}-personnel": str(s.personnel),
            }
        )
        if s.is_central:
            data[f"sites-{i}-is_central"] = "on"
    for i, c in enumerate(contacts):
        data.update({f"contacts-{i}-id": str(c.pk), f"contacts-{i}-name": c.name})
    data.update(changes)
    return data


def test_edit_client_adds_a_site_and_moves_the_central_function(as_staff):
    client = ClientFactory()
    old = client.sites.get()
    data = edit_data(
        client,
        **{
            "sites-0-is_central": "",
            "sites-1-name": "新总部",
            "sites-1-is_central": "on",
            "sites-1-city": "深圳",
            "sites-1-address": "南山区",
            "sites-1-personnel": "50",
        },
    )
    data = {k: v for k, v in data.items() if v != ""}
    response = as_staff.post(reverse("workspace:client_edit", args=[client.pk]), data)
    assert response.status_code == 302, response.context and response.context["sites"].errors
    old.refresh_from_db()
    assert not old.is_central
    assert client.sites.get(is_central=True).name == "新总部"


def test_edit_client_refused_to_decider_and_auditor(people):
    client = certified(people).client
    url = reverse("workspace:client_edit", args=[client.pk])
    for user in (people.decider, people.auditor):
        c = signed_in(user)
        assert c.get(url).status_code == 403
        assert c.post(url, edit_data(client, legal_name="changed")).status_code == 403
    client.refresh_from_db()
    assert client.legal_name != "changed"
