"""Review fixes (issue 17, FIX): implausible dates are refused by the forms (and an old row
holding one does not break the intake page), an auditor's intake page and application list
show only the certifications of their audits, and bad input answers a page, never a 500."""

import datetime

import pytest
from django.urls import reverse

from certificates.models import Certification
from clients.models import Application, Standard
from core.dates import plausible_date
from reminders.models import Reminder
from tests.lifecycle import certified
from workspace.http import parse_date, parse_int

from .conftest import signed_in
from .test_application_pages import (
    docs_url,
    facts_data,
    facts_url,
    new_data,
    new_url,
    page_url,
    submitted,
)

pytestmark = pytest.mark.django_db

D = datetime.date
BIG = "99999999999999999999999"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


# -- 2. dates ---------------------------------------------------------------------------------
def test_plausible_date_bounds():
    plausible_date(D(1900, 1, 1))
    plausible_date(D(2100, 12, 31))
    for day in (D(1, 1, 1), D(1899, 12, 31), D(9999, 12, 31)):
        with pytest.raises(Exception, match="not a plausible date"):
            plausible_date(day)


@pytest.mark.parametrize(
    "field", ["system_operating_since", "internal_audit_on", "management_review_on", "received_on"]
)
def test_intake_facts_refuse_year_one(people, as_staff, field):
    application, _cert = submitted(people)
    before = Application.objects.get(pk=application.pk)
    response = as_staff.post(
        facts_url(application), facts_data(application, **{field: "0001-01-01"})
    )
    assert response.status_code == 200
    assert "not a plausible date" in response.content.decode()
    application.refresh_from_db()
    assert getattr(application, field) == getattr(before, field)
    assert as_staff.get(page_url(application)).status_code == 200


def test_documents_and_accept_refuse_year_one(people, as_staff):
    application, _cert = submitted(people, complete=True, audit_time=True)
    response = as_staff.post(docs_url(application), {"on": "0001-01-01", "action": "all"})
    assert response.status_code == 200
    assert "not a plausible date" in response.content.decode()
    accept = reverse("workspace:application_accept", args=[application.pk])
    response = as_staff.post(accept, {"on": "0001-01-01"})
    assert response.status_code == 200
    assert "not a plausible date" in response.content.decode()
    assert Certification.objects.get(application=application).state == "applied"


def test_new_application_refuses_year_one(people, as_staff):
    client = certified(people).client
    response = as_staff.post(new_url(client), new_data(client, system_operating_since="0001-01-01"))
    assert response.status_code == 200
    assert "not a plausible date" in response.content.decode()


def test_intake_page_survives_a_stored_year_one(people, as_staff):
    """A row saved before the forms refused it (or through the admin) does not break the page."""
    application, _cert = submitted(people)
    Application.objects.filter(pk=application.pk).update(
        system_operating_since=D(1, 1, 1), internal_audit_on=D(1, 1, 2)
    )
    application = Application.objects.get(pk=application.pk)
    assert application.penalty_window_start() == D.min
    assert as_staff.get(page_url(application)).status_code == 200


# -- 3. need-to-know --------------------------------------------------------------------------
@pytest.fixture
def two_standards(people):
    """A certified application (the auditor's audits) with a second standard no audit of
    theirs is about."""
    cert = certified(people)
    application = cert.application
    other = Standard.objects.exclude(pk=cert.standard_id).filter(is_active=True).first()
    application.standards.add(other)
    second = Certification.objects.create(
        client=cert.client,
        standard=other,
        application=application,
        scope="x",
        state_since=application.received_on,
    )
    return cert, second, other


def test_intake_page_shows_an_auditor_only_their_certifications(people, two_standards):
    cert, second, other = two_standards
    response = signed_in(people.auditor).get(page_url(cert.application))
    assert response.status_code == 200
    assert [c.pk for c in response.context["certifications"]] == [cert.pk]
    assert [c.standard.pk for c in response.context["checklists"]] == [cert.standard_id]
    assert [s.pk for s in response.context["standards"]] == [cert.standard_id]
    assert other.code not in response.content.decode()
    assert reverse("workspace:certification", args=[second.pk]) not in response.content.decode()


def test_intake_page_shows_the_office_every_certification(people, two_standards, as_staff):
    cert, second, _other = two_standards
    response = as_staff.get(page_url(cert.application))
    assert {c.pk for c in response.context["certifications"]} == {cert.pk, second.pk}
    assert len(response.context["checklists"]) == 2


def test_application_list_status_of_an_auditor_from_their_certifications(people, two_standards):
    cert, _second, _other = two_standards
    response = signed_in(people.auditor).get(reverse("workspace:applications") + "?status=")
    assert response.status_code == 200
    row = next(a for a in response.context["page"].rows if a.pk == cert.application_id)
    assert [c.pk for c in row.certifications.all()] == [cert.pk]
    assert row.status.status != "open"  # the open second standard is not theirs to see
    staff = signed_in(people.staff).get(reverse("workspace:applications") + "?status=")
    row = next(a for a in staff.context["page"].rows if a.pk == cert.application_id)
    assert row.status.status == "open"


# -- 4. bad input -----------------------------------------------------------------------------
def test_parse_int_and_date():
    assert parse_int("12") == 12
    for bad in ("²", "³", "1.5", "", None, "-3", "0", BIG, " ", "١٢"):
        assert parse_int(bad) is None
    assert parse_date("2026-12-07") == D(2026, 12, 7)
    for bad in ("0001-01-01", "9999-12-31", "x", None):
        assert parse_date(bad) is None


def test_reminders_non_ascii_digits_are_ignored(people):
    c = signed_in(people.staff)
    url = reverse("workspace:reminders")
    assert c.post(url, {"one": "²"}).status_code in (200, 302)
    assert c.post(url, {"ids": ["1", "³"]}).status_code in (200, 302)
    assert not Reminder.objects.filter(acknowledged_at__isnull=False).exists()


@pytest.mark.parametrize(
    "url",
    [
        "/work/certifications/?client=" + BIG,
        "/work/applications/?client=" + BIG,
        "/work/audits/?client=" + BIG,
        "/work/extensions/?certification=²",
        "/work/extensions/?certification=" + BIG,
        "/work/planning/?start=0001-01-01",
        "/work/planning/?start=9999-12-31",
        "/work/planning/?start=9999-W52",
        "/work/planning/?weeks=²",
    ],
)
def test_bad_query_values_answer_a_page(people, url):
    response = signed_in(people.staff).get(url)
    assert response.status_code == 200, url


def test_planning_out_of_range_start_says_so(people):
    response = signed_in(people.staff).get("/work/planning/?start=0001-01-01", follow=True)
    assert "is not a week" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/work/search/",
        "/work/clients/",
        "/work/applications/",
        "/work/certifications/",
        "/work/audits/",
        "/work/decisions/",
        "/work/extensions/",
        "/work/reminders/",
    ],
)
def test_a_nul_character_in_any_text_gives_a_page(as_staff, url):
    """PostgreSQL refuses a NUL in a text value: no parameter carries one to the database."""
    response = as_staff.get(url, {"q": "北京\x00", "state": "\x00", "page": "\x00"})
    assert response.status_code == 200
