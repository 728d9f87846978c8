"""Designating a certification's decision maker in the workspace (workspace:
certification_decision_maker, the form on the certification page and on the decision page of
a file without one): only active decision makers free to decide are offered, family name
first; who is on an undecided audit's team or has a conflict of interest is refused in words;
only who may change certifications (the Administrator group, as in the admin) designates, CB
staff are told so in words; nothing changes when refused."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_fsm_log.models import StateLog

from audits.models import RelationshipDeclaration, RelationshipKind
from certificates.models import Certification
from tests.audits.factories import all_standards_auditor
from tests.factories import UserFactory
from tests.lifecycle import pending

from .conftest import signed_in

pytestmark = pytest.mark.django_db

D = datetime.date


def text(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def form_url(cert):
    return reverse("workspace:certification_decision_maker", args=[cert.pk])


def page_url(cert):
    return reverse("workspace:certification", args=[cert.pk])


def decision_url(cert):
    return reverse("workspace:decision", args=[cert.pk])


@pytest.fixture
def cert(people):
    cert, _audit, _findings = pending(
        people, stage1_start=D(2026, 10, 1), stage2_start=D(2026, 11, 16)
    )
    people.decider.first_name, people.decider.last_name = "建华", "王"
    people.decider.save()
    return cert


@pytest.fixture
def administrator(db):
    return UserFactory(role="Administrator", username="administrator")


def options(response) -> list[str]:
    select = re.search(
        r'<select name="decision_maker".*?</select>', response.content.decode(), re.S
    )
    return (
        re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', select.group(0)) if select else []
    )


def test_the_form_offers_free_decision_makers_only(people, cert, administrator):
    UserFactory(role="Decision maker", username="gone", is_active=False)
    UserFactory(role="CB staff", username="not_a_decider")
    people.auditor.groups.add(Group.objects.get(name="Decision maker"))  # on the stage 2 team
    response = signed_in(administrator).get(page_url(cert))
    assert response.status_code == 200
    names = options(response)
    assert "王建华" in names  # family name first
    assert "gone" not in names and "not_a_decider" not in names
    assert people.auditor.get_username() not in names and len(names) == 2  # 王建华, administrator
    body = text(response)
    assert "1 decision maker may not decide on it" in body
    assert "is on the team of an audit of this cycle that is not decided yet" in body
    assert "Designate the decision maker" in body


def test_designate_from_the_certification_page(people, cert, administrator):
    client = signed_in(administrator)
    response = client.post(
        form_url(cert),
        {"decision_maker": people.decider.pk, "revision": cert.revision, "next": page_url(cert)},
    )
    assert response.status_code == 302 and response["Location"] == page_url(cert)
    cert.refresh_from_db()
    assert cert.decision_maker == people.decider
    assert StateLog.objects.filter(
        object_id=cert.pk, transition="designate_decision_maker"
    ).exists()
    page = text(client.get(page_url(cert)))
    assert "王建华 is now the designated decision maker." in page
    assert "Decision maker 王建华" in page  # the facts


def test_team_member_is_refused_in_words(people, cert, administrator):
    people.auditor.groups.add(Group.objects.get(name="Decision maker"))
    before = Certification.objects.get(pk=cert.pk)
    response = signed_in(administrator).post(
        form_url(cert), {"decision_maker": people.auditor.pk, "revision": cert.revision}
    )
    assert response.status_code == 200
    assert "is on the team of an audit of this cycle that is not decided yet" in text(response)
    after = Certification.objects.get(pk=cert.pk)
    assert after.decision_maker_id is None and after.revision == before.revision


def test_conflict_of_interest_is_refused_in_words(people, cert, administrator):
    profile = all_standards_auditor("consultant").auditor_profile
    profile.user.groups.add(Group.objects.get(name="Decision maker"))
    RelationshipDeclaration.objects.create(
        profile=profile,
        client=cert.client,
        kind=RelationshipKind.CONSULTANCY,
        started_on=D(2024, 1, 1),
        declared_on=D(2024, 1, 1),
    )
    page = signed_in(administrator).get(page_url(cert))
    assert "may not take a certification decision" in text(page)
    response = signed_in(administrator).post(
        form_url(cert), {"decision_maker": profile.user.pk, "revision": cert.revision}
    )
    assert response.status_code == 200
    assert "may not take a certification decision" in text(response)
    assert Certification.objects.get(pk=cert.pk).decision_maker_id is None


def test_not_a_decision_maker_and_bad_input(people, cert, administrator):
    client = signed_in(administrator)
    for value in (people.staff.pk, "", "abc", 999999):
        response = client.post(form_url(cert), {"decision_maker": value, "revision": cert.revision})
        assert response.status_code == 200
        body = text(response)
        assert "Nothing was changed" in body
        assert "Choose a decision maker from the list." in body or "required" in body
    assert Certification.objects.get(pk=cert.pk).decision_maker_id is None


def test_a_change_made_meanwhile_is_a_conflict(people, cert, administrator):
    response = signed_in(administrator).post(
        form_url(cert),
        {"decision_maker": people.decider.pk, "revision": cert.revision - 1},
        follow=True,
    )
    assert "Someone else changed this certification" in text(response)
    assert Certification.objects.get(pk=cert.pk).decision_maker_id is None


def test_cb_staff_are_told_in_words(people, cert):
    client = signed_in(people.staff)
    page = client.get(page_url(cert))
    assert 'name="decision_maker"' not in page.content.decode()
    assert "An administrator designates the decision maker." in text(page)
    before = Certification.objects.get(pk=cert.pk)
    response = client.post(
        form_url(cert), {"decision_maker": people.decider.pk, "revision": cert.revision}
    )
    assert response.status_code == 302 and response["Location"] == page_url(cert)
    assert "Only who may change certifications (an administrator)" in text(
        client.get(page_url(cert))
    )
    after = Certification.objects.get(pk=cert.pk)
    assert after.decision_maker_id is None and after.revision == before.revision


@pytest.mark.parametrize("role", ["decider", "auditor"])
def test_others_may_not_designate(people, cert, role):
    user = getattr(people, role)
    before = Certification.objects.get(pk=cert.pk)
    client = signed_in(user)
    assert client.get(form_url(cert)).status_code == 403
    response = client.post(
        form_url(cert), {"decision_maker": people.decider.pk, "revision": cert.revision}
    )
    assert response.status_code == 403
    after = Certification.objects.get(pk=cert.pk)
    assert after.decision_maker_id is None and after.revision == before.revision


def test_forms_not_shown_to_others(people, cert):
    for user in (people.decider, people.auditor):
        response = signed_in(user).get(page_url(cert))
        assert response.status_code == 200
        assert 'name="decision_maker"' not in response.content.decode()
    response = signed_in(people.decider).get(decision_url(cert))
    assert 'name="decision_maker"' not in response.content.decode()


def test_an_auditor_not_on_the_audit_gets_404(people, cert):
    other = all_standards_auditor("outsider")
    assert signed_in(other).get(form_url(cert)).status_code in (403, 404)
    assert signed_in(other).get(page_url(cert)).status_code == 404


def test_anonymous_go_to_login(cert, client):
    for method in (client.get, client.post):
        response = method(form_url(cert))
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert Certification.objects.get(pk=cert.pk).decision_maker_id is None


def test_decision_page_offers_it_while_none_is_designated(people, cert, administrator):
    client = signed_in(administrator)
    page = client.get(decision_url(cert))
    assert "王建华" in options(page)
    staff_view = text(signed_in(people.staff).get(decision_url(cert)))
    assert "No decision maker designated yet." in staff_view
    response = client.post(
        form_url(cert),
        {
            "decision_maker": people.decider.pk,
            "revision": cert.revision,
            "next": decision_url(cert),
        },
    )
    assert response["Location"] == decision_url(cert)
    page = client.get(decision_url(cert))
    assert 'name="decision_maker"' not in page.content.decode()
    assert "王建华" in text(page)


def test_the_form_page_itself(people, cert, administrator):
    response = signed_in(administrator).get(form_url(cert))
    assert response.status_code == 200
    assert "王建华" in options(response)


def test_the_form_reads_a_fixed_number_of_queries(people, cert, administrator):
    client = signed_in(administrator)
    client.get(page_url(cert))
    with CaptureQueriesContext(connection) as few:
        client.get(page_url(cert))
    for k in range(5):
        UserFactory(role="Decision maker", username=f"more{k}")
    with CaptureQueriesContext(connection) as more:
        client.get(page_url(cert))
    assert len(more) == len(few)
