"""The auditor admin: profiles with their qualifications and declarations, search and filters,
the calendar token kept from other auditors, technical areas, read-only bookings, and
unavailability whose overlaps are form errors (also when the PostgreSQL constraint is the one
that refuses)."""

import datetime

import pytest
from django.urls import reverse

from audits import forms as audit_forms
from audits.models import AuditorProfile, Booking, BookingKind
from tests.audits.factories import leave, make_auditor
from tests.audits.test_auditor_portal import make_audit

D = datetime.date
pytestmark = pytest.mark.django_db

PROFILES = reverse("admin:audits_auditorprofile_changelist")
UNAVAILABILITY_ADD = reverse("admin:audits_unavailability_add")


@pytest.fixture
def today(monkeypatch):
    day = D(2025, 3, 5)
    monkeypatch.setattr("audits.admin.auditors.local_today", lambda: day)
    return day


def profile_change(user):
    return reverse("admin:audits_auditorprofile_change", args=[user.auditor_profile.pk])


def test_profiles_search_and_filters(client, staff, today):
    li = make_auditor("li", city="上海")
    make_auditor("wang", city="深圳", valid_until=D(2025, 5, 31))  # expires within 90 days
    make_auditor("zhao", city="北京", areas=(19,))
    client.force_login(staff)

    def names(**params):
        html = client.get(PROFILES, params).content.decode()
        return {u for u in ("li", "wang", "zhao") if f">{u}</a>" in html}

    assert names() == {"li", "wang", "zhao"}
    assert names(q="上海") == {"li"}
    assert names(q="zha") == {"zhao"}
    assert names(expiring="90") == {"wang"}
    area19 = (
        li.auditor_profile.qualifications.model.objects.filter(technical_area__code=19)
        .get()
        .technical_area
    )
    assert names(qualifications__technical_area__id__exact=area19.pk) == {"zhao"}
    assert names(qualifications__role__exact="team_leader") == {"li", "wang", "zhao"}


def test_profile_page_has_the_inlines_and_a_read_only_token(client, staff, today):
    li = make_auditor("li")
    client.force_login(staff)
    html = client.get(profile_change(li)).content.decode()
    assert "Qualifications" in html
    assert "Relationship declarations" in html
    assert "Impartiality declarations" in html
    token = li.auditor_profile.calendar_token
    assert token in html
    assert 'name="calendar_token"' not in html  # shown, not editable


def test_other_auditors_never_see_a_calendar_token(client, today):
    li, zhao = make_auditor("li"), make_auditor("zhao")
    client.force_login(zhao)
    response = client.get(profile_change(li))
    assert response.status_code == 200  # auditors may view profiles (migration 0005)
    assert li.auditor_profile.calendar_token not in response.content.decode()
    assert zhao.auditor_profile.calendar_token in client.get(profile_change(zhao)).content.decode()


def test_technical_areas_are_searchable_by_code_and_name(client, staff):
    client.force_login(staff)
    url = reverse("admin:clients_technicalarea_changelist")
    html = client.get(url, {"q": "33"}).content.decode()
    assert "1 result" in html and "33" in html
    html = client.get(url, {"q": "Construction"}).content.decode()
    assert "Construction" in html


def test_unavailability_overlap_is_a_form_error(client, staff):
    li = make_auditor("li")
    leave(li, D(2025, 5, 1), D(2025, 5, 5))
    client.force_login(staff)
    form = {
        "auditor": li.pk,
        "kind": "other",
        "starts_on": "2025-05-04",
        "ends_on": "2025-05-08",
        "note": "training",
    }
    response = client.post(UNAVAILABILITY_ADD, form)
    assert response.status_code == 200
    assert "li is already booked from 2025-05-01 to 2025-05-05 (Leave: annual leave)" in (
        response.content.decode()
    )
    assert Booking.objects.filter(auditor=li).count() == 1

    response = client.post(UNAVAILABILITY_ADD, {**form, "starts_on": "2025-05-06"})
    assert response.status_code == 302
    assert Booking.objects.filter(auditor=li, kind=BookingKind.OTHER).get().note == "training"

    # Audit kinds are not unavailability; the last day cannot come first.
    response = client.post(
        UNAVAILABILITY_ADD,
        {**form, "kind": "audit", "starts_on": "2025-07-01", "ends_on": "2025-07-01"},
    )
    assert "Select a valid choice" in response.content.decode()
    response = client.post(
        UNAVAILABILITY_ADD, {**form, "starts_on": "2025-07-05", "ends_on": "2025-07-01"}
    )
    assert "The last day is before the first day." in response.content.decode()


def test_unavailability_overlapping_an_audit_booking(client, staff):
    li = make_auditor("li")
    make_audit(leader=li, start=D(2025, 5, 12), end=D(2025, 5, 14))
    client.force_login(staff)
    response = client.post(
        UNAVAILABILITY_ADD,
        {"auditor": li.pk, "kind": "leave", "starts_on": "2025-05-14", "ends_on": "2025-05-16"},
    )
    assert "li is already booked from 2025-05-12 to 2025-05-14 (Audit: " in (
        response.content.decode()
    )


@pytest.mark.postgres
def test_overlap_refused_by_the_database_is_a_form_error(client, staff, monkeypatch):
    """Two people saving at once: the form saw no overlap, the exclusion constraint refuses."""
    li = make_auditor("li")
    leave(li, D(2025, 5, 1), D(2025, 5, 5))
    monkeypatch.setattr(audit_forms, "unavailability_problems", lambda *a, **k: [])
    client.force_login(staff)
    response = client.post(
        UNAVAILABILITY_ADD,
        {"auditor": li.pk, "kind": "leave", "starts_on": "2025-05-03", "ends_on": "2025-05-04"},
    )
    assert response.status_code == 200
    assert "Someone booked li on some of these days at the same moment." in (
        response.content.decode()
    )
    assert Booking.objects.filter(auditor=li).count() == 1

    # The auditor pages catch it the same way.
    client.force_login(li)
    response = client.post(
        reverse("audits:unavailability"),
        {"kind": "leave", "starts_on": "2025-05-03", "ends_on": "2025-05-04"},
    )
    assert response.status_code == 400
    assert "Someone booked li on some of these days" in response.content.decode()


def test_auditors_see_only_their_own_bookings_and_cannot_edit_them(client):
    li, zhao = make_auditor("li"), make_auditor("zhao")
    leave(li, D(2025, 5, 1), D(2025, 5, 5), note="李的假期")
    leave(zhao, D(2025, 5, 1), D(2025, 5, 5), note="赵的假期")
    client.force_login(li)
    for name in ("unavailability", "booking"):
        html = client.get(reverse(f"admin:audits_{name}_changelist")).content.decode()
        assert "李的假期" in html and "赵的假期" not in html, name
    assert client.get(UNAVAILABILITY_ADD).status_code == 403
    other = Booking.objects.get(auditor=zhao)
    url = reverse("admin:audits_unavailability_change", args=[other.pk])
    assert client.get(url).status_code == 302  # not in their queryset: "doesn't exist"


def test_bookings_are_read_only_even_for_staff(client, staff):
    li = make_auditor("li")
    make_audit(leader=li, start=D(2025, 5, 12), end=D(2025, 5, 14))
    client.force_login(staff)
    booking = Booking.objects.get(auditor=li)
    assert client.get(reverse("admin:audits_booking_add")).status_code == 403
    html = client.get(reverse("admin:audits_booking_change", args=[booking.pk])).content.decode()
    assert 'name="starts_on"' not in html


def test_staff_add_a_profile(client, staff):
    from tests.factories import UserFactory

    newcomer = UserFactory(username="newcomer", role="Auditor")
    client.force_login(staff)
    response = client.post(
        reverse("admin:audits_auditorprofile_add"),
        {
            "user": newcomer.pk,
            "home_city": "杭州",
            "languages": "zh-hans",
            "is_active": "on",
            **{
                f"{prefix}-{k}": v
                for prefix in ("qualifications", "relationships", "impartiality_declarations")
                for k, v in {"TOTAL_FORMS": 0, "INITIAL_FORMS": 0}.items()
            },
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert AuditorProfile.objects.get(user=newcomer).home_city == "杭州"
